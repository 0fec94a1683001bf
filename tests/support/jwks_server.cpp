#include "tests/support/jwks_server.h"

#include <fcntl.h>

#include <boost/asio/ssl.hpp>
#include <array>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "proxy/io/net.h"
#include "tests/support/tls_certs.h"

namespace jwt_sidecar::testing {

using namespace jwt_sidecar::proxy;
namespace ssl = boost::asio::ssl;

namespace {

constexpr std::string_view kDiscoverySuffix = "/.well-known/openid-configuration";
constexpr std::size_t kEndlessChunk = 64 * 1024;
constexpr auto kEndlessPause = std::chrono::milliseconds(5);

// Asio opens sockets without FD_CLOEXEC. process.cpp already closes inherited descriptors in
// its children, but a child spawned any other way would keep "stopped" sockets alive.
void set_cloexec(int fd) { ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC); }

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// How to answer one request, decided under the lock and acted on outside it.
struct Reply {
  enum class Kind { respond, endless, slow, close } kind = Kind::respond;
  http::status status = http::status::ok;
  std::string content_type = "application/json";
  std::string body;
  std::string cache_control;
  std::string location;
  std::chrono::milliseconds delay{0};
};

// One listening period, from start to stop: everything here dies with the io_context.
struct Run {
  std::set<tcp::socket*> open;  // live connections; touched on the io thread only
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread thread;
};

// Keeps a connection's socket in Run::open while its coroutine frame lives, so stop() can
// close it even while the coroutine is suspended in a read, a write or a timer.
class OpenSocket {
 public:
  OpenSocket(Run& run, tcp::socket& socket) : run_(run), socket_(&socket) { run_.open.insert(socket_); }
  ~OpenSocket() { run_.open.erase(socket_); }
  OpenSocket(const OpenSocket&) = delete;
  OpenSocket& operator=(const OpenSocket&) = delete;

 private:
  Run& run_;
  tcp::socket* socket_;
};

}  // namespace

struct JwksServer::Impl {
  std::unique_ptr<ssl::context> tls;  // null: plain HTTP
  std::unique_ptr<Run> run;

  mutable std::mutex mu;
  mutable std::condition_variable changed;
  std::string jwks = R"({"keys":[]})";
  std::optional<int> max_age;
  std::optional<std::string> discovery;
  Mode mode = Mode::normal;
  std::chrono::milliseconds delay{0};
  std::map<std::string, std::string, std::less<>> redirects;
  std::size_t fetches = 0, total_requests = 0, connections = 0;
  std::vector<Request> log;

  std::uint16_t start(std::uint16_t port);
  void stop();
  Reply decide(const http::request<http::string_body>& req, const std::string& sni);
  Reply route(std::string_view path) const;
  bool wait(const std::size_t& counter, std::size_t n, std::chrono::milliseconds timeout) const;

  awaitable<void> accept_loop(Run& run);
  awaitable<void> serve_connection(Run& run, tcp::socket socket);
  template <typename Stream>
  awaitable<void> serve_http(Stream& stream, const std::string& sni);
  template <typename Stream>
  awaitable<bool> respond(Stream& stream, const Reply& reply, bool keep_alive);
  template <typename Stream>
  awaitable<void> stream_forever(Stream& stream);
  template <typename Stream>
  awaitable<void> hold(Stream& stream);
};

std::uint16_t JwksServer::Impl::start(std::uint16_t port) {
  auto next = std::make_unique<Run>();
  const tcp::endpoint endpoint(net::ip::make_address_v4("127.0.0.1"), port);
  next->acceptor.open(endpoint.protocol());
  set_cloexec(next->acceptor.native_handle());
  next->acceptor.set_option(tcp::acceptor::reuse_address(true));
  next->acceptor.bind(endpoint);
  next->acceptor.listen();
  const auto bound = next->acceptor.local_endpoint().port();
  net::co_spawn(next->ioc, accept_loop(*next), net::detached);
  next->thread = std::thread([r = next.get()] { r->ioc.run(); });
  run = std::move(next);
  return bound;
}

void JwksServer::Impl::stop() {
  if (!run) return;
  // Close on the io thread (Asio objects are not thread-safe), and wait for it, so the port
  // refuses connections before stop() returns.
  std::promise<void> closed;
  net::post(run->ioc, [r = run.get(), &closed] {
    error_code ignored;
    r->acceptor.close(ignored);
    for (auto* socket : r->open) socket->close(ignored);
    closed.set_value();
  });
  closed.get_future().wait();
  run->ioc.stop();
  run->thread.join();
  run.reset();  // destroys the suspended coroutines and whatever they still held
}

