// HTTP/1.1 -> h2c: an allowed HTTP/1.1 request whose route's upstream is h2c:// goes out as a
// stream on the worker's upstream HTTP/2 pool (forward_h2.cpp), with this file playing the
// client side: the request body read from the connection into the stream's pipe (no faster
// than the upstream takes it), the response written back as HTTP/1.1 (chunked when its
// length is unknown; trailers are not carried over HTTP/1.1).
#include "proxy/http2/http1_to_h2.h"

#include "common/ascii.h"
#include "proxy/http1/body_relay.h"
#include "proxy/http1/exchange.h"
#include "proxy/http1/message_head.h"
#include "proxy/http1/responses.h"
#include "proxy/http2/client_session.h"
#include "proxy/http2/downstream.h"
#include "proxy/http2/forward.h"

namespace jwt_sidecar::proxy::h2 {
namespace {

constexpr std::size_t kPipeHigh = 64 * 1024;

using RequestBodyParser = http::request_parser<http::buffer_body>;

class Http1Client final : public Downstream, public std::enable_shared_from_this<Http1Client> {
 public:
  Http1Client(Worker& w, ForwardRequest& fr, std::shared_ptr<Stream> st)
      : w_(w), fr_(fr), st_(std::move(st)), idle_(fr.runtime.config.limits.idle_timeout),
        head_request_(fr.header_parser.get().method() == http::verb::head),
        writer_wake_(w.ioc.get_executor()), done_wake_(w.ioc.get_executor()) {}

  Worker& worker() override { return w_; }
  void submit_response(Stream& s, const std::vector<Field>& headers, bool body) override {
    head_ = "HTTP/1.1 ";
    const std::string code = headers.empty() ? "502" : headers.front().value;
    status_ = static_cast<unsigned>(std::atoi(code.c_str()));
    head_.append(code).append(" ").append(status_text(status_)).append("\r\n");
    bool length = false;
    for (const auto& f : headers) {
      if (f.name.front() == ':' || is_connection_specific(f.name)) continue;
      length = length || f.name == "content-length";
      head_.append(f.name).append(": ").append(f.value).append("\r\n");
    }
    chunked_ = body && !length && !head_request_;
    if (chunked_) head_.append("Transfer-Encoding: chunked\r\n");
    if (!fr_.client_keep_alive || w_.state.draining.load()) head_.append("Connection: close\r\n");
    head_.append("\r\n");
    has_body_ = body;
    submitted_ = true;
    (void)s;
    writer_wake_.notify();
  }
  void resume_response(Stream&) override { writer_wake_.notify(); }
  void credit_request(Stream&, std::size_t) override {}  // the pipe's fill paces the reads
  void reset(Stream& s, std::uint32_t) override {
    broken_ = true;
    s.closed = true;
    s.wake.notify();
    writer_wake_.notify();
  }
  void discard_request(Stream&) override { discard_ = true; }
  std::shared_ptr<Downstream> hold() override { return shared_from_this(); }

  // Writes the response as the forward delivers it; ends when it is complete or broken.
  awaitable<void> write_response() {
    auto self = shared_from_this();
    while (!broken_) {
      if (!submitted_) {
        co_await writer_wake_.wait(deadline_in(std::chrono::hours(24)));
        continue;
      }
      std::string out = std::move(head_);
      head_.clear();
      const auto n = st_->response.size;
      if (n > 0) {
        auto bytes = st_->response.take_all();
        if (chunked_) {
          char size[20];
          const auto len = std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
          out.append(size, static_cast<std::size_t>(len)).append(bytes).append("\r\n");
        } else {
          out.append(bytes);
        }
      }
      const bool last = !has_body_ || (st_->response.ended && st_->response.size == 0);
      if (last && chunked_) out.append("0\r\n\r\n");
      if (!out.empty()) {
        auto [ec, written] = co_await fr_.client.write(net::buffer(out), deadline_in(idle_));
        if (ec) {
          broken_ = true;
          break;
        }
        st_->bytes_out += n;
        if (n > 0 && st_->on_response_taken) st_->on_response_taken(n);
      }
      if (last) break;
      st_->wake.notify();  // room in the pipe
      if (st_->response.size == 0 && !st_->response.ended) co_await writer_wake_.wait(deadline_in(idle_));
    }
    st_->response_done = true;
    st_->closed = st_->closed || broken_;
    st_->wake.notify();
    writer_done_ = true;
    done_wake_.notify();
  }

  // Reads the request body into the stream's pipe while the upstream takes it.
  awaitable<void> read_request(RequestBodyParser& parser, BodyLimit& limit) {
    auto self = shared_from_this();
    auto loan = w_.take_relay_loan();
    while (!parser.is_done() && !discard_ && !st_->closed) {
      if (st_->request.size >= kPipeHigh) {
        co_await st_->wake.wait(deadline_in(idle_));
        continue;
      }
      std::size_t got = 0;
      const auto r = co_await read_body_some<true>(fr_.client, fr_.client_buffer, parser, loan.buffer.get(),
                                                   kRelayBuffer, idle_, got);
      if (r != Relay::ok) {
        request_failed_ = r;
        break;
      }
      const std::string_view bytes(loan.buffer.get(), got);
      if (!limit.admit(bytes)) {
        request_failed_ = Relay::body_limit;
        break;
      }
      st_->request.push(bytes);
      st_->bytes_in += got;
      if (parser.is_done()) st_->request.ended = true;
      st_->wake.notify();
    }
    w_.return_relay_loan(std::move(loan));
    if (request_failed_ != Relay::ok) reset(*st_, 0);
    reader_done_ = true;
    done_wake_.notify();
  }

