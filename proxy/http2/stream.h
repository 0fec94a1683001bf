// One HTTP/2 request/response exchange as the proxy holds it between its client and its
// upstream: the request's header fields, and a bounded pipe of body bytes in each direction.
// Owned by shared_ptr: the client session's stream map, the coroutine serving the stream, and
// an upstream HTTP/2 stream relaying into it may each hold it; whoever is last frees it. Only
// the worker thread that accepted the connection touches it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/io/net.h"
#include "proxy/io/stream.h"

namespace jwt_sidecar::proxy::h2 {

struct Field {
  std::string name;  // lower case (HTTP/2 requires it)
  std::string value;
};

// Wakes coroutines waiting on a condition that another party changes (data arrived, window
// opened, stream closed). Single-threaded: a waiter checks its condition and waits without
// suspending in between, so no notification is lost.
class Wakeup {
 public:
  explicit Wakeup(const net::any_io_executor& ex) : timer_(ex) {}
  // Returns when notified or at `deadline`; true when the deadline passed first.
  awaitable<bool> wait(Deadline deadline) {
    timer_.expires_at(deadline);
    auto [ec] = co_await timer_.async_wait(use_tuple);
    co_return !ec;
  }
  void notify() { timer_.cancel(); }

 private:
  net::steady_timer timer_;
};

// Body bytes of one direction, in arrival order, with the end and the trailers.
struct Pipe {
  std::deque<std::string> chunks;
  std::size_t offset = 0;  // into chunks.front()
  std::size_t size = 0;    // bytes buffered
  bool ended = false;      // the sender finished (trailers, if any, are complete)
  std::vector<Field> trailers;

  void push(std::string_view bytes) {
    if (bytes.empty()) return;
    chunks.emplace_back(bytes);
    size += bytes.size();
  }
  // Copies up to `max` bytes out; returns how many.
  std::size_t take(std::uint8_t* out, std::size_t max) {
    std::size_t n = 0;
    while (n < max && !chunks.empty()) {
      auto& front = chunks.front();
      const auto k = std::min(max - n, front.size() - offset);
      std::copy_n(front.data() + offset, k, out + n);
      n += k;
      offset += k;
      if (offset == front.size()) {
        chunks.pop_front();
        offset = 0;
      }
    }
    size -= n;
    return n;
  }
  // Moves everything out as one string (for writes to an HTTP/1.1 upstream).
  std::string take_all() {
    std::string out;
    out.reserve(size);
    bool first = true;
    for (auto& c : chunks) {
      out.append(c, first ? offset : 0);
      first = false;
    }
    chunks.clear();
    offset = 0;
    size = 0;
    return out;
  }
};

struct Stream : std::enable_shared_from_this<Stream> {
  Stream(std::int32_t stream_id, const net::any_io_executor& ex) : id(stream_id), wake(ex) {}

  std::int32_t id;
  std::vector<Field> headers;    // as received; pseudo-headers first (RFC 9113 8.3)
  std::size_t header_bytes = 0;  // RFC 9113 6.5.2 accounting: name + value + 32 per field
  bool header_too_large = false;
  bool grpc = false;
  Pipe request;    // client -> upstream
  Pipe response;   // upstream -> client
  bool response_submitted = false;  // the response HEADERS are queued (a data source is set)
  bool response_done = false;       // the response's last frame (END_STREAM) was sent
  bool discard_request = false;     // request bytes are credited and dropped as they come
  bool closed = false;              // the client's stream ended (completed or reset)
  std::uint32_t close_error = 0;    // the RST_STREAM / close error code
  bool reset_by_client = false;
  std::uint64_t bytes_in = 0, bytes_out = 0;
  std::uint64_t discarded = 0;  // request bytes dropped after the stream was answered
  Wakeup wake;  // the serving coroutine waits here for request bytes, window, or the close
  // Called when the client took `n` response bytes (an HTTP/2 upstream credits its window).
  std::function<void(std::size_t)> on_response_taken;
};

}  // namespace jwt_sidecar::proxy::h2
