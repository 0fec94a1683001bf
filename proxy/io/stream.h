// The byte streams of the data plane: a client or upstream connection is a ByteStream, plain
// TCP or TLS over TCP, so that the session and the forwarder are written once for both.
// Every operation takes its deadline and completes as (error_code, bytes); a passed deadline
// completes the operation with beast::error::timeout and leaves the connection open (so that,
// say, a 408 can still be written). One read and one write may be in flight at a time (the
// WebSocket tunnel uses both).
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <tuple>

#include "proxy/io/net.h"

namespace boost::asio::ssl {
class context;
}

namespace jwt_sidecar::proxy {

using IoResult = std::tuple<error_code, std::size_t>;
using Deadline = std::chrono::steady_clock::time_point;
using SslContext = boost::asio::ssl::context;

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
  // One buffer. Not a coroutine of its own (one frame fewer per write): `buffer` must live
  // until the write completes, as a temporary in the `co_await stream.write(...)` expression does.
  awaitable<IoResult> write(const net::const_buffer& buffer, Deadline deadline) {
    return write(std::span<const net::const_buffer>(&buffer, 1), deadline);
  }
  // Ends the sending direction (for TLS: close_notify first), leaving reads possible.
  virtual awaitable<void> shutdown_send(Deadline deadline) = 0;
  // TLS only: the handshake (server or client side, as the stream was made). Plain: no-op.
  virtual awaitable<error_code> handshake(Deadline deadline) = 0;

  virtual tcp::socket& socket() = 0;
  virtual bool is_tls() const = 0;
  // TLS: the protocol ALPN chose in the handshake ("h2", "http/1.1"), or "" when none was.
  virtual std::string_view alpn() const { return {}; }
};

std::unique_ptr<ByteStream> make_tcp_stream(tcp::socket socket);
// Server side of TLS on an accepted socket; keeps `context` alive. With `offer_h2`, ALPN may
// choose "h2" (see tls.h); otherwise only "http/1.1".
std::unique_ptr<ByteStream> make_tls_server_stream(tcp::socket socket, std::shared_ptr<SslContext> context,
                                                   bool offer_h2 = false);
// Client side of TLS to an upstream: sends `server_name` as SNI (unless it is an IP address)
// and checks the certificate against it.
std::unique_ptr<ByteStream> make_tls_client_stream(tcp::socket socket, std::shared_ptr<SslContext> context,
                                                   const std::string& server_name);

}  // namespace jwt_sidecar::proxy
