// A real redis-server (Debian's package) for integration tests: started on a free loopback
// port with its own config file in a temporary directory, never the system service. It can be
// killed and started again on the same port, to test outages.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace jwt_sidecar::testing {

struct RedisOptions {
  // With a user, the default user is disabled: every client must AUTH as this user.
  std::string username;
  std::string password;
  // TLS only (rediss://), with this certificate chain and key (PEM files).
  std::string tls_cert_file, tls_key_file;
  // notify-keyspace-events (e.g. "Kh"), for writers that do not PUBLISH.
  std::string keyspace_events;
};

class RedisServer {
 public:
  explicit RedisServer(RedisOptions options = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  std::uint16_t port() const { return port_; }
  // redis://127.0.0.1:PORT/0 or rediss://localhost:PORT/0
  std::string url() const;
  // Kills the server (SIGKILL: no goodbye to its clients) and starts it again on the same port,
  // empty (nothing is persisted).
  void kill();
  void start();
  bool running() const { return process_ != nullptr; }

  // redis-cli with the server's address, credentials and CA; returns its stdout lines.
  std::vector<std::string> cli(const std::vector<std::string>& args, const std::string& ca_file = "") const;

 private:
  RedisOptions options_;
  std::string dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Process> process_;
};

// Whether redis-server and redis-cli are installed (deploy/install-deps.sh installs them).
bool redis_available();

}  // namespace jwt_sidecar::testing
