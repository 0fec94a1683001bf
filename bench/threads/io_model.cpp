// The event-loop layout question of issue 5 in isolation: one io_context per thread, each
// with its own SO_REUSEPORT acceptor (what jwt-sidecar does), against one io_context shared by
// every thread with one acceptor. The server is the smallest keep-alive HTTP/1.1 responder on
// the same Asio coroutines the proxy uses, so the difference is the layout alone.
//
//   io_model --mode per-thread|shared --threads N --port PORT
//
// Runs until SIGTERM/SIGINT. bench/threads/run.sh drives it with wrk.
#include <sys/socket.h>

#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "proxy/io/net.h"

namespace net = boost::asio;
using net::ip::tcp;
using jwt_sidecar::proxy::use_tuple;

namespace {

constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n";

// Answers each complete request header ("\r\n\r\n") with kResponse; requests have no body.
net::awaitable<void> serve(tcp::socket socket) {
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  std::string pending;
  char buf[8192];
  while (true) {
    auto [rec, n] = co_await socket.async_read_some(net::buffer(buf), use_tuple);
    if (rec) break;
    pending.append(buf, n);
    std::size_t answers = 0, at;
    while ((at = pending.find("\r\n\r\n")) != std::string::npos) {
      pending.erase(0, at + 4);
      ++answers;
    }
    std::string out;
    for (std::size_t i = 0; i < answers; ++i) out.append(kResponse);
    if (out.empty()) continue;
    auto [wec, wn] = co_await net::async_write(socket, net::buffer(out), use_tuple);
    if (wec) break;
  }
}

net::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
  while (true) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec) {
      if (!acceptor.is_open()) break;
      continue;
    }
    auto ex = socket.get_executor();
    net::co_spawn(ex, serve(std::move(socket)), net::detached);
  }
}

std::unique_ptr<tcp::acceptor> listen_on(net::io_context& ioc, unsigned short port, bool reuse_port) {
  auto acceptor = std::make_unique<tcp::acceptor>(ioc);
  const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
  acceptor->open(ep.protocol());
  acceptor->set_option(net::socket_base::reuse_address(true));
  if (reuse_port) {
    const int one = 1;
    ::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  }
  acceptor->bind(ep);
  acceptor->listen(net::socket_base::max_listen_connections);
  return acceptor;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = "per-thread";
  unsigned threads = 1;
  unsigned short port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view key = argv[i];
    if (key == "--mode") mode = argv[i + 1];
    else if (key == "--threads") threads = static_cast<unsigned>(std::stoul(argv[i + 1]));
    else if (key == "--port") port = static_cast<unsigned short>(std::stoul(argv[i + 1]));
  }
  if ((mode != "per-thread" && mode != "shared") || threads == 0 || port == 0) {
    std::cerr << "usage: io_model --mode per-thread|shared --threads N --port PORT\n";
    return 2;
  }
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  if (mode == "shared") {
    contexts.push_back(std::make_unique<net::io_context>(static_cast<int>(threads)));
    acceptors.push_back(listen_on(*contexts[0], port, false));
  } else {
    for (unsigned i = 0; i < threads; ++i) {
      contexts.push_back(std::make_unique<net::io_context>(1));
      acceptors.push_back(listen_on(*contexts.back(), port, true));
    }
  }
  for (std::size_t i = 0; i < acceptors.size(); ++i) {
    net::co_spawn(*contexts[i], accept_loop(*acceptors[i]), net::detached);
  }
  net::signal_set signals(*contexts[0], SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code&, int) {
    for (auto& c : contexts) c->stop();
  });
  std::cout << "io_model: " << mode << ", " << threads << " thread(s), port " << port << std::endl;
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < threads; ++i) {
    auto& ioc = mode == "shared" ? *contexts[0] : *contexts[i];
    pool.emplace_back([&ioc] { ioc.run(); });
  }
  for (auto& t : pool) t.join();
  return 0;
}
