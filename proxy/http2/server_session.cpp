#include "proxy/http2/server_session.h"

#include <nghttp2/nghttp2.h>

#include "proxy/http1/session.h"
#include "proxy/http2/nv.h"
#include "proxy/http2/stream_handler.h"
#include "proxy/observability/log.h"
#include "proxy/observability/metrics.h"

namespace jwt_sidecar::proxy::h2 {
namespace {

// The client may have this many request bytes per stream in flight (SETTINGS_INITIAL_WINDOW_SIZE):
// what a stream buffers while its upstream is slower. The connection window is credited as
// bytes arrive; the stream windows only as the upstream takes them.
constexpr std::int32_t kStreamWindow = 128 * 1024;
constexpr std::int32_t kConnectionWindow = 16 << 20;
constexpr std::size_t kWriteBatch = 64 * 1024;
constexpr std::uint64_t kMaxDiscard = 1 << 20;
constexpr std::size_t kReadMax = 16 * 1024;
constexpr auto kForever = std::chrono::hours(24 * 365);

}  // namespace

struct ServerSession::Callbacks {
  static ServerSession& self(void* user) { return *static_cast<ServerSession*>(user); }
  static Stream* stream_of(nghttp2_session* session, std::int32_t id) {
    return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, id));
  }

  static int on_begin_frame(nghttp2_session*, const nghttp2_frame_hd* hd, void* user) {
    auto& s = self(user);
    const auto flood = s.flood_.frame_begins(hd->type, hd->flags, hd->length);
    if (flood.empty()) return 0;
    s.calm_reason_ = flood;
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }

  static int on_begin_headers(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    auto& s = self(user);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    auto stream = std::make_shared<Stream>(frame->hd.stream_id, s.stream_->socket().get_executor());
    nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, stream.get());
    s.streams_[frame->hd.stream_id] = std::move(stream);
    s.flood_.stream_opened();
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
                       const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void* user) {
    auto& s = self(user);
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    auto* st = stream_of(s.session_, frame->hd.stream_id);
    if (!st) return 0;
    // RFC 9113 6.5.2: the size of a header list counts 32 octets per field beyond its bytes.
    st->header_bytes += namelen + valuelen + 32;
    const auto limit = s.rt_->config.limits.max_header_bytes;
    Field f{std::string(reinterpret_cast<const char*>(name), namelen),
            std::string(reinterpret_cast<const char*>(value), valuelen)};
    if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      // Over the limit: keep decoding (HPACK state is shared) but keep nothing; the stream is
      // answered 431 when its header block ends.
      if (st->header_bytes > limit) st->header_too_large = true;
      if (!st->header_too_large) st->headers.push_back(std::move(f));
      return 0;
    }
    // Trailers: over the limit, the stream is reset (its request is already on its way).
    if (st->header_bytes > limit) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    st->request.trailers.push_back(std::move(f));
    return 0;
  }

  static int on_frame_recv(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    auto& s = self(user);
    auto* st = stream_of(session, frame->hd.stream_id);
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS:
        if (!st) break;
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
          if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) st->request.ended = true;
          s.start_stream(s.streams_[frame->hd.stream_id]);
        } else if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
          st->request.ended = true;
          st->wake.notify();
        }
        break;
      case NGHTTP2_DATA:
        if (st && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
          st->request.ended = true;
          st->wake.notify();
        }
        break;
      case NGHTTP2_RST_STREAM:
        if (st) {
          st->reset_by_client = true;
          const auto flood = s.flood_.stream_reset(!st->response_done);
          if (!flood.empty()) {
            s.calm_reason_ = flood;
            return NGHTTP2_ERR_CALLBACK_FAILURE;
          }
        }
        break;
      default:
        break;
    }
    return 0;
  }

  static int on_data_chunk_recv(nghttp2_session* session, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                                std::size_t len, void*) {
    nghttp2_session_consume_connection(session, len);
    auto* st = stream_of(session, id);
    if (!st || st->closed || st->discard_request) {
      nghttp2_session_consume_stream(session, id, len);
      // The body of an answered request is read and dropped (clients such as curl treat an
      // early RST_STREAM as an error), up to a bound; then RST_STREAM NO_ERROR (RFC 9113 8.1).
      if (st && (st->discarded += len) > kMaxDiscard && st->response_done) {
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR);
      }
      return 0;
    }
    st->request.push(std::string_view(reinterpret_cast<const char*>(data), len));
    st->bytes_in += len;
    st->wake.notify();
    return 0;
  }

  static int on_frame_send(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    auto& s = self(user);
    if (frame->hd.type == NGHTTP2_DATA) s.flood_.data_sent();
    if ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      if (auto* st = stream_of(session, frame->hd.stream_id)) st->response_done = true;
    }
    return 0;
  }

  static int on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t error_code, void* user) {
    auto& s = self(user);
    const auto it = s.streams_.find(id);
    if (it == s.streams_.end()) return 0;
    auto& st = *it->second;
    st.closed = true;
    st.close_error = error_code;
    st.wake.notify();
    s.streams_.erase(it);
    if (s.draining_ && s.streams_.empty()) s.finish();
    return 0;
  }

  static ssize_t read_response(nghttp2_session* session, std::int32_t id, std::uint8_t* buf, std::size_t length,
                                     std::uint32_t* flags, nghttp2_data_source* source, void*) {
    auto* st = static_cast<Stream*>(source->ptr);
    std::size_t n = 0;
    const auto rv = read_pipe(session, id, st->response, buf, length, flags, n);
    if (n > 0) {
      st->bytes_out += n;
      if (st->on_response_taken) st->on_response_taken(n);
      st->wake.notify();  // room in the pipe for the upstream side
    }
    return rv;
  }
};

