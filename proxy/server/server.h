// The process's data plane: worker threads (one io_context each, SO_REUSEPORT acceptors),
// the admin listener, signals and the graceful drain.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace jwt_sidecar::proxy {

struct Runtime;

class Server {
 public:
  explicit Server(std::shared_ptr<const Runtime> runtime);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listeners (throws std::runtime_error with a clear message when it cannot) and
  // starts the worker threads. After it returns, port() and admin_port() are known.
  void start();
  std::uint16_t port() const;
  std::uint16_t admin_port() const;  // 0 when the admin listener is off
  std::uint16_t auth_port() const;   // 0 without auth_service

  // Blocks until a drain finished (SIGTERM/SIGINT or stop()). Returns the exit status.
  int wait();
  // Starts the drain from any thread: stop accepting, finish in-flight requests up to the
  // drain deadline, close idle connections, then stop.
  void stop();
  // Handle SIGTERM and SIGINT by draining (for the real process; tests call stop()).
  void handle_signals();
  // Before start(): reload `config_path` on SIGHUP and whenever its bytes differ from
  // `applied_bytes` (checked every second), and re-read the listener's certificate and key
  // when their files change. A bad config is logged and counted
  // (jwt_sidecar_config_reloads_total{result="failure"}); the running one stays.
  void enable_reload(const std::string& config_path, std::string applied_bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jwt_sidecar::proxy
