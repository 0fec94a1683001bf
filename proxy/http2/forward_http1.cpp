// h2 -> HTTP/1.1: an allowed stream sent to an HTTP/1.1 upstream on the worker's keep-alive
// pool, the response relayed back as HEADERS and DATA frames. The body moves through the
// stream's pipes: request bytes are credited to the client only once written upstream, and
// response bytes are read from the upstream only while the client takes them.
#include <chrono>
#include <optional>

#include "common/ascii.h"
#include "proxy/http1/body_relay.h"
#include "proxy/http1/message_head.h"
#include "proxy/http2/forward.h"

namespace jwt_sidecar::proxy::h2 {
namespace {

using Clock = std::chrono::steady_clock;

// Response bytes a stream buffers before the upstream is read further.
constexpr std::size_t kPipeHigh = 64 * 1024;

std::string request_head(const Forward& f, bool chunked) {
  std::string out;
  out.reserve(512);
  out.append(f.method).append(" ").append(f.target).append(" HTTP/1.1\r\nHost: ").append(f.authority).append("\r\n");
  for (const auto& field : f.fields) {
    if (field.name == "te") continue;  // "trailers" means nothing to an HTTP/1.1 hop here
    out.append(field.name).append(": ").append(field.value).append("\r\n");
  }
  if (f.content_length) {
    out.append("Content-Length: ").append(std::to_string(*f.content_length)).append("\r\n");
  } else if (chunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
  out.append("\r\n");
  return out;
}


std::vector<Field> response_fields(const ResponseBodyParser& parser) {
  const auto& res = parser.get();
  std::vector<Field> out;
  out.push_back({":status", std::to_string(res.result_int())});
  for (const auto& f : res) {
    auto name = common::ascii_lowered(f.name_string());
    if (is_connection_specific(name) || list_contains(res, http::field::connection, name)) continue;
    if (name == "content-length" && res.chunked()) continue;
    out.push_back({std::move(name), std::string(f.value())});
  }
  return out;
}

class Http1Forward {
 public:
  explicit Http1Forward(Forward& f)
      : f_(f), st_(f.stream), w_(f.conn.worker()), limits_(f.rt.config.limits),
        body_limit_(limits_.max_body_bytes, st_.grpc) {}

  awaitable<ForwardOutcome> run() {
    const bool has_body = !(st_.request.ended && st_.request.size == 0);
    const bool replayable = !has_body && idempotent(http::string_to_verb(f_.method));
    const auto head = request_head(f_, has_body && !f_.content_length);
    ConnectError error = ConnectError::none;
    for (int attempt = 0;; ++attempt) {
      // One await per statement (GCC 12 miscompiles awaits in both arms of ?:).
      if (attempt == 0) {
        conn_ = co_await w_.pool.acquire(f_.upstream, limits_.upstream_timeout, error);
      } else {
        conn_ = co_await w_.pool.connect(f_.upstream, limits_.upstream_timeout, error);
      }
      if (!conn_) co_return fail(error == ConnectError::timeout ? 504 : 502,
                                 error == ConnectError::timeout ? "upstream_timeout"
                                 : error == ConnectError::tls ? "upstream_tls_failed"
                                                              : "upstream_unreachable");
      if (!replayable && conn_->reused && !still_open(*conn_)) continue;
      auto [ec, n] = co_await conn_->stream->write(net::buffer(head), deadline_in(limits_.upstream_timeout));
      if (ec && conn_->reused && replayable && attempt == 0) continue;
      if (ec) co_return fail(502, "upstream_write_failed");
      if (has_body) {
        const bool chunked = !f_.content_length;
        const auto sent = co_await send_body(chunked);
        if (sent) co_return *sent;
      }
      const auto outcome = co_await read_response_header(*conn_, response_, f_.head, limits_.upstream_timeout);
      if (outcome == HeadRead::closed_early && conn_->reused && replayable && attempt == 0) continue;
      if (outcome == HeadRead::timeout) co_return fail(504, "upstream_timeout");
      if (outcome == HeadRead::bad) co_return fail(502, "upstream_bad_response");
      if (outcome != HeadRead::ok) co_return fail(502, "upstream_reset");
      break;
    }
    co_return co_await relay_response();
  }

 private:
  ForwardOutcome fail(unsigned status, std::string_view reason) const { return clock_.fail(status, reason); }
  std::int64_t micros() const { return clock_.micros(); }

  // The request body, as the client sends it, chunked when its length is unknown.
  awaitable<std::optional<ForwardOutcome>> send_body(bool chunked) {
    while (true) {
      if (st_.closed) co_return fail(0, "client_aborted");
      if (st_.request.size > 0) {
        const auto n = st_.request.size;
        auto bytes = st_.request.take_all();
        if (!body_limit_.admit(bytes)) co_return fail(413, "body_too_large");
        std::string framed;
        if (chunked) {
          char size[20];
          const auto len = std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
          framed.assign(size, static_cast<std::size_t>(len)).append(bytes).append("\r\n");
        }
        auto [ec, w] = co_await conn_->stream->write(net::buffer(chunked ? framed : bytes),
                                                     deadline_in(limits_.upstream_timeout));
        if (ec) co_return fail(502, "upstream_write_failed");
        f_.conn.credit_request(st_, n);
        continue;
      }
      if (st_.request.ended) break;
      const bool timed_out = co_await st_.wake.wait(deadline_in(limits_.idle_timeout));
      if (timed_out && st_.request.size == 0 && !st_.request.ended) {
        f_.conn.reset(st_, 0x8);  // CANCEL: the client stopped sending its body
        co_return fail(0, "client_timeout");
      }
    }
    if (chunked) {
      static constexpr std::string_view kLast = "0\r\n\r\n";
      auto [ec, w] = co_await conn_->stream->write(net::buffer(kLast), deadline_in(limits_.upstream_timeout));
      if (ec) co_return fail(502, "upstream_write_failed");
    }
    co_return std::nullopt;
  }

  awaitable<ForwardOutcome> relay_response() {
    auto& rp = *response_;
    const auto code = rp.get().result_int();
    ForwardOutcome o;
    o.answered = true;
    o.status = code;
    if (code == 101 || code < 200) co_return fail(502, "upstream_bad_response");
    const bool bodiless = f_.head || code == 204 || code == 304;
    f_.conn.submit_response(st_, response_fields(rp), !bodiless);
    if (bodiless) {
      o.upstream_us = micros();
      if (rp.keep_alive() && !rp.need_eof()) w_.pool.release(f_.upstream, std::move(conn_));
      co_return o;
    }
    auto loan = w_.take_relay_loan();
    while (!rp.is_done()) {
      while (st_.response.size >= kPipeHigh && !st_.closed) {
        const bool timed_out = co_await st_.wake.wait(deadline_in(limits_.idle_timeout));
        if (timed_out && st_.response.size >= kPipeHigh) {
          f_.conn.reset(st_, 0x8);  // the client stopped reading
          o.reason = "client_timeout";
          break;
        }
      }
      if (st_.closed || o.reason != "ok") break;
      std::size_t got = 0;
      const auto r = co_await read_body_some<false>(*conn_->stream, conn_->buffer, rp, loan.buffer.get(), kRelayBuffer,
                                                    limits_.idle_timeout, got);
      if (r != Relay::ok) {
        f_.conn.reset(st_, 0x2);  // INTERNAL_ERROR: the upstream's body broke off
        o.reason = "upstream_reset";
        break;
      }
      st_.response.push(std::string_view(loan.buffer.get(), got));
      if (rp.is_done()) st_.response.ended = true;
      f_.conn.resume_response(st_);
    }
    w_.return_relay_loan(std::move(loan));
    if (rp.is_done() && !st_.response.ended && !st_.closed) {
      st_.response.ended = true;
      f_.conn.resume_response(st_);
    }
    if (st_.closed && !st_.response.ended) o.reason = "client_aborted";
    o.upstream_us = micros();
    if (rp.is_done() && rp.keep_alive() && !rp.need_eof()) w_.pool.release(f_.upstream, std::move(conn_));
    // The stream's last bytes go out as the client's window allows: the log counts them.
    while (!st_.response_done && !st_.closed) {
      const bool timed_out = co_await st_.wake.wait(deadline_in(limits_.idle_timeout));
      if (timed_out && !st_.response_done && !st_.closed) {
        f_.conn.reset(st_, 0x8);
        o.reason = "client_timeout";
        break;
      }
    }
    co_return o;
  }

  Forward& f_;
  Stream& st_;
  Worker& w_;
  const config::Limits& limits_;
  BodyLimit body_limit_;
  ForwardClock clock_;
  std::unique_ptr<UpstreamConnection> conn_;
  std::optional<ResponseBodyParser> response_;
};

}  // namespace

awaitable<ForwardOutcome> forward_http1(Forward& f) {
  Http1Forward forward(f);
  co_return co_await forward.run();
}

}  // namespace jwt_sidecar::proxy::h2