ServerSession::ServerSession(Worker& worker, std::unique_ptr<ByteStream> stream, std::string client_ip)
    : worker_(worker),
      stream_(std::move(stream)),
      client_ip_(std::move(client_ip)),
      rt_(worker.current()),
      write_wake_(stream_->socket().get_executor()),
      writer_exit_(stream_->socket().get_executor()),
      flood_(rt_->config.limits.max_header_bytes, rt_->config.limits.max_concurrent_streams) {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_begin_frame_callback(cb, Callbacks::on_begin_frame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, Callbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, Callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, Callbacks::on_data_chunk_recv);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, Callbacks::on_frame_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, Callbacks::on_stream_close);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  // nghttp2's own backstops stay on, above our limits (ours answer ENHANCE_YOUR_CALM first).
  nghttp2_option_set_max_continuations(opt, FloodGuard::kMaxContinuations * 2);
  nghttp2_option_set_stream_reset_rate_limit(opt, 100000, 10000);
  nghttp2_option_set_max_settings(opt, 32);
  nghttp2_session_server_new2(&session_, cb, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);
  const auto& limits = rt_->config.limits;
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(kStreamWindow)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(limits.max_header_bytes)},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
}

ServerSession::~ServerSession() { nghttp2_session_del(session_); }

bool ServerSession::tls() const { return stream_->is_tls(); }

awaitable<void> run_server_session(Worker& worker, std::unique_ptr<ByteStream> stream, std::string client_ip,
                                   std::string received) {
  auto session = std::make_shared<ServerSession>(worker, std::move(stream), std::move(client_ip));
  co_await session->run(std::move(received));
}

awaitable<void> ServerSession::run(std::string received) {
  auto self = shared_from_this();
  Metrics::instance().connection_opened();
  const auto id = worker_.next_connection_id++;
  std::weak_ptr<ServerSession> weak = self;
  worker_.connections[id] = {stream_.get(), false, [weak] {
                               if (auto s = weak.lock()) s->drain();
                             }};
  const auto& limits = rt_->config.limits;
  const auto executor = stream_->socket().get_executor();
  net::co_spawn(executor, [self]() -> awaitable<void> { co_await self->write_loop(); }, net::detached);
  if (worker_.state.draining.load()) drain();

  bool ok = received.empty() || feed(received.data(), received.size());
  bool peer_gone = false;
  // Small while the connection is quiet (idle connections are the many); grown once a read
  // fills it.
  std::vector<char> buffer(4 * 1024);
  bool first = received.empty();
  while (ok && !closing_) {
    // The first bytes (the preface) must come within header_timeout; a connection without
    // streams may idle for idle_timeout; with streams open, each stream keeps its own time.
    const auto timeout = first ? limits.header_timeout : limits.idle_timeout;
    auto [ec, n] = co_await stream_->read_some(net::buffer(buffer), deadline_in(timeout));
    if (ec == beast::error::timeout && !first && !streams_.empty()) continue;
    if (ec == beast::error::timeout) {
      nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);  // GOAWAY: idle
      break;
    }
    if (ec) {
      peer_gone = true;  // EOF or an error: a further read would only wait for its deadline
      break;
    }
    first = false;
    ok = feed(buffer.data(), n);
    if (n == buffer.size() && buffer.size() < kReadMax) buffer.resize(kReadMax);
  }
  finish();
  while (!writer_done_) co_await writer_exit_.wait(deadline_in(kForever));
  // Streams still open end here: their coroutines see `closed` and stop.
  for (auto& [sid, st] : streams_) {
    st->closed = true;
    st->close_error = NGHTTP2_CANCEL;
    st->wake.notify();
  }
  streams_.clear();
  worker_.connections.erase(id);
  if (peer_gone) {
    error_code ignored;
    stream_->socket().close(ignored);
  } else {
    // Closing with unread bytes would make the kernel reset the connection, and the client
    // could lose the GOAWAY just sent: FIN first, then read and drop until the client closes.
    co_await linger_close(*stream_);
  }
  Metrics::instance().connection_closed();
}

