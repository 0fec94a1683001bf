// A deliberately dumb HTTP/1.1 client over a raw TCP socket: it sends exactly the bytes a test
// gives it (smuggling attempts included) and parses responses strictly enough to assert on.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jwt_sidecar::testing {

struct Response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first header with this name (case-insensitive), or "".
  std::string header(std::string_view name) const;
  std::size_t count(std::string_view name) const;
};

class RawClient {
 public:
  explicit RawClient(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(15));
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool send(std::string_view bytes);
  // One response; nullopt when the connection closed or timed out first.
  std::optional<Response> read_response(bool head_request = false);
  // True when the peer closes (EOF or reset) within `wait`, discarding anything it sends.
  bool closed_by_peer(std::chrono::milliseconds wait = std::chrono::seconds(10));
  void shutdown_write();
  // Exactly `n` raw bytes (whatever is buffered first); "" on close or timeout.
  std::string read_exact(std::size_t n);
  int fd() const { return fd_; }

 private:
  bool fill();  // reads more bytes into buffer_; false on EOF, error or timeout
  bool read_line(std::string& line);
  int fd_ = -1;
  std::string buffer_;
};

// One request on a fresh connection: "GET target HTTP/1.1" with Host and the given headers.
std::optional<Response> http_request(std::uint16_t port, std::string_view method, std::string_view target,
                                     const std::vector<std::pair<std::string, std::string>>& headers = {},
                                     std::string_view body = {});

}  // namespace jwt_sidecar::testing
