#include "proxy/http2/client_session.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>

#include "proxy/http2/nv.h"
#include "proxy/io/connect.h"
#include "proxy/observability/log.h"

namespace jwt_sidecar::proxy::h2 {
namespace {

// Response bytes one upstream stream may have in flight before the client takes them.
constexpr std::int32_t kStreamWindow = 128 * 1024;
constexpr std::int32_t kConnectionWindow = 16 << 20;
// Until the upstream's SETTINGS say otherwise, RFC 9113 6.5.2 recommends assuming at least 100.
constexpr std::uint32_t kAssumedStreams = 100;
constexpr std::size_t kMaxPerUpstream = 4;
constexpr std::size_t kWriteBatch = 64 * 1024;
constexpr auto kForever = std::chrono::hours(24 * 365);

ConnectError connect_error(Connected::Failure failure) {
  return failure == Connected::Failure::timeout ? ConnectError::timeout
         : failure == Connected::Failure::tls   ? ConnectError::tls
                                                : ConnectError::unreachable;
}

}  // namespace

struct ClientSession::Callbacks {
  static ClientSession& self(void* user) { return *static_cast<ClientSession*>(user); }
  static UpstreamStream* up_of(nghttp2_session* session, std::int32_t id) {
    return static_cast<UpstreamStream*>(nghttp2_session_get_stream_user_data(session, id));
  }

  static int on_header(nghttp2_session* session, const nghttp2_frame* frame, const std::uint8_t* name,
                       std::size_t namelen, const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void*) {
    auto* up = up_of(session, frame->hd.stream_id);
    if (!up || frame->hd.type != NGHTTP2_HEADERS) return 0;
    Field f{std::string(reinterpret_cast<const char*>(name), namelen),
            std::string(reinterpret_cast<const char*>(value), valuelen)};
    if (up->headers_done) {
      up->client->response.trailers.push_back(std::move(f));  // trailers (gRPC's status)
    } else {
      up->response.push_back(std::move(f));
    }
    return 0;
  }

  static int on_frame_recv(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    auto& s = self(user);
    if (frame->hd.type == NGHTTP2_SETTINGS && !(frame->hd.flags & NGHTTP2_FLAG_ACK)) {
      s.ready_ = true;  // the upstream's limits are known: streams may go
      if (s.on_capacity) s.on_capacity();
      return 0;
    }
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      s.goaway_ = true;  // no new streams here; nghttp2 closes the unprocessed ones as refused
      if (s.on_capacity) s.on_capacity();
      return 0;
    }
    auto* up = up_of(session, frame->hd.stream_id);
    if (!up) return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && !up->headers_done) {
      // An interim (1xx) response is dropped; the final one is the stream's response.
      const bool interim = !up->response.empty() && up->response.front().name == ":status" &&
                           up->response.front().value.size() == 3 && up->response.front().value[0] == '1';
      if (interim) {
        up->response.clear();
      } else {
        up->headers_done = true;
        up->client->wake.notify();
      }
    }
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      up->client->response.ended = true;
      if (up->on_response_data) up->on_response_data();
      up->client->wake.notify();
    }
    return 0;
  }

  static int on_data_chunk_recv(nghttp2_session* session, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                                std::size_t len, void*) {
    nghttp2_session_consume_connection(session, len);
    auto* up = up_of(session, id);
    if (!up || up->client->closed) {
      nghttp2_session_consume_stream(session, id, len);
      return 0;
    }
    up->client->response.push(std::string_view(reinterpret_cast<const char*>(data), len));
    if (up->on_response_data) up->on_response_data();
    return 0;
  }

  static int on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t error_code, void* user) {
    auto& s = self(user);
    const auto it = s.streams_.find(id);
    if (it == s.streams_.end()) return 0;
    auto& up = *it->second;
    up.closed = true;
    up.error = error_code;
    up.refused = error_code == NGHTTP2_REFUSED_STREAM && !up.headers_done;
    up.client->wake.notify();
    s.streams_.erase(it);
    if (s.on_capacity) s.on_capacity();
    if (s.retired_ && s.streams_.empty()) s.finish();
    return 0;
  }

  static ssize_t read_request(nghttp2_session* session, std::int32_t id, std::uint8_t* buf, std::size_t length,
                              std::uint32_t* flags, nghttp2_data_source* source, void*) {
    auto* up = static_cast<UpstreamStream*>(source->ptr);
    std::size_t n = 0;
    const auto rv = read_pipe(session, id, up->client->request, buf, length, flags, n);
    if (n > 0 && up->admit && !up->admit(std::string_view(reinterpret_cast<const char*>(buf), n))) {
      up->over_limit = true;
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // RST_STREAM: the rest is not sent
    }
    if (n > 0) {
      up->request_taken += n;
      if (up->on_request_taken) up->on_request_taken(n);
    }
    return rv;
  }
};

