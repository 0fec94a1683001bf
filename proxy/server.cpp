#include "proxy/server.h"

#include <sys/socket.h>

#include <mutex>
#include <stdexcept>
#include <thread>

#include "proxy/admin.h"
#include "proxy/jwks_fetcher.h"
#include "proxy/log.h"
#include "proxy/metrics.h"
#include "proxy/runtime.h"
#include "proxy/session.h"
#include "proxy/worker.h"

namespace jwt_sidecar::proxy {
namespace {

tcp::endpoint endpoint_of(const config::Address& a) {
  error_code ec;
  auto address = net::ip::make_address(a.host == "localhost" ? "127.0.0.1" : a.host, ec);
  if (ec) {
    // A host name: resolve it once.
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    const auto results = resolver.resolve(a.host, std::to_string(a.port), ec);
    if (ec || results.empty()) throw std::runtime_error("cannot resolve listen address " + a.host);
    return results.begin()->endpoint();
  }
  return {address, a.port};
}

std::string describe(const tcp::endpoint& ep) {
  const auto a = ep.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

void open_listener(tcp::acceptor& acceptor, const tcp::endpoint& ep, bool reuse_port) {
  error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec && reuse_port) {
    const int one = 1;
    if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      ec.assign(errno, boost::system::system_category());
    }
  }
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + describe(ep) + ": " + ec.message());
}

}  // namespace

struct Server::Impl {
  ServerState state;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;  // one per worker
  std::unique_ptr<tcp::acceptor> admin;
  std::vector<std::thread> threads;
  std::uint16_t port = 0, admin_port = 0;
  std::unique_ptr<net::signal_set> signals;
  // Key fetching runs on its own thread so that a slow IdP never delays request handling.
  net::io_context control{1};
  std::unique_ptr<JwksFetcher> fetcher;
  std::thread control_thread;

  std::mutex mu;
  bool stopping = false;

  awaitable<void> accept_loop(Worker& worker, tcp::acceptor& acceptor) {
    while (true) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec == net::error::operation_aborted || !acceptor.is_open()) break;
      if (ec) continue;  // EMFILE and friends: keep serving what we have
      net::co_spawn(worker.ioc, run_session(worker, std::move(socket)), net::detached);
    }
  }

  awaitable<void> admin_loop(Worker& worker) {
    while (true) {
      auto [ec, socket] = co_await admin->async_accept(use_tuple);
      if (ec == net::error::operation_aborted || !admin->is_open()) break;
      if (ec) continue;
      net::co_spawn(worker.ioc, run_admin_session(state, std::move(socket)), net::detached);
    }
  }

  // Runs on worker 0: waits for connections to finish or the deadline, then stops everything.
  awaitable<void> drain(std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    net::steady_timer timer(co_await net::this_coro::executor);
    while (Metrics::instance().connections_active() > 0 && std::chrono::steady_clock::now() < until) {
      for (auto& w : workers) net::post(w->ioc, [&w] { w->close_idle_connections(); });
      timer.expires_after(std::chrono::milliseconds(50));
      co_await timer.async_wait(use_tuple);
    }
    log_info("drained", {{"connections_left", Metrics::instance().connections_active()}});
    if (admin) net::post(workers[0]->ioc, [this] { error_code ec; admin->close(ec); });
    if (fetcher) fetcher->stop();
    control.stop();
    for (auto& w : workers) w->ioc.stop();
  }
};

Server::Server(std::shared_ptr<const Runtime> runtime) : impl_(std::make_unique<Impl>()) {
  impl_->state.runtime.store(std::move(runtime));
  impl_->state.tls = false;
}

Server::~Server() {
  impl_->control.stop();
  if (impl_->control_thread.joinable()) impl_->control_thread.join();
  for (auto& w : impl_->workers) w->ioc.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
}

void Server::start() {
  auto& s = *impl_;
  const auto rt = s.state.runtime.load();
  const auto& cfg = rt->config;
  unsigned n = cfg.threads ? cfg.threads : std::max(1u, std::thread::hardware_concurrency());
  auto ep = endpoint_of(cfg.listen);
  const std::size_t cache_per_worker = cfg.token_cache_size == 0 ? 0 : std::max<std::size_t>(1, cfg.token_cache_size / n);
  for (unsigned i = 0; i < n; ++i) {
    s.workers.push_back(std::make_unique<Worker>(s.state));
    s.workers.back()->token_cache = std::make_unique<policies::TokenCache>(cache_per_worker);
    s.acceptors.push_back(std::make_unique<tcp::acceptor>(s.workers.back()->ioc));
    open_listener(*s.acceptors.back(), ep, n > 1);
    // Port 0 picks a free port once; the other workers join it.
    if (i == 0) ep.port(s.acceptors[0]->local_endpoint().port());
  }
  s.port = ep.port();
  if (cfg.admin) {
    s.admin = std::make_unique<tcp::acceptor>(s.workers[0]->ioc);
    open_listener(*s.admin, endpoint_of(*cfg.admin), false);
    s.admin_port = s.admin->local_endpoint().port();
  }
  s.fetcher = std::make_unique<JwksFetcher>(s.control, rt);
  s.state.fetcher = s.fetcher.get();
  s.fetcher->start();
  s.control_thread = std::thread([&s] {
    auto guard = net::make_work_guard(s.control);
    s.control.run();
  });
  for (unsigned i = 0; i < n; ++i) {
    net::co_spawn(s.workers[i]->ioc, s.accept_loop(*s.workers[i], *s.acceptors[i]), net::detached);
  }
  if (s.admin) net::co_spawn(s.workers[0]->ioc, s.admin_loop(*s.workers[0]), net::detached);
  for (auto& w : s.workers) {
    s.threads.emplace_back([&w, &s] {
      auto guard = net::make_work_guard(w->ioc);
      w->ioc.run();
    });
  }
  log_info("listening", {{"address", describe(tcp::endpoint(ep.address(), s.port))},
                         {"admin", s.admin ? describe(s.admin->local_endpoint()) : std::string("off")},
                         {"threads", n}});
}

std::uint16_t Server::port() const { return impl_->port; }
std::uint16_t Server::admin_port() const { return impl_->admin_port; }

void Server::stop() {
  auto& s = *impl_;
  {
    std::lock_guard lock(s.mu);
    if (s.stopping) return;
    s.stopping = true;
  }
  s.state.draining.store(true);
  log_info("draining", {{"connections", Metrics::instance().connections_active()}});
  for (std::size_t i = 0; i < s.workers.size(); ++i) {
    net::post(s.workers[i]->ioc, [&s, i] {
      error_code ec;
      s.acceptors[i]->close(ec);
      s.workers[i]->close_idle_connections();
    });
  }
  const auto deadline = s.state.runtime.load()->config.limits.drain_timeout;
  net::co_spawn(s.workers[0]->ioc, s.drain(deadline), net::detached);
}

void Server::handle_signals() {
  auto& s = *impl_;
  s.signals = std::make_unique<net::signal_set>(s.workers[0]->ioc, SIGTERM, SIGINT);
  s.signals->async_wait([this](const error_code& ec, int signo) {
    if (ec) return;
    log_info("signal received", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}});
    stop();
  });
}

int Server::wait() {
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->control.stop();
  if (impl_->control_thread.joinable()) impl_->control_thread.join();
  return 0;
}

}  // namespace jwt_sidecar::proxy