Reply JwksServer::Impl::decide(const http::request<http::string_body>& req, const std::string& sni) {
  const std::string_view path = path_of(req.target());
  std::lock_guard lock(mu);
  ++total_requests;
  if (path == kJwksPath) ++fetches;
  log.push_back({std::string(req.method_string()), std::string(req.target()),
                 std::string(req[http::field::host]), sni});
  changed.notify_all();

  Reply reply;
  reply.delay = delay;
  switch (mode) {
    case Mode::normal: reply = route(path); reply.delay = delay; return reply;
    case Mode::status_500:
      reply.status = http::status::internal_server_error;
      reply.content_type = "text/plain";
      reply.body = "internal error";
      return reply;
    case Mode::garbage:
      // Claims to be JSON so only parsing the body can tell.
      reply.body = "<html><body>502 Bad Gateway</body></html> not json {";
      return reply;
    case Mode::endless: reply.kind = Reply::Kind::endless; return reply;
    case Mode::slow: reply.kind = Reply::Kind::slow; return reply;
    case Mode::close: reply.kind = Reply::Kind::close; return reply;
  }
  return reply;
}

Reply JwksServer::Impl::route(std::string_view path) const {
  Reply reply;
  if (const auto r = redirects.find(path); r != redirects.end()) {
    reply.status = http::status::found;
    reply.location = r->second;
  } else if (path == kJwksPath) {
    reply.body = jwks;
    if (max_age) reply.cache_control = "max-age=" + std::to_string(*max_age);
  } else if (ends_with(path, kDiscoverySuffix) && discovery) {
    reply.body = *discovery;
  } else {
    reply.status = http::status::not_found;
    reply.content_type = "text/plain";
    reply.body = "not found";
  }
  return reply;
}

bool JwksServer::Impl::wait(const std::size_t& counter, std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu);
  return changed.wait_for(lock, timeout, [&] { return counter >= n; });
}

awaitable<void> JwksServer::Impl::accept_loop(Run& r) {
  while (true) {
    auto [ec, socket] = co_await r.acceptor.async_accept(use_tuple);
    if (ec == net::error::operation_aborted || !r.acceptor.is_open()) co_return;
    if (ec) continue;  // e.g. the client reset before accept: keep listening
    set_cloexec(socket.native_handle());
    bool close_now = false;
    {
      std::lock_guard lock(mu);
      ++connections;
      close_now = mode == Mode::close;
      changed.notify_all();
    }
    if (close_now) {
      error_code ignored;
      socket.close(ignored);
      continue;
    }
    net::co_spawn(r.ioc, serve_connection(r, std::move(socket)), net::detached);
  }
}

awaitable<void> JwksServer::Impl::serve_connection(Run& r, tcp::socket socket) {
  if (!tls) {
    beast::tcp_stream stream(std::move(socket));
    OpenSocket guard(r, stream.socket());
    co_await serve_http(stream, "");
    co_return;
  }
  ssl::stream<beast::tcp_stream> stream(std::move(socket), *tls);
  OpenSocket guard(r, beast::get_lowest_layer(stream).socket());
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
  if (ec) co_return;  // the client distrusts us or went away: nothing to serve
  const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
  co_await serve_http(stream, name ? name : "");
  // close_notify, so a client reading to EOF sees a clean end; bounded because a client
  // that never answers it must not hold the coroutine.
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
  co_await stream.async_shutdown(use_tuple);
}

template <typename Stream>
awaitable<void> JwksServer::Impl::serve_http(Stream& stream, const std::string& sni) {
  beast::flat_buffer buffer;
  while (true) {
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(stream, buffer, req, use_tuple);
    if (ec) co_return;
    const Reply reply = decide(req, sni);
    switch (reply.kind) {
      case Reply::Kind::endless: co_await stream_forever(stream); co_return;
      case Reply::Kind::slow: co_await hold(stream); co_return;
      case Reply::Kind::close: co_return;
      case Reply::Kind::respond: break;
    }
    if (reply.delay.count() > 0) {
      net::steady_timer wait(co_await net::this_coro::executor, reply.delay);
      co_await wait.async_wait(use_tuple);
    }
    if (!co_await respond(stream, reply, req.keep_alive())) co_return;
  }
}

