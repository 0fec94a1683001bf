#include "proxy/server/server.h"

#include <sys/socket.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "proxy/observability/admin.h"
#include "proxy/runtime/cpus.h"
#include "config/loader.h"
#include "proxy/keys/jwks_fetcher.h"
#include "proxy/revocation/sources.h"
#include "proxy/keys/key_loading.h"
#include "proxy/io/tls.h"
#include "proxy/observability/log.h"
#include "proxy/observability/metrics.h"
#include "proxy/runtime/runtime.h"
#include "proxy/auth_service/check_handler.h"
#include "proxy/http1/proxy_handler.h"
#include "proxy/http1/session.h"
#include "proxy/http1/worker.h"
#include "proxy/http2/dispatch.h"
#include "proxy/http2/http1_to_h2.h"

namespace jwt_sidecar::proxy {
namespace {

// What an accepted connection is handed to: the proxy listener's HTTP/1.1-or-HTTP/2 choice, or
// the auth service's HTTP/1.1 checks.
using ConnectionHandler = awaitable<void> (*)(Worker&, tcp::socket);

awaitable<void> serve_check_client(Worker& worker, tcp::socket socket) {
  co_await run_session(worker, std::move(socket), handle_check);
}

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

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

bool same_address(const std::optional<config::Address>& a, const std::optional<config::Address>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->host == b->host && a->port == b->port);
}

// What a reload cannot change: the sockets and threads made at startup.
void check_fixed_settings(const config::Config& running, const config::Config& next,
                          std::vector<config::ConfigError>& errors) {
  const auto refuse = [&](const config::Mark& at, const std::string& key) {
    errors.push_back({at, "'" + key + "' cannot change on reload; restart jwt-sidecar to apply it"});
  };
  if (!same_address(running.listen, next.listen)) refuse(next.listen.mark, "listen");
  if (!same_address(running.admin, next.admin)) refuse(next.admin ? next.admin->mark : next.listen.mark, "admin");
  const auto auth_listen = [](const config::Config& c) {
    return c.auth_service ? std::optional<config::Address>(c.auth_service->listen) : std::nullopt;
  };
  if (!same_address(auth_listen(running), auth_listen(next))) {
    refuse(next.auth_service ? next.auth_service->mark : next.listen.mark, "auth_service.listen");
  }
  if (running.threads != next.threads) refuse(next.listen.mark, "threads");
  if (running.tls.has_value() != next.tls.has_value()) refuse(next.tls ? next.tls->mark : next.listen.mark, "tls");
}

}  // namespace

struct Server::Impl {
  ServerState state;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;  // one per worker
  std::vector<std::unique_ptr<tcp::acceptor>> auth_acceptors;  // auth_service.listen: one per worker
  std::unique_ptr<tcp::acceptor> admin;
  std::vector<std::thread> threads;
  std::uint16_t port = 0, admin_port = 0, auth_port = 0;
  std::unique_ptr<net::signal_set> signals;
  // Key fetching runs on its own thread so that a slow IdP never delays request handling.
  net::io_context control{1};
  std::unique_ptr<JwksFetcher> fetcher;
  // Revocation lists: read on the control thread too; requests only read their snapshots.
  RevocationSources revocation{control};
  std::thread control_thread;

  std::mutex mu;
  bool stopping = false;

  // Reload (on the control thread): SIGHUP, or the config file's bytes changing.
  std::string config_path;
  std::string applied_config;  // the file's bytes when last loaded (good or bad)
  std::string applied_tls;     // the certificate and key files' bytes when last loaded
  std::unique_ptr<net::signal_set> hup;
  std::unique_ptr<net::steady_timer> watch_timer;