bool ServerSession::feed(const char* data, std::size_t n) {
  const auto rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(data), n);
  if (rv >= 0) {
    wake_writer();
    return true;
  }
  if (!calm_reason_.empty() || rv == NGHTTP2_ERR_FLOODED || rv == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS) {
    if (calm_reason_.empty()) calm_reason_ = rv == NGHTTP2_ERR_FLOODED ? "outbound_flood" : "continuation_flood";
    nghttp2_session_terminate_session(session_, NGHTTP2_ENHANCE_YOUR_CALM);
    Metrics::instance().h2_goaway(calm_reason_);
    log_info("HTTP/2 connection ended", {{"client", client_ip_}, {"reason", calm_reason_}, {"goaway", "ENHANCE_YOUR_CALM"}});
  } else {
    // nghttp2 queued the GOAWAY the protocol error calls for (PROTOCOL_ERROR, FLOW_CONTROL_ERROR,
    // COMPRESSION_ERROR...); a bad preface gets none.
    log_debug("HTTP/2 connection error", {{"client", client_ip_}, {"error", nghttp2_strerror(static_cast<int>(rv))}});
  }
  // The reader stops by itself (this is its call): no shutdown of the receiving side, so that
  // the linger below can drain what the client still sends while it reads our GOAWAY.
  closing_ = true;
  wake_writer();
  return false;
}

void ServerSession::finish() {
  if (closing_) return;
  closing_ = true;
  // Ends the reader's pending read (the writer still flushes what nghttp2 queued).
  error_code ignored;
  stream_->socket().shutdown(tcp::socket::shutdown_receive, ignored);
  wake_writer();
}

awaitable<void> ServerSession::write_loop() {
  auto self = shared_from_this();
  std::string out;
  while (true) {
    out.clear();
    take_output(session_, out, kWriteBatch);
    if (!out.empty()) {
      auto [ec, written] = co_await stream_->write(net::buffer(out), deadline_in(rt_->config.limits.idle_timeout));
      if (ec) {
        finish();
        break;
      }
      continue;
    }
    if (closing_ || (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_))) break;
    co_await write_wake_.wait(deadline_in(kForever));
  }
  finish();
  writer_done_ = true;
  writer_exit_.notify();
}

void ServerSession::start_stream(const std::shared_ptr<Stream>& s) {
  if (closing_) return;
  // Streams whose coroutines still run (a reset stream may still be unwinding its upstream
  // exchange) count against the limit too: the upstream never sees more than it allows.
  if (handlers_running_ >= rt_->config.limits.max_concurrent_streams) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_REFUSED_STREAM);
    return;
  }
  ++handlers_running_;
  auto self = shared_from_this();
  // Posted, not started here: this runs inside nghttp2_session_mem_recv.
  net::post(stream_->socket().get_executor(), [self, s] {
    net::co_spawn(self->stream_->socket().get_executor(), serve_stream(self, s), net::detached);
  });
}

void ServerSession::drain() {
  if (draining_ || closing_) return;
  draining_ = true;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                        NGHTTP2_NO_ERROR, nullptr, 0);
  if (streams_.empty()) finish();
  wake_writer();
}

void ServerSession::handler_finished() {
  --handlers_running_;
}

void ServerSession::submit_response(Stream& s, const std::vector<Field>& headers, bool body) {
  if (s.closed || closing_) return;
  const auto nva = make_nv(headers);
  nghttp2_data_provider provider{};
  provider.source.ptr = &s;
  provider.read_callback = Callbacks::read_response;
  nghttp2_submit_response(session_, s.id, nva.data(), nva.size(), body ? &provider : nullptr);
  s.response_submitted = true;
  wake_writer();
}

void ServerSession::resume_response(Stream& s) {
  if (s.closed || closing_) return;
  nghttp2_session_resume_data(session_, s.id);
  wake_writer();
}

void ServerSession::credit_request(Stream& s, std::size_t n) {
  if (s.closed || closing_ || n == 0) return;
  nghttp2_session_consume_stream(session_, s.id, n);
  wake_writer();
}

void ServerSession::discard_request(Stream& s) {
  s.discard_request = true;
  credit_request(s, s.request.size);
  s.request.chunks.clear();
  s.request.offset = 0;
  s.request.size = 0;
}

void ServerSession::reset(Stream& s, std::uint32_t error_code) {
  if (s.closed || closing_) return;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, error_code);
  wake_writer();
}

}  // namespace jwt_sidecar::proxy::h2