template <typename Stream>
awaitable<bool> JwksServer::Impl::respond(Stream& stream, const Reply& reply, bool keep_alive) {
  http::response<http::string_body> res{reply.status, 11};
  res.set(http::field::server, "jwks-test-server");
  res.set(http::field::content_type, reply.content_type);
  if (!reply.cache_control.empty()) res.set(http::field::cache_control, reply.cache_control);
  if (!reply.location.empty()) res.set(http::field::location, reply.location);
  res.keep_alive(keep_alive);
  res.body() = reply.body;
  res.prepare_payload();
  auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
  co_return !ec && keep_alive;
}

// A body that starts like a JWKS and never ends: the client's size limit or timeout must
// stop it. A write fails once the client has gone, which ends the loop.
template <typename Stream>
awaitable<void> JwksServer::Impl::stream_forever(Stream& stream) {
  http::response<http::empty_body> res{http::status::ok, 11};
  res.set(http::field::content_type, "application/json");
  res.chunked(true);
  http::response_serializer<http::empty_body> serializer{res};
  auto [ec, n] = co_await http::async_write_header(stream, serializer, use_tuple);
  if (ec) co_return;
  std::string chunk = R"({"keys":[)";
  chunk.resize(kEndlessChunk, ' ');
  net::steady_timer pause(co_await net::this_coro::executor);
  while (true) {
    auto [wec, written] = co_await net::async_write(stream, http::make_chunk(net::buffer(chunk)), use_tuple);
    if (wec) co_return;
    chunk.assign(kEndlessChunk, ' ');
    pause.expires_after(kEndlessPause);
    co_await pause.async_wait(use_tuple);
  }
}

// Never answers; reads (and drops) until the client closes or stop() closes the socket.
template <typename Stream>
awaitable<void> JwksServer::Impl::hold(Stream& stream) {
  std::array<char, 4096> sink;
  while (true) {
    auto [ec, n] = co_await stream.async_read_some(net::buffer(sink), use_tuple);
    if (ec) co_return;
  }
}

JwksServer::JwksServer() : impl_(std::make_unique<Impl>()) { port_ = impl_->start(0); }

JwksServer::JwksServer(const std::string& chain_pem, const std::string& key_pem) : impl_(std::make_unique<Impl>()) {
  impl_->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
  impl_->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                          ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  impl_->tls->use_certificate_chain(net::buffer(chain_pem));
  impl_->tls->use_private_key(net::buffer(key_pem), ssl::context::pem);
  port_ = impl_->start(0);
}

JwksServer::JwksServer(const ServerCert& cert) : JwksServer(cert.chain_pem, cert.key_pem) {}

JwksServer::~JwksServer() { impl_->stop(); }

void JwksServer::set_jwks(std::string json, std::optional<int> max_age_seconds) {
  std::lock_guard lock(impl_->mu);
  impl_->jwks = std::move(json);
  impl_->max_age = max_age_seconds;
}

void JwksServer::set_discovery(std::string json) {
  std::lock_guard lock(impl_->mu);
  impl_->discovery = std::move(json);
}

void JwksServer::set_mode(Mode mode) {
  std::lock_guard lock(impl_->mu);
  impl_->mode = mode;
}

void JwksServer::set_delay(std::chrono::milliseconds delay) {
  std::lock_guard lock(impl_->mu);
  impl_->delay = delay;
}

void JwksServer::set_redirect(std::string path_from, std::string location) {
  std::lock_guard lock(impl_->mu);
  impl_->redirects[std::move(path_from)] = std::move(location);
}

void JwksServer::clear_redirects() {
  std::lock_guard lock(impl_->mu);
  impl_->redirects.clear();
}

bool JwksServer::tls() const { return impl_->tls != nullptr; }

std::string JwksServer::base_url() const {
  return (tls() ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(port_);
}

std::string JwksServer::jwks_url() const { return base_url() + kJwksPath; }

std::size_t JwksServer::fetch_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->fetches;
}

std::size_t JwksServer::request_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->total_requests;
}

std::size_t JwksServer::connection_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->connections;
}

std::vector<JwksServer::Request> JwksServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->log;
}

bool JwksServer::wait_for_fetches(std::size_t n, std::chrono::milliseconds timeout) const {
  return impl_->wait(impl_->fetches, n, timeout);
}

bool JwksServer::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  return impl_->wait(impl_->total_requests, n, timeout);
}

bool JwksServer::wait_for_connections(std::size_t n, std::chrono::milliseconds timeout) const {
  return impl_->wait(impl_->connections, n, timeout);
}

void JwksServer::stop() { impl_->stop(); }

void JwksServer::restart() {
  impl_->stop();
  impl_->start(port_);
}

bool JwksServer::running() const { return impl_->run != nullptr; }

}  // namespace jwt_sidecar::testing
