// A client's HTTP/2 connection (RFC 9113), driven by nghttp2 from Asio: one coroutine reads
// and feeds nghttp2_session_mem_recv, one writes what nghttp2_session_mem_send produces, and
// each request stream is served by its own coroutine (stream_handler.h) under the same
// decision as HTTP/1.1. Hardening lives here: the stream limit, the header list limit, and the
// flood rules that end a connection with GOAWAY ENHANCE_YOUR_CALM.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/http1/worker.h"
#include "proxy/http2/downstream.h"
#include "proxy/http2/flood_guard.h"
#include "proxy/http2/stream.h"
#include "proxy/io/net.h"

struct nghttp2_session;

namespace jwt_sidecar::proxy::h2 {

// Serves one connection whose first bytes (`received`, possibly empty) were already read: the
// client connection preface check of a plain listener, or nothing after ALPN "h2".
awaitable<void> run_server_session(Worker& worker, std::unique_ptr<ByteStream> stream, std::string client_ip,
                                   std::string received);

class ServerSession final : public Downstream, public std::enable_shared_from_this<ServerSession> {
 public:
  ServerSession(Worker& worker, std::unique_ptr<ByteStream> stream, std::string client_ip);
  ~ServerSession() override;
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  awaitable<void> run(std::string received);

  Worker& worker() override { return worker_; }
  const std::string& client_ip() const { return client_ip_; }
  bool tls() const;

  // Downstream: what a stream's coroutine does with its stream (each wakes the writer).
  void submit_response(Stream& s, const std::vector<Field>& headers, bool body) override;
  void resume_response(Stream& s) override;
  void credit_request(Stream& s, std::size_t n) override;
  void reset(Stream& s, std::uint32_t error_code) override;  // RST_STREAM (RFC 9113 7)
  void discard_request(Stream& s) override;  // credited and dropped
  std::shared_ptr<Downstream> hold() override { return shared_from_this(); }
  // The stream's coroutine ended (it counted against the stream limit until now).
  void handler_finished();
  bool closing() const { return closing_; }

  // nghttp2's callbacks (server_callbacks.cpp) reach the session through these.
  struct Callbacks;
  friend struct Callbacks;

 private:
  awaitable<void> write_loop();
  bool feed(const char* data, std::size_t n);  // false: the connection ends
  void finish();                               // stop reading; the writer flushes, then close
  void start_stream(const std::shared_ptr<Stream>& s);
  void calm_down(std::string_view why);  // GOAWAY ENHANCE_YOUR_CALM, then close
  void drain();                           // SIGTERM: GOAWAY NO_ERROR, streams finish
  void wake_writer() { write_wake_.notify(); }

  Worker& worker_;
  std::unique_ptr<ByteStream> stream_;
  std::string client_ip_;
  nghttp2_session* session_ = nullptr;
  std::shared_ptr<const Runtime> rt_;  // the connection's limits: the config when it opened
  std::unordered_map<std::int32_t, std::shared_ptr<Stream>> streams_;
  Wakeup write_wake_;
  bool closing_ = false;   // no more reading; the writer flushes and the connection ends
  bool draining_ = false;  // GOAWAY sent for a drain: close when the last stream ends
  bool writer_done_ = false;
  Wakeup writer_exit_;

  FloodGuard flood_;
  std::size_t handlers_running_ = 0;  // stream coroutines not finished (reset or not)
  std::string calm_reason_;
  friend awaitable<void> serve_stream(std::shared_ptr<ServerSession>, std::shared_ptr<Stream>);
};

}  // namespace jwt_sidecar::proxy::h2
