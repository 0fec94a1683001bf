// A real HTTP upstream for integration tests, on 127.0.0.1 with a free port, in its own thread.
// It records every request it receives (the oracle for "a rejected request never reaches the
// upstream") and answers by path:
//   /download?bytes=N     N body bytes with Content-Length, streamed
//   /chunked?chunks=N     N chunks of 1 KiB, Transfer-Encoding: chunked
//   /slow?ms=N            waits N ms before answering
//   /close-delimited      a body ended by closing the connection
//   /status/NNN           that status
//   /ws                   101 Switching Protocols, then echoes bytes
//   /reset?after=N        a 200 header promising 1 MiB (Content-Length), N body bytes, then a
//                         TCP reset (SO_LINGER 0); &chunked=1 sends the N bytes as one chunk
//                         of a chunked body instead, &close=1 as a close-delimited body, and
//                         &header=0 resets before any response byte
//   anything else         200 with a small JSON body
// Request bodies are counted and streamed away, never buffered beyond the first 64 KiB.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace jwt_sidecar::testing {

struct SeenRequest {
  std::string method, target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::uint64_t body_bytes = 0;
  std::string body_prefix;  // first 64 KiB
  bool chunked = false;
  std::uint64_t connection = 0;  // which upstream connection carried it
  std::string header(const std::string& name) const;
  std::size_t count(const std::string& name) const;
};

class UpstreamServer {
 public:
  UpstreamServer();
  ~UpstreamServer();
  std::uint16_t port() const;
  std::vector<SeenRequest> requests() const;
  std::size_t request_count() const;
  std::uint64_t connections_accepted() const;
  void clear();
  // Stops listening and closes every connection (for "upstream down" tests).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jwt_sidecar::testing