  void reload(std::string_view trigger) {
    const auto running = state.runtime.load();
    applied_config = read_file(config_path);
    auto loaded = config::load_config_file(config_path);
    std::vector<config::ConfigError> errors = std::move(loaded.errors);
    std::shared_ptr<const Runtime> next;
    if (errors.empty() && loaded.config) {
      check_fixed_settings(running->config, *loaded.config, errors);
      if (errors.empty()) next = build_runtime(std::move(*loaded.config), errors, nullptr, running.get());
    }
    std::vector<std::string> messages;
    for (const auto& e : errors) messages.push_back(e.to_string());
    if (next) {
      // Key files are part of the config: one without usable keys refuses the reload.
      auto keys = load_static_keys(*next, /*log=*/false);
      messages.insert(messages.end(), keys.errors.begin(), keys.errors.end());
    }
    if (!next || !messages.empty()) {
      Metrics::instance().config_reload("failure");
      std::string all;
      for (const auto& m : messages) all += (all.empty() ? "" : "; ") + m;
      log_error("config reload failed", {{"trigger", trigger}, {"file", config_path}, {"errors", messages.size()},
                                         {"error", all}});
      return;
    }
    if (fetcher) fetcher->adopt(next);
    revocation.adopt(*next);
    if (next->server_tls) {
      state.server_tls.store(next->server_tls);
      applied_tls = read_tls_files(*next->config.tls);
    }
    Logger::instance().configure(next->config.log_level, next->config.access_log);
    state.publish(next);
    Metrics::instance().config_reload("success");
    log_info("config reloaded", {{"trigger", trigger}, {"file", config_path},
                                 {"providers", next->config.providers.size()}, {"routes", next->config.routes.size()}});
  }

  // The listener's certificate and key changed on disk (cert-manager, a mounted Secret).
  void reload_certificate() {
    const auto rt = state.runtime.load();
    if (!rt->config.tls) return;
    const auto bytes = read_tls_files(*rt->config.tls);
    if (bytes == applied_tls) return;
    applied_tls = bytes;
    std::string error;
    auto ctx = make_server_tls(*rt->config.tls, error);
    if (!ctx) {
      log_error("TLS certificate reload failed", {{"error", error}});
      return;
    }
    state.server_tls.store(std::move(ctx));
    log_info("TLS certificate reloaded", {{"cert_file", rt->config.tls->cert_file}});
  }

  void watch_files() {
    watch_timer->expires_after(std::chrono::seconds(1));
    watch_timer->async_wait([this](const error_code& ec) {
      if (ec) return;
      if (read_file(config_path) != applied_config) reload("file changed");
      reload_certificate();
      watch_files();
    });
  }

  void wait_for_hup() {
    hup->async_wait([this](const error_code& ec, int) {
      if (ec) return;
      log_info("signal received", {{"signal", "SIGHUP"}});
      reload("SIGHUP");
      revocation.reread();
      wait_for_hup();
    });
  }

  // One worker per thread, each with its own acceptor on the proxy's port (and on the auth
  // service's); the admin listener on the first worker.
  void open_listeners(const config::Config& cfg, unsigned n) {
    auto ep = endpoint_of(cfg.listen);
    const std::size_t cache_per_worker =
        cfg.token_cache_size == 0 ? 0 : std::max<std::size_t>(1, cfg.token_cache_size / n);
    for (unsigned i = 0; i < n; ++i) {
      workers.push_back(std::make_unique<Worker>(state));
      workers.back()->h2_forward = h2::forward_to_h2;
      workers.back()->token_cache = std::make_unique<policies::TokenCache>(cache_per_worker);
      acceptors.push_back(std::make_unique<tcp::acceptor>(workers.back()->ioc));
      open_listener(*acceptors.back(), ep, n > 1);
      // Port 0 picks a free port once; the other workers join it.
      if (i == 0) ep.port(acceptors[0]->local_endpoint().port());
    }
    port = ep.port();
    // The auth service: a second listener on the same workers, with the same limits and TLS.
    if (cfg.auth_service) {
      auto auth_ep = endpoint_of(cfg.auth_service->listen);
      for (unsigned i = 0; i < n; ++i) {
        auth_acceptors.push_back(std::make_unique<tcp::acceptor>(workers[i]->ioc));
        open_listener(*auth_acceptors.back(), auth_ep, n > 1);
        if (i == 0) auth_ep.port(auth_acceptors[0]->local_endpoint().port());
      }
      auth_port = auth_ep.port();
    }
    if (cfg.admin) {
      admin = std::make_unique<tcp::acceptor>(workers[0]->ioc);
      open_listener(*admin, endpoint_of(*cfg.admin), false);
      admin_port = admin->local_endpoint().port();
    }
  }