ClientSession::ClientSession(std::unique_ptr<ByteStream> stream, std::string key)
    : stream_(std::move(stream)), key_(std::move(key)), write_wake_(stream_->socket().get_executor()) {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_header_callback(cb, Callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, Callbacks::on_data_chunk_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, Callbacks::on_stream_close);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_peer_max_concurrent_streams(opt, kAssumedStreams);
  nghttp2_session_client_new2(&session_, cb, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                             {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(kStreamWindow)}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
}

ClientSession::~ClientSession() { nghttp2_session_del(session_); }

void ClientSession::start() {
  auto self = shared_from_this();
  const auto ex = stream_->socket().get_executor();
  net::co_spawn(ex, [self]() -> awaitable<void> { co_await self->write_loop(); }, net::detached);
  net::co_spawn(ex, [self]() -> awaitable<void> { co_await self->read_loop(); }, net::detached);
}

bool ClientSession::has_capacity() const {
  if (!ready_) return false;
  const auto limit = nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  return streams_.size() < limit;
}

bool ClientSession::submit(const std::shared_ptr<UpstreamStream>& up, const std::vector<Field>& headers, bool body) {
  if (!usable()) return false;
  const auto nva = make_nv(headers);
  nghttp2_data_provider provider{};
  provider.source.ptr = up.get();
  provider.read_callback = Callbacks::read_request;
  const auto id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(), body ? &provider : nullptr, up.get());
  if (id < 0) return false;
  up->id = id;
  streams_[id] = up;
  wake_writer();
  return true;
}

void ClientSession::resume_request(UpstreamStream& up) {
  if (up.closed || closing_) return;
  nghttp2_session_resume_data(session_, up.id);
  wake_writer();
}

void ClientSession::consume_response(UpstreamStream& up, std::size_t n) {
  if (up.closed || closing_ || n == 0) return;
  nghttp2_session_consume_stream(session_, up.id, n);
  wake_writer();
}

void ClientSession::retire() {
  retired_ = true;
  goaway_ = true;
  if (streams_.empty()) finish();
}

void ClientSession::cancel(UpstreamStream& up, std::uint32_t error_code) {
  if (up.closed || closing_) return;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, up.id, error_code);
  wake_writer();
}

awaitable<void> ClientSession::read_loop() {
  auto self = shared_from_this();
  std::vector<char> buffer(16 * 1024);
  while (!closing_) {
    auto [ec, n] = co_await stream_->read_some(net::buffer(buffer), deadline_in(kForever));
    if (ec) break;
    const auto rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(buffer.data()), n);
    if (rv < 0) {
      log_warn("upstream HTTP/2 error", {{"upstream", key_}, {"error", nghttp2_strerror(static_cast<int>(rv))}});
      break;
    }
    wake_writer();
    if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) break;
  }
  finish();
}

awaitable<void> ClientSession::write_loop() {
  auto self = shared_from_this();
  std::string out;
  while (!closing_) {
    out.clear();
    take_output(session_, out, kWriteBatch);
    if (!out.empty()) {
      auto [ec, written] = co_await stream_->write(net::buffer(out), deadline_in(std::chrono::seconds(60)));
      if (ec) break;
      continue;
    }
    co_await write_wake_.wait(deadline_in(kForever));
  }
  finish();
}

// The connection is gone: every stream on it ends (a stream whose response had not begun and
// whose request the upstream cannot have read is retryable), and the reader stops.
void ClientSession::finish() {
  if (closing_) return;
  closing_ = true;
  error_code ignored;
  stream_->socket().close(ignored);
  write_wake_.notify();
  for (auto& [id, up] : streams_) {
    up->closed = true;
    up->error = NGHTTP2_CANCEL;
    up->client->wake.notify();
  }
  streams_.clear();
  if (on_capacity) on_capacity();
}

