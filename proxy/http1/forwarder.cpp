#include "proxy/http1/forwarder.h"

#include <chrono>
#include <optional>

#include "proxy/http1/body_relay.h"
#include "proxy/http1/message_head.h"
#include "proxy/http1/responses.h"

namespace jwt_sidecar::proxy {
namespace {

using Clock = std::chrono::steady_clock;
using RequestBodyParser = http::request_parser<http::buffer_body>;

// What went wrong with the upstream, as the client is told it (status 0: nobody to tell).
struct Failure {
  unsigned status = 0;
  std::string_view reason;
};
using Step = std::optional<Failure>;  // nullopt: go on

Failure failure_of(ConnectError error) {
  return error == ConnectError::timeout ? Failure{504, "upstream_timeout"}
         : error == ConnectError::tls   ? Failure{502, "upstream_tls_failed"}
                                        : Failure{502, "upstream_unreachable"};
}

Failure failure_of(HeadRead outcome) {
  switch (outcome) {
    case HeadRead::timeout: return {504, "upstream_timeout"};
    case HeadRead::bad: return {502, "upstream_bad_response"};
    default: return {502, "upstream_reset"};
  }
}

// One forward: connect (or reuse), send the request, relay the response. Borrows the relay
// buffer from the worker for its own lifetime.
class Forwarding {
 public:
  Forwarding(Worker& worker, ForwardRequest& fr)
      : w_(worker), fr_(fr), limits_(fr.runtime.config.limits), loan_(worker.take_relay_loan()),
        client_version_(fr.header_parser.get().version()),
        head_request_(fr.header_parser.get().method() == http::verb::head),
        expect_continue_(beast::iequals(fr.header_parser.get()[http::field::expect], "100-continue")),
        parser_(std::move(fr.header_parser)) {
    parser_.on_chunk_header(check_chunk_header_);
    parser_.body_limit(limits_.max_body_bytes);
    parser_.eager(true);
    websocket_ = is_websocket_upgrade(parser_.get());
    has_body_ = !parser_.is_done();
    // A request that cannot be replayed (a body, or a method that is not idempotent) is sent
    // once: a pooled connection is probed first instead of retried after.
    replayable_ = !has_body_ && idempotent(parser_.get().method());
  }
  ~Forwarding() { w_.return_relay_loan(std::move(loan_)); }

  awaitable<ForwardResult> run() {
    render_upstream_request(w_, fr_, parser_.get(), websocket_, loan_.head);
    start_ = Clock::now();
    // No co_await inside ?: here: GCC 12 evaluates both arms of a conditional whose arms both
    // await (a miscompilation), so each await is a statement of its own.
    Step failed = co_await connect();
    if (!failed && has_body_) failed = co_await send_with_body();
    if (!failed && !has_body_) failed = co_await send_header_only();
    if (failed) co_return co_await fail(*failed);
    co_return co_await relay_response();
  }

 private:
  awaitable<Step> connect() {
    ConnectError error = ConnectError::none;
    conn_ = co_await w_.pool.acquire(fr_.upstream, limits_.upstream_timeout, error);
    if (conn_ && !replayable_ && conn_->reused && !still_open(*conn_)) {
      conn_ = co_await w_.pool.connect(fr_.upstream, limits_.upstream_timeout, error);
    }
    if (conn_) co_return std::nullopt;
    co_return failure_of(error);
  }

  // The request is the header alone: if a pooled connection turns out to have been closed by
  // the upstream (the write fails, or it ends before answering), an idempotent request is
  // sent once more on a fresh connection (RFC 9112 9.3.1).
  awaitable<Step> send_header_only() {
    for (int attempt = 0;; ++attempt) {
      auto [ec, n] = co_await conn_->stream->write(net::buffer(loan_.head), deadline_in(limits_.upstream_timeout));
      auto outcome = HeadRead::closed_early;
      if (!ec) outcome = co_await read_response_header(*conn_, response_, head_request_, limits_.upstream_timeout);
      if (outcome == HeadRead::closed_early && conn_->reused && attempt == 0 && replayable_) {
        ConnectError error = ConnectError::none;
        conn_ = co_await w_.pool.connect(fr_.upstream, limits_.upstream_timeout, error);
        if (!conn_) co_return failure_of(error);
        continue;
      }
      if (ec) co_return Failure{502, "upstream_write_failed"};
      if (outcome != HeadRead::ok) co_return failure_of(outcome);
      co_return std::nullopt;
    }
  }

