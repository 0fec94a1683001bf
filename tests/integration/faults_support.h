// What the faults_*_test.cpp files share: a proxy with the standard routes plus /reset, the
// open-descriptor count of a process, and raw-socket helpers (read to the end, close with a
// reset). The cases live in the file of their kind: upstream and client faults, identity
// provider faults, signals under load.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>

#include "tests/integration/fixture.h"

namespace jwt_sidecar::testing::faults {

using Clock = std::chrono::steady_clock;

inline double metric_or_zero(std::uint16_t admin_port, const std::string& series) {
  return metric(admin_port, series).value_or(0);
}

inline std::size_t open_fds(pid_t pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

// The standard routes plus /reset, which the upstream answers with a cut response.
inline std::string fault_config(std::uint16_t upstream_port, const std::string& jwks_path, const std::string& extra_top = "") {
  return standard_config(upstream_port, jwks_path, extra_top) + "  - name: reset\n    match: {prefix: /reset}\n";
}

struct FaultFixture {
  explicit FaultFixture(const std::string& extra_top = "")
      : jwks_path(dir.write("jwks.json", jwks_of({TestKey::shared_ec("P-256").jwk("k1")}))),
        proxy(fault_config(upstream.port(), jwks_path, extra_top)) {}
  std::uint16_t port() const { return proxy.port(); }
  std::uint16_t admin() const { return proxy.admin_port(); }

  TempDir dir;
  UpstreamServer upstream;
  std::string jwks_path;
  ProxyProcess proxy;
};

// Everything a connection delivers until the peer closes it, and how it ended.
struct Drained {
  std::string bytes;
  bool closed = false;  // EOF or reset, as opposed to a timeout
};

inline Drained read_until_close(RawClient& c, std::chrono::milliseconds wait = std::chrono::seconds(10)) {
  timeval tv{static_cast<time_t>(wait.count() / 1000), static_cast<suseconds_t>((wait.count() % 1000) * 1000)};
  setsockopt(c.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  Drained d;
  char buf[65536];
  while (true) {
    const auto n = ::recv(c.fd(), buf, sizeof buf, 0);
    if (n > 0) {
      d.bytes.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    d.closed = n == 0 || errno == ECONNRESET;
    return d;
  }
}

// Closes a client's socket with a reset instead of a FIN.
inline void reset(RawClient& c) {
  const linger l{1, 0};
  setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::shutdown(c.fd(), SHUT_RDWR);
}

inline std::string get(const std::string& target, const std::string& token_value, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer(token_value) + "\r\n" + extra + "\r\n";
}

}  // namespace jwt_sidecar::testing::faults
