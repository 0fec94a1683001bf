// An identity provider's key endpoint for integration tests: HTTP or HTTPS on 127.0.0.1 with a
// free port, in its own thread, whose behaviour each test sets (keys, discovery, failures) and
// whose counters let a test wait for a fetch instead of sleeping.
//   /jwks.json                                   the JWKS set by set_jwks (a "fetch")
//   <any prefix>/.well-known/openid-configuration the document set by set_discovery (404 until set)
//   a path given to set_redirect                 302 with that Location
//   anything else                                404
// Mode overrides all of that for every request (and, for close, every connection).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace jwt_sidecar::testing {

struct ServerCert;

class JwksServer {
 public:
  static constexpr const char* kJwksPath = "/jwks.json";

  enum class Mode {
    normal,
    status_500,  // 500 with a text body
    garbage,     // 200, Content-Type application/json, a body that is not JSON
    endless,     // 200 chunked, ~64 KiB every few ms, never finishes, until the client leaves
    slow,        // reads the request and never answers, holding the connection
    close,       // accepts and closes at once: no TLS handshake, no response
  };

  // What one request looked like, for tests of Host, SNI and paths.
  struct Request {
    std::string method, target, host;
    std::string sni;  // the TLS server name the client sent; "" over plain HTTP or without SNI
  };

  // Plain HTTP.
  JwksServer();
  // HTTPS presenting `chain_pem` (leaf first) with `key_pem`.
  JwksServer(const std::string& chain_pem, const std::string& key_pem);
  explicit JwksServer(const ServerCert& cert);
  ~JwksServer();
  JwksServer(const JwksServer&) = delete;
  JwksServer& operator=(const JwksServer&) = delete;

  // Setters may be called from any thread, while requests are in flight; each applies from
  // the next request on. The JWKS starts as {"keys":[]} without Cache-Control.
  void set_jwks(std::string json, std::optional<int> max_age_seconds = std::nullopt);
  void set_discovery(std::string json);
  void set_mode(Mode mode);
  // Every answer written (normal, status_500, garbage, redirects) waits this long first:
  // an IdP that is slow but within the client's timeouts. 0 (the default) answers at once.
  void set_delay(std::chrono::milliseconds delay);
  void set_redirect(std::string path_from, std::string location);
  void clear_redirects();

  std::uint16_t port() const { return port_; }
  bool tls() const;
  // "https://localhost:PORT" (the name the test certificates carry) or "http://127.0.0.1:PORT".
  std::string base_url() const;
  std::string jwks_url() const;  // base_url() + kJwksPath

  // Counters survive stop() and restart(), so "fetched again after the outage" is a count.
  std::size_t fetch_count() const;       // complete requests for kJwksPath, in any mode
  std::size_t request_count() const;     // complete requests for any path
  std::size_t connection_count() const;  // accepted TCP connections
  std::vector<Request> requests() const;
  // True once the count reaches `n`; false if `timeout` passes first.
  bool wait_for_fetches(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  bool wait_for_connections(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  // Closes the listener and every connection and joins the thread; on return a connect to
  // port() is refused. stop() and restart() belong to the test thread: not concurrent.
  void stop();
  // Listens again on the same port (SO_REUSEADDR, so old connections in TIME_WAIT don't
  // block it). Stops first if running.
  void restart();
  bool running() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
};

}  // namespace jwt_sidecar::testing