  awaitable<Step> send_with_body() {
    std::string_view pending = loan_.head;
    if (expect_continue_) {
      // The client waits for 100 Continue before sending its body; the upstream gets the
      // header first.
      auto [ec, n] = co_await conn_->stream->write(net::buffer(loan_.head), deadline_in(limits_.upstream_timeout));
      if (ec) co_return Failure{502, "upstream_write_failed"};
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [cec, cn] = co_await fr_.client.write(net::buffer(kContinue), deadline_in(limits_.idle_timeout));
      if (cec) co_return Failure{0, "client_aborted"};
      pending = {};
    }
    const auto sent = co_await relay_body<true>(fr_.client, fr_.client_buffer, parser_, *conn_->stream, pending,
                                                parser_.get().chunked(), limits_.idle_timeout,
                                                limits_.upstream_timeout, loan_.buffer.get(), result_.bytes_in);
    if (fr_.client_buffer.capacity() > 8192 && fr_.client_buffer.size() == 0) fr_.client_buffer.shrink_to_fit();
    switch (sent) {
      case Relay::body_limit: co_return Failure{413, "body_too_large"};
      case Relay::bad_framing: co_return Failure{400, "bad_chunked_encoding"};
      case Relay::read_failed:
      case Relay::read_timeout: co_return Failure{0, "client_aborted"};  // gone mid-upload
      case Relay::write_failed: co_return Failure{502, "upstream_write_failed"};
      case Relay::ok: break;
    }
    const auto outcome = co_await read_response_header(*conn_, response_, head_request_, limits_.upstream_timeout);
    if (outcome != HeadRead::ok) co_return failure_of(outcome);
    co_return std::nullopt;
  }

  awaitable<ForwardResult> relay_response() {
    auto& rp = *response_;
    rp.on_chunk_header(check_chunk_header_);
    const auto code = rp.get().result_int();
    const bool upgraded = code == 101 && websocket_;
    const bool bodiless = head_request_ || code == 204 || code == 304 || (code >= 100 && code < 200);
    result_.status = code;
    result_.keep_alive = fr_.client_keep_alive && !w_.state.draining.load();
    const auto body_out = render_client_response(rp, client_version_, bodiless, upgraded, result_.keep_alive, loan_.head);
    Relay relayed = Relay::ok;
    if (body_out == BodyOut::none) {
      relayed = co_await write_head_only();
    } else {
      relayed = co_await relay_body<false>(*conn_->stream, conn_->buffer, rp, fr_.client, loan_.head,
                                           body_out == BodyOut::chunked, limits_.upstream_timeout,
                                           limits_.idle_timeout, loan_.buffer.get(), result_.bytes_out);
    }
    result_.upstream_us = micros_since_start();
    if (relayed != Relay::ok) {
      result_.keep_alive = false;  // the response is cut short: the client must see a close
      result_.reason = relayed == Relay::write_failed ? "client_aborted" : "upstream_reset";
    } else if (upgraded) {
      co_await tunnel(fr_.client, fr_.client_buffer, *conn_, limits_.idle_timeout);
      result_.keep_alive = false;
    } else if (rp.is_done() && rp.keep_alive() && !rp.need_eof()) {
      w_.pool.release(fr_.upstream, std::move(conn_));  // the upstream's own keep-alive intent
    }
    co_return result_;
  }

  awaitable<Relay> write_head_only() {
    auto [ec, n] = co_await fr_.client.write(net::buffer(loan_.head), deadline_in(limits_.idle_timeout));
    co_return ec ? Relay::write_failed : Relay::ok;
  }

  awaitable<ForwardResult> fail(const Failure& f) {
    result_.keep_alive = false;
    result_.reason = f.reason;
    result_.upstream_us = micros_since_start();
    if (f.status == 0) co_return result_;
    ErrorResponse r;
    r.status = f.status;
    r.error = f.status == 413 ? "request_too_large" : f.status == 400 ? "invalid_request" : "upstream_error";
    r.description = f.reason;
    const auto bytes = render_error_response(r);
    co_await fr_.client.write(net::buffer(bytes), deadline_in(limits_.idle_timeout));
    result_.status = f.status;
    co_return result_;
  }

