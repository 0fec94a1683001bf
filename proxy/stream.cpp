#include "proxy/stream.h"

#include <boost/asio/ssl.hpp>

namespace jwt_sidecar::proxy {
namespace {

namespace ssl = boost::asio::ssl;

// One deadline of one direction. The timer's handler reaches the stream through a weak
// pointer and an arm count, so a timer that fires as its operation completes, or after the
// stream is gone, does nothing.
struct Watch {
  explicit Watch(const net::any_io_executor& ex) : timer(ex) {}
  net::steady_timer timer;
  std::uint64_t armed = 0;  // incremented per operation
  bool active = false;
  bool expired = false;
};

struct Timeouts {
  Timeouts(const net::any_io_executor& ex, tcp::socket& s) : read(ex), write(ex), socket(&s) {}
  Watch read, write;
  tcp::socket* socket;
};

void arm(const std::shared_ptr<Timeouts>& t, Watch& w, Deadline deadline) {
  const auto id = ++w.armed;
  w.active = true;
  w.expired = false;
  w.timer.expires_at(deadline);
  w.timer.async_wait([weak = std::weak_ptr<Timeouts>(t), &w, id](const error_code& ec) {
    if (ec) return;
    const auto alive = weak.lock();
    if (!alive || w.armed != id || !w.active) return;
    w.expired = true;
    error_code ignored;
    alive->socket->cancel(ignored);  // ends the operation with operation_aborted
  });
}

void disarm(Watch& w, error_code& ec) {
  w.active = false;
  w.timer.cancel();
  if (w.expired) ec = beast::error::timeout;
}

template <typename Next>
tcp::socket& lowest_socket(Next& next) {
  if constexpr (std::is_same_v<Next, tcp::socket>) {
    return next;
  } else {
    return next.next_layer();
  }
}

template <typename Next>
class TimedStream final : public ByteStream {
 public:
  // `server`: which side of a TLS handshake this stream takes (unused for plain TCP).
  template <typename... Args>
  TimedStream(bool server, std::shared_ptr<SslContext> context, Args&&... args)
      : server_(server),
        context_(std::move(context)),
        next_(std::forward<Args>(args)...),
        timeouts_(std::make_shared<Timeouts>(lowest_socket(next_).get_executor(), lowest_socket(next_))) {}

  ~TimedStream() override {
    timeouts_->read.timer.cancel();
    timeouts_->write.timer.cancel();
  }

  awaitable<IoResult> read_some(net::mutable_buffer buffer, Deadline deadline) override {
    arm(timeouts_, timeouts_->read, deadline);
    auto [ec, n] = co_await next_.async_read_some(buffer, use_tuple);
    disarm(timeouts_->read, ec);
    co_return IoResult{ec, n};
  }

  awaitable<IoResult> write(std::span<const net::const_buffer> buffers, Deadline deadline) override {
    arm(timeouts_, timeouts_->write, deadline);
    auto [ec, n] = co_await net::async_write(next_, buffers, use_tuple);
    disarm(timeouts_->write, ec);
    co_return IoResult{ec, n};
  }
  using ByteStream::write;

  awaitable<void> shutdown_send(Deadline deadline) override {
    error_code ec;
    if constexpr (!std::is_same_v<Next, tcp::socket>) {
      if (handshake_done_) {
        arm(timeouts_, timeouts_->write, deadline);
        // Sends close_notify; does not wait for the peer's (we then close anyway).
        std::tie(ec) = co_await next_.async_shutdown(use_tuple);
        disarm(timeouts_->write, ec);
      }
    }
    lowest_socket(next_).shutdown(tcp::socket::shutdown_send, ec);
  }

  awaitable<error_code> handshake(Deadline deadline) override {
    error_code ec;
    if constexpr (!std::is_same_v<Next, tcp::socket>) {
      arm(timeouts_, timeouts_->read, deadline);
      std::tie(ec) = co_await next_.async_handshake(server_ ? ssl::stream_base::server : ssl::stream_base::client,
                                                   use_tuple);
      disarm(timeouts_->read, ec);
      handshake_done_ = !ec;
    }
    co_return ec;
  }

  tcp::socket& socket() override { return lowest_socket(next_); }
  bool is_tls() const override { return !std::is_same_v<Next, tcp::socket>; }
  Next& next() { return next_; }

 private:
  bool server_;
  std::shared_ptr<SslContext> context_;  // outlives next_ (declared first)
  Next next_;
  std::shared_ptr<Timeouts> timeouts_;
  bool handshake_done_ = false;
};

bool is_ip_literal(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

awaitable<IoResult> ByteStream::write(net::const_buffer buffer, Deadline deadline) {
  co_return co_await write(std::span<const net::const_buffer>(&buffer, 1), deadline);
}

std::unique_ptr<ByteStream> make_tcp_stream(tcp::socket socket) {
  return std::make_unique<TimedStream<tcp::socket>>(false, nullptr, std::move(socket));
}

std::unique_ptr<ByteStream> make_tls_server_stream(tcp::socket socket, std::shared_ptr<SslContext> context) {
  auto& ctx = *context;
  return std::make_unique<TimedStream<ssl::stream<tcp::socket>>>(true, std::move(context), std::move(socket), ctx);
}

std::unique_ptr<ByteStream> make_tls_client_stream(tcp::socket socket, std::shared_ptr<SslContext> context,
                                                   const std::string& server_name) {
  auto& ctx = *context;
  auto s = std::make_unique<TimedStream<ssl::stream<tcp::socket>>>(false, std::move(context), std::move(socket), ctx);
  auto* handle = s->next().native_handle();
  // RFC 6066 3: SNI carries host names only, never IP literals.
  if (!is_ip_literal(server_name)) SSL_set_tlsext_host_name(handle, server_name.c_str());
  s->next().set_verify_mode(ssl::verify_peer);
  s->next().set_verify_callback(ssl::host_name_verification(server_name));
  return s;
}

}  // namespace jwt_sidecar::proxy
