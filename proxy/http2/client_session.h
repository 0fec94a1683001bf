// The upstream side of HTTP/2: connections to an h2c:// upstream (RFC 9113 3.3, prior
// knowledge), each carrying many streams, pooled per worker and per upstream. A connection
// honours the upstream's SETTINGS (its stream limit and windows) and GOAWAY (streams it did not
// process are reported as refused, so the forward can retry them once elsewhere).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/http1/worker.h"
#include "proxy/http2/stream.h"

struct nghttp2_session;

namespace jwt_sidecar::proxy::h2 {

// One request on an upstream connection. Its bodies travel in the client stream's pipes:
// the request pipe is read as the upstream's window allows, the response pipe is filled as
// DATA arrives (and the upstream's window reopened as the client takes it).
struct UpstreamStream {
  explicit UpstreamStream(std::shared_ptr<Stream> c) : client(std::move(c)) {}
  std::int32_t id = -1;
  std::shared_ptr<Stream> client;
  std::vector<Field> response;  // the final response header (":status" first)
  bool headers_done = false;
  bool closed = false;
  std::uint32_t error = 0;       // RST_STREAM / close code (0: completed)
  bool refused = false;          // not processed by the upstream (GOAWAY, REFUSED_STREAM): retryable
  std::uint64_t request_taken = 0;
  bool over_limit = false;       // the request body broke max_body_bytes (the stream was reset)
  // Checks request bytes before they go (the body limit); false resets the stream.
  std::function<bool(std::string_view)> admit;
  // Called with request bytes as the upstream's window takes them (credits the client).
  std::function<void(std::size_t)> on_request_taken;
  // Called when response bytes or the end arrived (resumes the client's DATA).
  std::function<void()> on_response_data;
};

class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  ClientSession(std::unique_ptr<ByteStream> stream, std::string key);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  void start();  // the reader and writer coroutines
  bool usable() const { return !closing_ && !goaway_; }
  bool ready() const { return ready_; }
  // Usable, the upstream's SETTINGS received, and fewer streams open than they allow.
  bool has_capacity() const;
  std::size_t active() const { return streams_.size(); }

  // Queues the request HEADERS (and the body from the client stream's request pipe when
  // `body`); false when the session cannot take it.
  bool submit(const std::shared_ptr<UpstreamStream>& up, const std::vector<Field>& headers, bool body);
  void resume_request(UpstreamStream& up);
  void consume_response(UpstreamStream& up, std::size_t n);
  void cancel(UpstreamStream& up, std::uint32_t error_code);
  // No new streams; the connection closes when its last stream ends (a reload's old pool).
  void retire();

  struct Callbacks;
  friend struct Callbacks;

  // Pool-wide: notified when a stream ends or a connection goes, so waiters can retry.
  std::function<void()> on_capacity;

 private:
  awaitable<void> read_loop();
  awaitable<void> write_loop();
  void finish();
  void wake_writer() { write_wake_.notify(); }

  std::unique_ptr<ByteStream> stream_;
  std::string key_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<std::int32_t, std::shared_ptr<UpstreamStream>> streams_;
  Wakeup write_wake_;
  bool closing_ = false;
  bool goaway_ = false;
  bool retired_ = false;
  bool ready_ = false;  // the upstream's first SETTINGS arrived
};

enum class UpstreamProtocol { h2, http1, failed };

// The worker's upstream HTTP/2 connections, by upstream key.
class ClientPool final : public UpstreamSessions {
 public:
  // What `target` speaks: h2c:// HTTP/2, http:// HTTP/1.1, and https:// what ALPN chose on the
  // first connection (RFC 7301; remembered per worker until a reload). That first connection
  // is kept for use: here when h2, in the worker's HTTP/1.1 pool otherwise.
  awaitable<UpstreamProtocol> protocol_of(const UpstreamTarget& target, UpstreamPool& http1_pool,
                                          std::chrono::milliseconds timeout, ConnectError& error);
  static ClientPool& of(Worker& worker);
  // A connection with room for one more stream, opening one (up to kMaxPerUpstream) when none
  // has; waits for room up to `timeout`. Null on failure (`error` says why).
  awaitable<std::shared_ptr<ClientSession>> acquire(const UpstreamTarget& target, std::chrono::milliseconds timeout,
                                                    ConnectError& error);
  void clear() override;

 private:
  explicit ClientPool(const net::any_io_executor& ex) : room_(ex) {}
  std::unordered_map<std::string, std::vector<std::shared_ptr<ClientSession>>> sessions_;
  std::unordered_map<std::string, std::size_t> connecting_;  // connects in progress, by key
  std::unordered_map<std::string, bool> alpn_h2_;             // https:// keys: ALPN chose h2
  Wakeup room_;
};

}  // namespace jwt_sidecar::proxy::h2
