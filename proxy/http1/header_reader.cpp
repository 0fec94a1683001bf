#include "proxy/http1/header_reader.h"

#include <algorithm>
#include <cstring>

#include "common/ascii.h"
#include "common/host.h"
#include "common/byte_scan.h"

namespace jwt_sidecar::proxy {
namespace {

// Position just past the blank line that ends the header, or npos.
std::size_t find_header_end(std::string_view data, std::size_t from) {
  const auto at = data.find("\r\n\r\n", from);
  return at == std::string_view::npos ? at : at + 4;
}

}  // namespace

std::string_view check_raw_header(std::string_view raw) {
  // Ordinary bytes are skipped sixteen at a time; each control byte is then judged alone.
  for (std::size_t i = common::find_control_byte(raw, 0); i < raw.size();
       i = common::find_control_byte(raw, i + 1)) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c == '\r') {
      if (i + 1 >= raw.size() || raw[i + 1] != '\n') return "bare_cr_in_header";
      ++i;
      // A line starting with whitespace continues the previous one: obs-fold.
      if (i + 1 < raw.size() && (raw[i + 1] == ' ' || raw[i + 1] == '\t')) {
        return "obs_fold_in_header";
      }
      continue;
    }
    if (c == '\t') continue;
    if (c == '\n') return "bare_lf_in_header";
    if (c == 0) return "nul_in_header";
    return "control_character_in_header";
  }
  return "";
}

std::string_view check_request_framing(const http::request<http::empty_body>& req) {
  // RFC 9110 9.1: methods are case-sensitive, but many upstreams (Flask, Rails, PHP) upper-case
  // them, so "get" could skip a route scoped to GET and still be served as one. Refused.
  const auto method = req.method_string();
  if (std::any_of(method.begin(), method.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
    return "invalid_method";
  }
  const auto hosts = req.count(http::field::host);
  if (hosts > 1) return "multiple_host_headers";
  if (hosts == 0 && req.version() >= 11) return "missing_host_header";
  if (hosts == 1) {
    const auto host = req[http::field::host];
    if (!common::is_valid_host_header(host)) {
      return "invalid_host_header";
    }
  }

  const auto lengths = req.count(http::field::content_length);
  const auto encodings = req.count(http::field::transfer_encoding);
  if (lengths > 1) return "multiple_content_length";
  if (lengths == 1) {
    // Beast accepts "5, 5"; a proxy must not (RFC 9112 6.3 item 5: treat as unrecoverable).
    const auto v = req[http::field::content_length];
    if (v.empty() || v.size() > 18 ||
        !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return "invalid_content_length";
    }
  }
  if (encodings > 0) {
    if (lengths > 0) return "content_length_with_transfer_encoding";
    if (req.version() < 11) return "transfer_encoding_in_http10";
    // Only a plain "chunked" is accepted: "chunked, x", "x, chunked", quoted or padded
    // variants are where smuggling lives (RFC 9112 6.1, 6.3).
    if (encodings > 1 || !beast::iequals(common::trim_ascii(req[http::field::transfer_encoding]), "chunked")) {
      return "unsupported_transfer_encoding";
    }
  }
  return "";
}

awaitable<HeaderReadResult> read_request_header(ByteStream& stream,
                                                beast::flat_buffer& buffer,
                                                RequestHeaderParser& parser,
                                                const HeaderReadLimits& limits) {
  using Kind = HeaderReadResult::Kind;
  // Wait for the first byte with the idle timeout: a quiet keep-alive connection is closed
  // without a response; a started request has header_timeout to complete.
  if (buffer.size() == 0) {
    auto [ec, n] = co_await stream.read_some(buffer.prepare(4096), deadline_in(limits.first_byte_timeout));
    if (ec) co_return HeaderReadResult{Kind::closed, {}};
    buffer.commit(n);
  }
  const auto deadline = deadline_in(limits.header_timeout);  // for the whole header, not per read
  std::size_t scanned = 0, end = std::string_view::npos;
  while (true) {
    const std::string_view data(static_cast<const char*>(buffer.data().data()), buffer.size());
    end = find_header_end(data, scanned);
    if (end != std::string_view::npos) break;
    // A bare LF can never end the header: refuse it now rather than at the timeout.
    for (auto lf = data.find('\n', scanned); lf != std::string_view::npos;
         lf = data.find('\n', lf + 1)) {
      if (lf == 0 || data[lf - 1] != '\r') co_return HeaderReadResult{Kind::bad, "bare_lf_in_header"};
    }
    if (data.size() > limits.max_header_bytes) co_return HeaderReadResult{Kind::too_large, {}};
    scanned = data.size() >= 3 ? data.size() - 3 : 0;
    auto [ec, n] = co_await stream.read_some(buffer.prepare(4096), deadline);
    if (ec == beast::error::timeout) co_return HeaderReadResult{Kind::timeout, {}};
    if (ec) co_return HeaderReadResult{Kind::closed, {}};
    buffer.commit(n);
  }
  if (end > limits.max_header_bytes) co_return HeaderReadResult{Kind::too_large, {}};
  const std::string_view raw(static_cast<const char*>(buffer.data().data()), end);
  if (const auto why = check_raw_header(raw.substr(0, end - 2)); !why.empty()) {
    co_return HeaderReadResult{Kind::bad, why};
  }

  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.body_limit(boost::none);  // the body limit is enforced after the decision
  parser.eager(false);
  error_code ec;
  const auto used = parser.put(net::buffer(raw.data(), raw.size()), ec);
  if (ec || !parser.is_header_done() || used != end) {
    if (ec == http::error::header_limit) co_return HeaderReadResult{Kind::too_large, {}};
    co_return HeaderReadResult{Kind::bad, "malformed_request_header"};
  }
  buffer.consume(used);
  if (const auto why = check_request_framing(parser.get()); !why.empty()) {
    co_return HeaderReadResult{Kind::bad, why};
  }
  co_return HeaderReadResult{};
}

}  // namespace jwt_sidecar::proxy