  awaitable<void> accept_loop(Worker& worker, tcp::acceptor& acceptor, ConnectionHandler handler) {
    while (true) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec == net::error::operation_aborted || !acceptor.is_open()) break;
      if (ec) {
        // EMFILE and friends: keep serving what we have, and retry the accept a little later
        // rather than spinning on an error that repeats until a descriptor is freed.
        if (ec == net::error::no_descriptors || ec.value() == ENFILE || ec == net::error::no_buffer_space ||
            ec == net::error::no_memory) {
          net::steady_timer pause(co_await net::this_coro::executor, std::chrono::milliseconds(50));
          co_await pause.async_wait(use_tuple);
        }
        continue;
      }
      net::co_spawn(worker.ioc, handler(worker, std::move(socket)), net::detached);
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
    net::post(control, [this] {
      revocation.stop();
      if (hup) hup->cancel();
      if (watch_timer) watch_timer->cancel();
    });
    control.stop();
    for (auto& w : workers) w->ioc.stop();
  }
};

Server::Server(std::shared_ptr<const Runtime> runtime) : impl_(std::make_unique<Impl>()) {
  impl_->state.tls = runtime->config.tls.has_value();
  impl_->state.server_tls.store(runtime->server_tls);
  if (runtime->config.tls) impl_->applied_tls = read_tls_files(*runtime->config.tls);
  impl_->state.publish(std::move(runtime));
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
  const unsigned n = cfg.threads ? cfg.threads : usable_cpus();
  s.open_listeners(cfg, n);
  s.fetcher = std::make_unique<JwksFetcher>(s.control, rt);
  s.state.fetcher = s.fetcher.get();
  s.fetcher->start();
  s.revocation.adopt(*rt);
  if (s.hup) {
    net::post(s.control, [&s] {
      s.wait_for_hup();
      s.watch_files();
    });
  }
  s.control_thread = std::thread([&s] {
    auto guard = net::make_work_guard(s.control);
    s.control.run();
  });
  for (unsigned i = 0; i < n; ++i) {
    net::co_spawn(s.workers[i]->ioc, s.accept_loop(*s.workers[i], *s.acceptors[i], h2::serve_client),
                  net::detached);
    if (!s.auth_acceptors.empty()) {
      net::co_spawn(s.workers[i]->ioc, s.accept_loop(*s.workers[i], *s.auth_acceptors[i], serve_check_client),
                    net::detached);
    }
  }
  if (s.admin) net::co_spawn(s.workers[0]->ioc, s.admin_loop(*s.workers[0]), net::detached);
  for (auto& w : s.workers) {
    s.threads.emplace_back([&w] {
      auto guard = net::make_work_guard(w->ioc);
      w->ioc.run();
    });
  }
  log_info("listening", {{"address", describe(s.acceptors[0]->local_endpoint())},
                         {"admin", s.admin ? describe(s.admin->local_endpoint()) : std::string("off")},
                         {"auth_service", s.auth_acceptors.empty() ? std::string("off")
                                                                   : describe(s.auth_acceptors[0]->local_endpoint())},
                         {"threads", n}});
}

std::uint16_t Server::port() const { return impl_->port; }
std::uint16_t Server::admin_port() const { return impl_->admin_port; }
std::uint16_t Server::auth_port() const { return impl_->auth_port; }

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
      if (i < s.auth_acceptors.size()) s.auth_acceptors[i]->close(ec);
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

void Server::enable_reload(const std::string& config_path, std::string applied_bytes) {
  auto& s = *impl_;
  s.config_path = config_path;
  s.applied_config = std::move(applied_bytes);
  // Registered now, before the "listening" line: a SIGHUP from then on is never fatal (Asio
  // queues it until the control thread waits for it).
  s.hup = std::make_unique<net::signal_set>(s.control, SIGHUP);
  s.watch_timer = std::make_unique<net::steady_timer>(s.control);
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
