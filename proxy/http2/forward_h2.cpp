// h2 -> h2c: an allowed stream sent as a stream of a pooled upstream HTTP/2 connection. Both
// bodies stream at once (gRPC's bidirectional calls need it), each under the other side's
// flow control; trailers go both ways; a client's RST_STREAM cancels the upstream stream.
#include <chrono>

#include <nghttp2/nghttp2.h>

#include "proxy/http2/client_session.h"
#include "proxy/http2/forward.h"

namespace jwt_sidecar::proxy::h2 {
namespace {

using Clock = std::chrono::steady_clock;

class H2Forward {
 public:
  explicit H2Forward(Forward& f)
      : f_(f), st_(f.stream), limits_(f.rt.config.limits),
        body_limit_(std::make_shared<BodyLimit>(limits_.max_body_bytes, st_.grpc)) {}

  awaitable<ForwardOutcome> run() {
    const auto headers = request_headers();
    const bool has_body = !(st_.request.ended && st_.request.size == 0 && st_.request.trailers.empty());
    const auto deadline = deadline_in(limits_.upstream_timeout);
    for (int attempt = 0; attempt < 2; ++attempt) {
      ConnectError error = ConnectError::none;
      session_ = co_await ClientPool::of(f_.conn.worker()).acquire(f_.upstream, limits_.upstream_timeout, error);
      if (!session_) {
        co_return fail(error == ConnectError::timeout ? 504 : 502,
                       error == ConnectError::timeout ? "upstream_timeout" : "upstream_unreachable");
      }
      up_ = make_upstream_stream();
      if (!session_->submit(up_, headers, has_body)) continue;  // it went away meanwhile
      const auto step = co_await await_response_head(deadline);
      if (step == Step::retry && attempt == 0) continue;
      if (step == Step::retry) co_return fail(502, "upstream_refused");
      if (step == Step::failed) co_return outcome_;
      co_return co_await relay();
    }
    co_return fail(502, "upstream_unreachable");
  }

 private:
  enum class Step { ok, retry, failed };

  std::vector<Field> request_headers() const {
    std::vector<Field> h;
    h.reserve(f_.fields.size() + 5);
    h.push_back({":method", std::string(f_.method)});
    h.push_back({":scheme", f_.upstream.tls ? "https" : "http"});
    h.push_back({":authority", std::string(f_.authority)});
    h.push_back({":path", f_.target});
    h.insert(h.end(), f_.fields.begin(), f_.fields.end());
    if (f_.content_length) h.push_back({"content-length", std::to_string(*f_.content_length)});
    return h;
  }

  std::shared_ptr<UpstreamStream> make_upstream_stream() {
    auto up = std::make_shared<UpstreamStream>(st_.shared_from_this());
    auto conn = f_.conn.hold();
    Stream* st = &st_;
    up->on_request_taken = [conn, st](std::size_t n) { conn->credit_request(*st, n); };
    up->on_response_data = [conn, st] { conn->resume_response(*st); };
    up->admit = [limit = body_limit_](std::string_view bytes) { return limit->admit(bytes); };
    // The client stream may outlive this forward (its last DATA still queued): weak references.
    std::weak_ptr<ClientSession> session = session_;
    std::weak_ptr<UpstreamStream> weak_up = up;
    st_.on_response_taken = [session, weak_up](std::size_t n) {
      auto s = session.lock();
      auto u = weak_up.lock();
      if (s && u) s->consume_response(*u, n);
    };
    return up;
  }

  ForwardOutcome fail(unsigned status, std::string_view reason) const { return clock_.fail(status, reason); }
  std::int64_t micros() const { return clock_.micros(); }

  // Request bytes waiting, or the request's end not yet sent: let the upstream session pull.
  void push_request() {
    if (st_.request.size > 0 || st_.request.ended) session_->resume_request(*up_);
  }

  // Until the upstream's response header (within upstream_timeout), sending the request body
  // as it comes.
  awaitable<Step> await_response_head(Deadline deadline) {
    while (true) {
      if (st_.closed) {
        session_->cancel(*up_, NGHTTP2_CANCEL);
        outcome_ = fail(0, "client_aborted");
        outcome_.answered = true;
        co_return Step::failed;
      }
      if (up_->headers_done) co_return Step::ok;
      if (up_->closed) {
        if (up_->over_limit) {
          outcome_ = fail(413, "body_too_large");
        } else if (up_->refused && up_->request_taken == 0) {
          co_return Step::retry;
        } else {
          outcome_ = fail(502, "upstream_reset");
        }
        co_return Step::failed;
      }
      push_request();
      // Awaits stand alone (GCC 12 miscompiles an await inside && or ?:).
      const bool timed_out = co_await st_.wake.wait(deadline);
      if (timed_out && !up_->headers_done && !up_->closed && !st_.closed) {
        session_->cancel(*up_, NGHTTP2_CANCEL);
        outcome_ = fail(504, "upstream_timeout");
        co_return Step::failed;
      }
    }
  }

  std::vector<Field> response_headers() const {
    std::vector<Field> out;
    out.reserve(up_->response.size());
    for (const auto& f : up_->response) {
      if (!is_connection_specific(f.name)) out.push_back(f);
    }
    return out;
  }

  // After the response header: both bodies flow until the response ends, either side resets,
  // or nothing moves for idle_timeout.
  awaitable<ForwardOutcome> relay() {
    ForwardOutcome o;
    o.answered = true;
    const auto& status = up_->response.front();
    o.status = status.name == ":status" ? static_cast<unsigned>(std::atoi(status.value.c_str())) : 502;
    const bool bodiless = st_.response.ended && st_.response.size == 0 && st_.response.trailers.empty();
    f_.conn.submit_response(st_, response_headers(), !bodiless);
    std::uint64_t progress = ~std::uint64_t{0};
    while (!st_.response_done) {
      if (st_.closed) {
        session_->cancel(*up_, NGHTTP2_CANCEL);
        if (!st_.response_done && o.reason == "ok") o.reason = "client_aborted";
        break;
      }
      if (up_->closed && up_->error != 0) {
        f_.conn.reset(st_, up_->over_limit ? NGHTTP2_CANCEL : NGHTTP2_INTERNAL_ERROR);
        o.reason = up_->over_limit ? "body_too_large" : "upstream_reset";
        break;
      }
      push_request();
      const auto now = st_.bytes_in + st_.bytes_out + up_->request_taken + st_.response.size;
      if (now == progress) {
        f_.conn.reset(st_, NGHTTP2_CANCEL);
        session_->cancel(*up_, NGHTTP2_CANCEL);
        o.reason = "stream_idle_timeout";
        break;
      }
      progress = now;
      if (co_await st_.wake.wait(deadline_in(limits_.idle_timeout))) continue;  // checked above next time
      progress = ~std::uint64_t{0};  // woken: something happened
    }
    o.upstream_us = micros();
    co_return o;
  }

  Forward& f_;
  Stream& st_;
  const config::Limits& limits_;
  std::shared_ptr<BodyLimit> body_limit_;  // shared with the upstream session's body reads
  ForwardClock clock_;
  std::shared_ptr<ClientSession> session_;
  std::shared_ptr<UpstreamStream> up_;
  ForwardOutcome outcome_;
};

}  // namespace

awaitable<ForwardOutcome> forward_h2(Forward& f) {
  H2Forward forward(f);
  co_return co_await forward.run();
}

}  // namespace jwt_sidecar::proxy::h2