  awaitable<void> wait_done(bool reader) {
    while (!writer_done_ || (reader && !reader_done_)) co_await done_wake_.wait(deadline_in(std::chrono::hours(24)));
  }

  unsigned status() const { return status_; }
  bool submitted() const { return submitted_; }
  bool broken() const { return broken_; }
  Relay request_failed() const { return request_failed_; }
  void stop_writer() {
    broken_ = true;
    writer_wake_.notify();
  }

 private:
  Worker& w_;
  ForwardRequest& fr_;
  std::shared_ptr<Stream> st_;
  std::chrono::milliseconds idle_;
  bool head_request_;
  Wakeup writer_wake_, done_wake_;
  std::string head_;
  unsigned status_ = 0;
  bool submitted_ = false, has_body_ = false, chunked_ = false, broken_ = false, discard_ = false;
  bool writer_done_ = false, reader_done_ = false;
  Relay request_failed_ = Relay::ok;
};

// The proxy's own answer when the upstream could not be reached or its protocol learned.
awaitable<ForwardResult> answer_unreachable(ForwardRequest& fr, ConnectError error) {
  ErrorResponse e;
  e.status = error == ConnectError::timeout ? 504 : 502;
  e.error = "upstream_error";
  e.description = error == ConnectError::timeout ? "upstream_timeout"
                  : error == ConnectError::tls   ? "upstream_tls_failed"
                                                 : "upstream_unreachable";
  co_await write_bytes(fr.client, render_error_response(e), fr.runtime.config.limits.idle_timeout);
  ForwardResult r;
  r.status = e.status;
  r.reason = e.description;
  co_return r;
}

// The stream that carries the request: the client's fields without its hop-by-hop ones.
std::shared_ptr<Stream> request_stream(Worker& w, const http::request<http::empty_body>& req) {
  auto st = std::make_shared<Stream>(1, w.ioc.get_executor());
  for (const auto& field : req) {
    auto name = common::ascii_lowered(field.name_string());
    if (name == "content-type") st->grpc = grpc::is_grpc_content_type(field.value());
    if (list_contains(req, http::field::connection, name)) continue;  // hop-by-hop (RFC 9110 7.6.1)
    st->headers.push_back({std::move(name), std::string(field.value())});
  }
  st->request.ended = !has_request_body(req);
  return st;
}

// Nothing reached the client yet: the proxy's own answer (502, 504, 413...), then close.
awaitable<ForwardResult> answer_unsubmitted(ForwardRequest& fr, Http1Client& client, const ForwardOutcome& outcome,
                                            bool has_body) {
  client.stop_writer();
  co_await client.wait_done(has_body);
  ForwardResult r;
  r.status = outcome.status;
  r.reason = outcome.reason;
  r.upstream_us = outcome.upstream_us;
  ErrorResponse e;
  e.status = outcome.status == 0 ? 502 : outcome.status;
  e.error = e.status == 413 ? "request_too_large" : "upstream_error";
  e.description = outcome.reason;
  if (outcome.status != 0 || outcome.reason != "client_aborted") {
    co_await write_bytes(fr.client, render_error_response(e), fr.runtime.config.limits.idle_timeout);
    r.status = e.status;
  }
  r.keep_alive = false;
  co_return r;
}

}  // namespace

awaitable<ForwardResult> forward_to_h2(Worker& w, ForwardRequest& fr) {
  ConnectError error = ConnectError::none;
  const auto protocol =
      co_await ClientPool::of(w).protocol_of(fr.upstream, w.pool, fr.runtime.config.limits.upstream_timeout, error);
  if (protocol == UpstreamProtocol::http1) co_return co_await forward_over_http1(w, fr);
  if (protocol == UpstreamProtocol::failed) co_return co_await answer_unreachable(fr, error);
  const auto& req = fr.header_parser.get();
  auto st = request_stream(w, req);
  const bool has_body = !st->request.ended;
  auto client = std::make_shared<Http1Client>(w, fr, st);
  const std::string_view host = req[http::field::host];
  std::optional<std::uint64_t> length;
  if (req.has_content_length()) length = std::strtoull(std::string(req[http::field::content_length]).c_str(), nullptr, 10);
  Forward f{*client, *st, fr.runtime, fr.decision, fr.scratch, fr.upstream, fr.target, req.method_string(),
            host.empty() ? std::string_view(fr.upstream.key) : host,
            upstream_request_fields(*st, fr.runtime, fr.decision, fr.scratch, host, fr.client_ip, w.state.tls),
            length, req.method() == http::verb::head};
  BodyLimit limit(fr.runtime.config.limits.max_body_bytes, st->grpc);
  RequestBodyParser parser(std::move(fr.header_parser));
  parser.body_limit(boost::none);
  const auto ex = w.ioc.get_executor();
  if (has_body) net::co_spawn(ex, client->read_request(parser, limit), net::detached);
  net::co_spawn(ex, client->write_response(), net::detached);
  const auto outcome = co_await forward_h2(f);
  if (!client->submitted()) co_return co_await answer_unsubmitted(fr, *client, outcome, has_body);
  co_await client->wait_done(false);
  // A body the upstream did not wait for stays unread: the connection cannot carry another.
  if (has_body && !parser.is_done()) {
    error_code ignored;
    fr.client.socket().cancel(ignored);
  }
  co_await client->wait_done(has_body);
  ForwardResult r;
  r.status = client->status();
  r.reason = outcome.reason;
  r.upstream_us = outcome.upstream_us;
  r.bytes_in = st->bytes_in;
  r.bytes_out = st->bytes_out;
  r.keep_alive = fr.client_keep_alive && !client->broken() && (!has_body || parser.is_done()) &&
                 client->request_failed() == Relay::ok && outcome.reason == "ok";
  co_return r;
}

}  // namespace jwt_sidecar::proxy::h2