void ClientPool::clear() {
  for (auto& [key, list] : sessions_) {
    for (auto& s : list) s->retire();
  }
  sessions_.clear();
  alpn_h2_.clear();
}

awaitable<UpstreamProtocol> ClientPool::protocol_of(const UpstreamTarget& target, UpstreamPool& http1_pool,
                                                    std::chrono::milliseconds timeout, ConnectError& error) {
  if (target.h2) co_return UpstreamProtocol::h2;
  if (!target.tls) co_return UpstreamProtocol::http1;
  if (const auto it = alpn_h2_.find(target.key); it != alpn_h2_.end()) {
    co_return it->second ? UpstreamProtocol::h2 : UpstreamProtocol::http1;
  }
  auto c = co_await connect_stream(target.host, target.port, target.tls, target.server_name, deadline_in(timeout));
  if (c.failure != Connected::Failure::none) {
    error = connect_error(c.failure);
    co_return UpstreamProtocol::failed;
  }
  const bool h2 = c.stream->alpn() == "h2";
  alpn_h2_[target.key] = h2;
  if (!h2) {
    http1_pool.release(target, std::make_unique<UpstreamConnection>(std::move(c.stream)));
    co_return UpstreamProtocol::http1;
  }
  auto session = std::make_shared<ClientSession>(std::move(c.stream), target.key);
  session->on_capacity = [this] { room_.notify(); };
  session->start();
  sessions_[target.key].push_back(std::move(session));
  co_return UpstreamProtocol::h2;
}

ClientPool& ClientPool::of(Worker& worker) {
  if (!worker.h2_upstreams) worker.h2_upstreams.reset(new ClientPool(worker.ioc.get_executor()));
  return static_cast<ClientPool&>(*worker.h2_upstreams);
}

awaitable<std::shared_ptr<ClientSession>> ClientPool::acquire(const UpstreamTarget& target,
                                                              std::chrono::milliseconds timeout, ConnectError& error) {
  const auto deadline = deadline_in(timeout);
  while (true) {
    auto& list = sessions_[target.key];
    // A connection that ended before its SETTINGS came is no HTTP/2 upstream (or is going
    // away): this request fails rather than reconnecting in a loop.
    const bool refused = std::any_of(list.begin(), list.end(), [](const auto& s) { return !s->usable() && !s->ready(); });
    std::erase_if(list, [](const auto& s) { return !s->usable() && s->active() == 0; });
    if (refused) {
      error = ConnectError::unreachable;
      co_return nullptr;
    }
    for (const auto& s : list) {
      if (s->usable() && s->has_capacity()) co_return s;
    }
    // One connect at a time per upstream: a burst of streams waits for it and shares it.
    auto& connecting = connecting_[target.key];
    const auto open = std::count_if(list.begin(), list.end(), [](const auto& s) { return s->usable(); });
    // A connection still waiting for its SETTINGS counts as being opened.
    const bool settling = std::any_of(list.begin(), list.end(), [](const auto& s) { return s->usable() && !s->ready(); });
    if (connecting == 0 && !settling && static_cast<std::size_t>(open) < kMaxPerUpstream) {
      ++connecting;
      auto c = co_await connect_stream(target.host, target.port, target.tls, target.server_name, deadline);
      --connecting_[target.key];
      room_.notify();
      if (c.failure != Connected::Failure::none) {
        error = connect_error(c.failure);
        co_return nullptr;
      }
      if (target.tls && c.stream->alpn() != "h2") {
        alpn_h2_.erase(target.key);  // it stopped offering h2: ask again next time
        error = ConnectError::tls;
        co_return nullptr;
      }
      auto session = std::make_shared<ClientSession>(std::move(c.stream), target.key);
      session->on_capacity = [this] { room_.notify(); };
      session->start();
      sessions_[target.key].push_back(std::move(session));
      continue;  // used once the upstream's SETTINGS arrive (its stream limit, RFC 9113 6.5)
    }
    // Every connection is at the upstream's stream limit, or one is being opened: wait for a
    // stream to end or the connection to be ready.
    if (co_await room_.wait(deadline)) {
      error = ConnectError::timeout;
      co_return nullptr;
    }
  }
}

}  // namespace jwt_sidecar::proxy::h2