  std::int64_t micros_since_start() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_).count();
  }

  Worker& w_;
  ForwardRequest& fr_;
  const config::Limits& limits_;
  RelayLoan loan_;
  const unsigned client_version_;
  const bool head_request_;
  const bool expect_continue_;
  // Parsers keep a reference to their chunk-header callback: it outlives both.
  decltype(&refuse_control_in_chunk_extension) check_chunk_header_ = refuse_control_in_chunk_extension;
  RequestBodyParser parser_;
  bool websocket_ = false, has_body_ = false, replayable_ = false;
  Clock::time_point start_;
  std::unique_ptr<UpstreamConnection> conn_;
  std::optional<ResponseBodyParser> response_;
  ForwardResult result_;
};

}  // namespace

// Reads a response header into `parser`, skipping interim 1xx responses other than 101.
// closed_early: the connection ended before the first byte (a stale pooled connection).
awaitable<HeadRead> read_response_header(UpstreamConnection& conn, std::optional<ResponseBodyParser>& parser,
                                         bool head_request, std::chrono::milliseconds timeout) {
  const auto deadline = deadline_in(timeout);
  bool any_byte = conn.buffer.size() > 0;
  while (true) {
    parser.emplace();
    parser->body_limit(boost::none);
    parser->eager(false);  // stop after the header: the body goes through read_body_some
    if (head_request) parser->skip(true);
    while (!parser->is_header_done()) {
      if (conn.buffer.size() > 0) {
        error_code ec;
        const auto used = parser->put(conn.buffer.data(), ec);
        conn.buffer.consume(used);
        if (ec && ec != http::error::need_more && ec != http::error::need_buffer) co_return HeadRead::bad;
        if (parser->is_header_done()) break;
        if (used > 0 && conn.buffer.size() > 0) continue;
      }
      auto [ec, n] = co_await conn.stream->read_some(conn.buffer.prepare(kReadChunk), deadline);
      if (ec == beast::error::timeout) co_return HeadRead::timeout;
      if (ec) co_return any_byte ? HeadRead::failed : HeadRead::closed_early;
      any_byte = true;
      conn.buffer.commit(n);
    }
    const auto code = parser->get().result_int();
    if (code < 100 || code >= 200 || code == 101) co_return HeadRead::ok;
  }
}

// Whether a pooled connection is still open: the upstream may have closed it while idle.
// Costs one non-blocking recv, so it is done only before sending a request that cannot be
// replayed once sent.
bool still_open(UpstreamConnection& conn) {
  if (conn.stream->is_tls()) return true;  // TLS records cannot be peeked meaningfully
  char byte;
  error_code ec;
  auto& socket = conn.stream->socket();
  const bool was_nonblocking = socket.non_blocking();
  socket.non_blocking(true, ec);
  const auto n = socket.receive(net::buffer(&byte, 1), tcp::socket::message_peek, ec);
  error_code ignored;
  socket.non_blocking(was_nonblocking, ignored);
  return ec == net::error::would_block || (!ec && n > 0);
}

// RFC 9110 9.2.2: the methods a client may repeat with the same effect. Only these are sent a
// second time when a pooled connection ends without an answer (RFC 9112 9.3.1): the upstream
// may have acted on the first copy.
bool idempotent(http::verb method) {
  switch (method) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::options:
    case http::verb::trace:
    case http::verb::put:
    case http::verb::delete_:
      return true;
    default:
      return false;
  }
}

awaitable<ForwardResult> forward(Worker& worker, ForwardRequest& fr) {
  // h2c:// always, https:// when ALPN picks h2: proxy/http2 takes it (and hands https:// back
  // to forward_over_http1 when the upstream chose HTTP/1.1).
  if ((fr.upstream.h2 || fr.upstream.tls) && worker.h2_forward) co_return co_await worker.h2_forward(worker, fr);
  co_return co_await forward_over_http1(worker, fr);
}

awaitable<ForwardResult> forward_over_http1(Worker& worker, ForwardRequest& fr) {
  Forwarding forwarding(worker, fr);
  co_return co_await forwarding.run();
}

}  // namespace jwt_sidecar::proxy
