#include "proxy/io/stream.h"

#include <algorithm>
#include <optional>

#include <boost/asio/ssl.hpp>

#include "proxy/io/tls.h"

namespace jwt_sidecar::proxy {
namespace {

namespace ssl = boost::asio::ssl;

// Deadlines are enforced by one timer per io_context, not one per operation: arming or
// disarming an operation's deadline is a few stores (an Asio timer per operation cost an
// allocation, a timer-queue insert and a cancelled completion, several times per request).
// The sweep runs when the earliest deadline it knows of passes, and at most once per
// kSweepSpacing, so a timeout fires at its deadline or up to kSweepSpacing later. It cancels
// the socket, which ends the operation with operation_aborted; disarm() turns that into
// beast::error::timeout and leaves the connection open.
constexpr auto kSweepSpacing = std::chrono::milliseconds(50);

struct Watch {
  Deadline deadline{};
  bool active = false;
  bool expired = false;
};

// One stream's two directions, linked into its io_context's sweeper for the stream's life.
struct Watched {
  Watch read, write;
  tcp::socket* socket = nullptr;
  Watched* prev = nullptr;
  Watched* next = nullptr;
};

class DeadlineSweeper final : public net::execution_context::service {
 public:
  static inline net::execution_context::id id;

  explicit DeadlineSweeper(net::execution_context& context) : service(context) {}

  static DeadlineSweeper& of(const net::any_io_executor& ex) {
    return net::use_service<DeadlineSweeper>(net::query(ex, net::execution::context));
  }

  void add(Watched& w, const net::any_io_executor& ex) {
    if (!timer_ && !shut_down_) timer_.emplace(ex);
    w.prev = nullptr;
    w.next = head_;
    if (head_) head_->prev = &w;
    head_ = &w;
  }

  void remove(Watched& w) {
    if (w.prev) w.prev->next = w.next; else head_ = w.next;
    if (w.next) w.next->prev = w.prev;
    w.prev = w.next = nullptr;
  }

  void arm(Watch& watch, Deadline deadline) {
    watch.deadline = deadline;
    watch.active = true;
    watch.expired = false;
    // The sweep already due at or before this deadline will see it (or reschedule for it).
    if (waiting_ && next_sweep_ <= deadline) return;
    schedule(std::max(deadline, last_sweep_ + kSweepSpacing));
  }

  // Services are destroyed newest first; the timer's own service may be newer than this one
  // (made by the first stream), so the timer goes now, while every service still exists.
  void shutdown() override {
    shut_down_ = true;
    timer_.reset();
  }

 private:
  void schedule(Deadline at) {
    if (shut_down_ || !timer_) return;
    if (waiting_ && next_sweep_ <= at) return;
    waiting_ = true;
    next_sweep_ = at;
    const auto generation = ++generation_;
    timer_->expires_at(at);
    timer_->async_wait([this, generation](const error_code& ec) {
      if (ec || generation != generation_) return;  // rescheduled or shut down
      waiting_ = false;
      sweep();
    });
  }

  void sweep() {
    const auto now = std::chrono::steady_clock::now();
    last_sweep_ = now;
    auto earliest = Deadline::max();
    for (Watched* w = head_; w; w = w->next) {
      bool cancel = false;
      for (Watch* watch : {&w->read, &w->write}) {
        if (!watch->active || watch->expired) continue;
        if (watch->deadline <= now) {
          watch->expired = true;
          cancel = true;
        } else {
          earliest = std::min(earliest, watch->deadline);
        }
      }
      if (cancel) {
        error_code ignored;
        w->socket->cancel(ignored);  // ends the operation with operation_aborted
      }
    }
    if (earliest != Deadline::max()) schedule(std::max(earliest, now + kSweepSpacing));
  }

  std::optional<net::steady_timer> timer_;
  Watched* head_ = nullptr;
  bool waiting_ = false;
  bool shut_down_ = false;
  Deadline next_sweep_{};
  Deadline last_sweep_{};
  std::uint64_t generation_ = 0;
};

void disarm(Watch& w, error_code& ec) {
  w.active = false;
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
        sweeper_(DeadlineSweeper::of(lowest_socket(next_).get_executor())) {
    watched_.socket = &lowest_socket(next_);
    sweeper_.add(watched_, lowest_socket(next_).get_executor());
  }

  ~TimedStream() override { sweeper_.remove(watched_); }
  TimedStream(const TimedStream&) = delete;
  TimedStream& operator=(const TimedStream&) = delete;

  awaitable<IoResult> read_some(net::mutable_buffer buffer, Deadline deadline) override {
    sweeper_.arm(watched_.read, deadline);
    auto [ec, n] = co_await next_.async_read_some(buffer, use_tuple);
    disarm(watched_.read, ec);
    co_return IoResult{ec, n};
  }

  awaitable<IoResult> write(std::span<const net::const_buffer> buffers, Deadline deadline) override {
    sweeper_.arm(watched_.write, deadline);
    auto [ec, n] = co_await net::async_write(next_, buffers, use_tuple);
    disarm(watched_.write, ec);
    co_return IoResult{ec, n};
  }
  using ByteStream::write;

  awaitable<void> shutdown_send(Deadline deadline) override {
    error_code ec;
    if constexpr (!std::is_same_v<Next, tcp::socket>) {
      if (handshake_done_) {
        sweeper_.arm(watched_.write, deadline);
        // Sends close_notify; does not wait for the peer's (we then close anyway).
        std::tie(ec) = co_await next_.async_shutdown(use_tuple);
        disarm(watched_.write, ec);
      }
    }
    lowest_socket(next_).shutdown(tcp::socket::shutdown_send, ec);
  }

  awaitable<error_code> handshake(Deadline deadline) override {
    error_code ec;
    if constexpr (!std::is_same_v<Next, tcp::socket>) {
      sweeper_.arm(watched_.read, deadline);
      std::tie(ec) = co_await next_.async_handshake(server_ ? ssl::stream_base::server : ssl::stream_base::client,
                                                   use_tuple);
      disarm(watched_.read, ec);
      handshake_done_ = !ec;
    }
    co_return ec;
  }

  tcp::socket& socket() override { return lowest_socket(next_); }
  bool is_tls() const override { return !std::is_same_v<Next, tcp::socket>; }
  std::string_view alpn() const override {
    if constexpr (std::is_same_v<Next, tcp::socket>) {
      return {};
    } else {
      const unsigned char* data = nullptr;
      unsigned length = 0;
      SSL_get0_alpn_selected(const_cast<Next&>(next_).native_handle(), &data, &length);
      return data ? std::string_view(reinterpret_cast<const char*>(data), length) : std::string_view();
    }
  }
  Next& next() { return next_; }

 private:
  bool server_;
  std::shared_ptr<SslContext> context_;  // outlives next_ (declared first)
  Next next_;
  DeadlineSweeper& sweeper_;
  Watched watched_;
  bool handshake_done_ = false;
};

bool is_ip_literal(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

std::unique_ptr<ByteStream> make_tcp_stream(tcp::socket socket) {
  return std::make_unique<TimedStream<tcp::socket>>(false, nullptr, std::move(socket));
}

std::unique_ptr<ByteStream> make_tls_server_stream(tcp::socket socket, std::shared_ptr<SslContext> context,
                                                   bool offer_h2) {
  auto& ctx = *context;
  auto s = std::make_unique<TimedStream<ssl::stream<tcp::socket>>>(true, std::move(context), std::move(socket), ctx);
  if (offer_h2) SSL_set_ex_data(s->next().native_handle(), alpn_h2_index(), s.get());
  return s;
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
