// The byte streams of the data plane: a client or upstream connection is a ByteStream, plain
// TCP or TLS over TCP, so that the session and the forwarder are written once for both.
// Every operation takes its deadline or timeout and completes as (error_code, bytes); a
// passed deadline completes with beast::error::timeout. One read and one write may be in
// flight at a time (the WebSocket tunnel uses both).
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <tuple>

#include "proxy/net.h"

namespace jwt_sidecar::proxy {

using IoResult = std::tuple<error_code, std::size_t>;
using Deadline = std::chrono::steady_clock::time_point;

inline Deadline deadline_in(std::chrono::milliseconds timeout) {
  return std::chrono::steady_clock::now() + timeout;
}

class ByteStream {
 public:
  virtual ~ByteStream() = default;

  // Reads at least one byte into `buffer`, unless an error or the deadline comes first.
  virtual awaitable<IoResult> read_some(net::mutable_buffer buffer, Deadline deadline) = 0;
  // Writes every byte of `buffers`.
  virtual awaitable<IoResult> write(std::span<const net::const_buffer> buffers, Deadline deadline) = 0;
  awaitable<IoResult> write(net::const_buffer buffer, Deadline deadline);
  // Ends the sending direction (for TLS: close_notify first), leaving reads possible.
  virtual awaitable<void> shutdown_send(Deadline deadline) = 0;

  virtual tcp::socket& socket() = 0;
  virtual bool is_tls() const = 0;
  // Forgets any deadline (for a connection parked in the pool).
  virtual void clear_deadline() = 0;
};

class TcpByteStream final : public ByteStream {
 public:
  explicit TcpByteStream(tcp::socket socket) : stream_(std::move(socket)) {}
  explicit TcpByteStream(net::any_io_executor ex) : stream_(std::move(ex)) {}

  awaitable<IoResult> read_some(net::mutable_buffer buffer, Deadline deadline) override;
  awaitable<IoResult> write(std::span<const net::const_buffer> buffers, Deadline deadline) override;
  using ByteStream::write;
  awaitable<void> shutdown_send(Deadline deadline) override;
  tcp::socket& socket() override { return stream_.socket(); }
  bool is_tls() const override { return false; }
  void clear_deadline() override { stream_.expires_never(); }

  beast::tcp_stream& lowest() { return stream_; }

 private:
  beast::tcp_stream stream_;
};

}  // namespace jwt_sidecar::proxy
