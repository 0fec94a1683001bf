#include "tests/support/upstream_server.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <future>
#include <thread>

#include "proxy/io/net.h"

namespace jwt_sidecar::testing {

using namespace jwt_sidecar::proxy;

namespace {

std::uint64_t query_number(std::string_view target, std::string_view key, std::uint64_t fallback) {
  const auto at = target.find(std::string(key) + "=");
  if (at == std::string_view::npos) return fallback;
  return std::stoull(std::string(target.substr(at + key.size() + 1)));
}


}  // namespace

std::string SeenRequest::header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (beast::iequals(n, name)) return v;
  }
  return "";
}

std::size_t SeenRequest::count(const std::string& name) const {
  return static_cast<std::size_t>(
      std::count_if(headers.begin(), headers.end(), [&](const auto& h) { return beast::iequals(h.first, name); }));
}

struct UpstreamServer::Impl {
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc, {net::ip::make_address("127.0.0.1"), 0}};
  std::uint16_t port = acceptor.local_endpoint().port();
  std::thread thread;
  mutable std::mutex mu;
  std::vector<SeenRequest> log;
  std::atomic<std::uint64_t> accepted{0};
  std::vector<std::weak_ptr<beast::tcp_stream>> streams;

  awaitable<void> accept_loop() {
    while (true) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec) break;
      const auto id = ++accepted;
      net::co_spawn(ioc, serve(std::move(socket), id), net::detached);
    }
  }

  awaitable<bool> read_body(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                            http::request_parser<http::buffer_body>& parser, SeenRequest& seen) {
    std::vector<char> buf(65536);
    while (!parser.is_done()) {
      parser.get().body().data = buf.data();
      parser.get().body().size = buf.size();
      auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, use_tuple);
      if (ec == http::error::need_buffer) ec = {};
      if (ec) co_return false;
      const auto got = buf.size() - parser.get().body().size;
      seen.body_bytes += got;
      if (seen.body_prefix.size() < 65536) {
        seen.body_prefix.append(buf.data(), std::min<std::size_t>(got, 65536 - seen.body_prefix.size()));
      }
    }
    co_return true;
  }

  awaitable<bool> respond(beast::tcp_stream& stream, const SeenRequest& seen, bool keep_alive) {
    const std::string_view target = seen.target;
    if (target.rfind("/slow", 0) == 0) {
      net::steady_timer t(ioc, std::chrono::milliseconds(query_number(target, "ms", 1000)));
      co_await t.async_wait(use_tuple);
    }
    if (target.rfind("/download", 0) == 0 || target.rfind("/chunked", 0) == 0) {
      const bool chunked = target.rfind("/chunked", 0) == 0;
      std::uint64_t left = chunked ? query_number(target, "chunks", 4) * 1024 : query_number(target, "bytes", 1024);
      http::response<http::buffer_body> res{http::status::ok, 11};
      res.keep_alive(keep_alive);
      if (chunked) {
        res.chunked(true);
      } else {
        res.content_length(left);
      }
      res.body().data = nullptr;
      res.body().more = true;
      http::response_serializer<http::buffer_body> sr{res};
      auto [ec, n] = co_await http::async_write_header(stream, sr, use_tuple);
      if (ec) co_return false;
      std::vector<char> chunk(chunked ? 1024 : 65536, 'd');
      while (left > 0) {
        const auto size = std::min<std::uint64_t>(left, chunk.size());
        left -= size;
        res.body().data = chunk.data();
        res.body().size = size;
        res.body().more = left > 0;
        auto [wec, wn] = co_await http::async_write(stream, sr, use_tuple);
        if (wec == http::error::need_buffer) wec = {};
        if (wec) co_return false;
      }
      if (!sr.is_done()) {
        res.body().data = nullptr;
        res.body().size = 0;
        res.body().more = false;
        co_await http::async_write(stream, sr, use_tuple);
      }
      co_return keep_alive;
    }
    if (target.rfind("/reset", 0) == 0) {
      co_await reset_midway(stream, target);
      co_return false;
    }
    if (target == "/close-delimited") {
      const std::string raw = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end";
      co_await net::async_write(stream, net::buffer(raw), use_tuple);
      co_return false;
    }
    http::response<http::string_body> res{http::status::ok, 11};
    if (target.rfind("/status/", 0) == 0) res.result(static_cast<unsigned>(std::stoi(std::string(target.substr(8, 3)))));
    res.set(http::field::content_type, "application/json");
    res.keep_alive(keep_alive);
    if (seen.method != "HEAD") res.body() = "{\"upstream\":\"ok\",\"target\":\"" + seen.target + "\"}";
    res.prepare_payload();
    auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
    co_return !ec && keep_alive;
  }

  // A response cut short by a reset: the header (unless header=0) and `after` body bytes of a
  // body that promised more, then RST instead of FIN, so the peer sees ECONNRESET.
  awaitable<void> reset_midway(beast::tcp_stream& stream, std::string_view target) {
    const auto after = query_number(target, "after", 0);
    if (query_number(target, "header", 1) != 0) {
      std::string raw = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n";
      const std::string body(after, 'r');
      if (target.find("chunked=1") != std::string_view::npos) {
        raw += "Transfer-Encoding: chunked\r\n\r\n";
        if (after > 0) {
          char size[24];
          raw += std::string(size, std::to_chars(size, size + sizeof size, after, 16).ptr) + "\r\n" + body + "\r\n";
        }
      } else if (target.find("close=1") != std::string_view::npos) {
        raw += "Connection: close\r\n\r\n" + body;
      } else {
        raw += "Content-Length: 1048576\r\n\r\n" + body;
      }
      auto [ec, n] = co_await net::async_write(stream, net::buffer(raw), use_tuple);
      if (ec) co_return;
    }
    error_code ignored;
    stream.socket().set_option(net::socket_base::linger(true, 0), ignored);
    stream.socket().close(ignored);
  }

  awaitable<void> echo(beast::tcp_stream& stream, beast::flat_buffer& buffer) {
    const std::string raw = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    auto [ec, n] = co_await net::async_write(stream, net::buffer(raw), use_tuple);
    if (ec) co_return;
    if (buffer.size()) co_await net::async_write(stream, buffer.data(), use_tuple);
    std::array<char, 4096> buf;
    while (true) {
      auto [rec, got] = co_await stream.async_read_some(net::buffer(buf), use_tuple);
      if (rec) break;
      auto [wec, w] = co_await net::async_write(stream, net::buffer(buf.data(), got), use_tuple);
      if (wec) break;
    }
  }

  awaitable<void> serve(tcp::socket socket, std::uint64_t id) {
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    {
      std::lock_guard lock(mu);
      streams.push_back(stream);
    }
    beast::flat_buffer buffer;
    while (true) {
      http::request_parser<http::buffer_body> parser;
      parser.body_limit(boost::none);
      parser.header_limit(1 << 20);
      auto [ec, n] = co_await http::async_read_header(*stream, buffer, parser, use_tuple);
      if (ec) break;
      SeenRequest seen;
      const auto& req = parser.get();
      seen.method = std::string(req.method_string());
      seen.target = std::string(req.target());
      seen.chunked = req.chunked();
      seen.connection = id;
      for (const auto& f : req) seen.headers.emplace_back(f.name_string(), f.value());
      const bool keep = req.keep_alive();
      const bool ws = seen.target == "/ws";
      if (!ws && !co_await read_body(*stream, buffer, parser, seen)) break;
      {
        std::lock_guard lock(mu);
        log.push_back(seen);
      }
      if (ws) {
        co_await echo(*stream, buffer);
        break;
      }
      if (!co_await respond(*stream, seen, keep)) break;
    }
    error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
};

UpstreamServer::UpstreamServer() : impl_(std::make_unique<Impl>()) {
  net::co_spawn(impl_->ioc, impl_->accept_loop(), net::detached);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

UpstreamServer::~UpstreamServer() {
  impl_->ioc.stop();
  impl_->thread.join();
}

std::uint16_t UpstreamServer::port() const { return impl_->port; }

std::vector<SeenRequest> UpstreamServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->log;
}

std::size_t UpstreamServer::request_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->log.size();
}

std::uint64_t UpstreamServer::connections_accepted() const { return impl_->accepted.load(); }

void UpstreamServer::clear() {
  std::lock_guard lock(impl_->mu);
  impl_->log.clear();
}

void UpstreamServer::stop() {
  std::promise<void> done;
  net::post(impl_->ioc, [this, &done] {
    error_code ec;
    impl_->acceptor.close(ec);
    std::lock_guard lock(impl_->mu);
    for (auto& w : impl_->streams) {
      if (auto s = w.lock()) s->socket().close(ec);
    }
    done.set_value();
  });
  done.get_future().wait();
}

}  // namespace jwt_sidecar::testing
