#include "proxy/http1/message_head.h"

#include <array>
#include <charconv>

#include "common/ascii.h"
#include "proxy/http1/responses.h"

namespace jwt_sidecar::proxy {
namespace {

// Calls f(token) for each element of a comma-separated header list (RFC 9110 5.6.1).
template <typename F>
void for_each_list_token(std::string_view list, F&& f) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto item = common::trim_ascii(list.substr(0, comma));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// Beast's equal_range() yields an iterator pair; this visits each field in it.
template <typename F>
void for_each_field(const http::fields& fields, http::field name, F&& f) {
  const auto [first, last] = fields.equal_range(name);
  for (auto it = first; it != last; ++it) f(*it);
}



// The fields a hop keeps for itself (RFC 9110 7.6.1): Connection, the classic hop-by-hop
// set, and every field Connection names - except the framing fields and Host, which the
// proxy sets itself, so a client cannot make it drop them. Upgrade survives only for a
// WebSocket handshake. Framing (Content-Length, Transfer-Encoding) is always re-emitted by
// the proxy for the body it actually sends, so the peer's copies are dropped here.
class HopByHop {
 public:
  HopByHop(const http::fields& fields, bool keep_upgrade) : keep_upgrade_(keep_upgrade) {
    for_each_field(fields, http::field::connection, [&](const auto& f) {
      for_each_list_token(f.value(), [&](std::string_view t) {
        if (count_ < named_.size()) named_[count_++] = t;
        else overflow_ = true;  // more than we track: treat every unknown extension as named
      });
    });
  }

  bool drops(const http::fields::value_type& f) const {
    switch (f.name()) {
      case http::field::connection:
      case http::field::keep_alive:
      case http::field::proxy_connection:
      case http::field::te:
      case http::field::trailer:
      case http::field::proxy_authenticate:
      case http::field::proxy_authorization:
      case http::field::content_length:
      case http::field::transfer_encoding:
        return true;
      case http::field::upgrade:
        return !keep_upgrade_;
      case http::field::host:
        return false;
      default:
        break;
    }
    const auto name = f.name_string();
    if (beast::iequals(name, "HTTP2-Settings")) return true;
    for (std::size_t i = 0; i < count_; ++i) {
      if (beast::iequals(name, named_[i])) return true;
    }
    return overflow_ && f.name() == http::field::unknown;
  }

 private:
  std::array<std::string_view, 16> named_{};
  std::size_t count_ = 0;
  bool overflow_ = false;
  bool keep_upgrade_;
};

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

void append_number(std::string& out, std::uint64_t v) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
  out.append(digits, end);
}
// What render_upstream_request keeps from the client's fields for the lines it writes itself.
struct ClientForwarding {
  std::string_view host;
  std::string xff;  // the client's X-Forwarded-For values, joined
  bool any_xff = false;
};

// The client's end-to-end fields, each as it should reach the upstream. Host, Expect:
// 100-continue and X-Forwarded-* are held back for the lines the proxy writes.
ClientForwarding append_client_fields(const ForwardRequest& fr, const http::request<http::buffer_body>& req,
                                      bool websocket, std::string& out) {
  const auto& protected_names = fr.runtime.engine->protected_header_names();
  const policies::TokenLocation* strip = fr.decision.strip_token ? &fr.decision.token_location : nullptr;
  const HopByHop hop(req, websocket);
  ClientForwarding kept;
  for (const auto& f : req) {
    const auto name = f.name_string();
    // WSGI, CGI and PHP read "X_Forwarded_Host" and "X-Forwarded-Host" as one name, and would
    // see the client's copy of a header the proxy sets: names with '_' are dropped, as nginx
    // does by default (underscores_in_headers off).
    if (hop.drops(f) || name.find('_') != std::string_view::npos) continue;
    if (f.name() == http::field::host) {
      kept.host = f.value();
    } else if (f.name() == http::field::expect && beast::iequals(f.value(), "100-continue")) {
      continue;  // answered by the proxy
    } else if (beast::iequals(name, "X-Forwarded-For")) {
      kept.xff.append(kept.any_xff ? ", " : "").append(f.value());
      kept.any_xff = true;
      continue;
    } else if (beast::iequals(name, "X-Forwarded-Proto") || beast::iequals(name, "X-Forwarded-Host")) {
      continue;
    }
    if (const auto without = strip ? strip->strip_from_header(name, f.value()) : std::nullopt) {
      if (!without->empty()) append_field(out, name, *without);
      continue;
    }
    if (std::none_of(protected_names.begin(), protected_names.end(),
                     [&](const std::string& p) { return common::equals_ignore_case(name, p); })) {
      append_field(out, name, f.value());
    }
  }
  return kept;
}

}  // namespace

bool list_contains(const http::fields& fields, http::field name, std::string_view token) {
  bool found = false;
  for_each_field(fields, name, [&](const auto& f) {
    for_each_list_token(f.value(), [&](std::string_view t) { found = found || beast::iequals(t, token); });
  });
  return found;
}

bool is_websocket_upgrade(const http::fields& fields) {
  return list_contains(fields, http::field::connection, "upgrade") &&
         list_contains(fields, http::field::upgrade, "websocket");
}

void render_upstream_request(const Worker& worker, ForwardRequest& fr, const http::request<http::buffer_body>& req,
                             bool websocket, std::string& out) {
  out.clear();
  out.append(req.method_string()).append(" ").append(fr.target).append(" HTTP/1.1\r\n");
  const auto kept = append_client_fields(fr, req, websocket, out);
  if (kept.host.empty()) append_field(out, "Host", fr.upstream.key);  // an HTTP/1.0 client may omit it
  if (req.chunked()) {
    out.append("Transfer-Encoding: chunked\r\n");
  } else if (req.has_content_length()) {
    // As plain decimal, not the client's spelling ("0010"), which a lax upstream parser could
    // read as another length. The header reader let only digits through.
    const auto cl = req[http::field::content_length];
    std::uint64_t length = 0;
    std::from_chars(cl.data(), cl.data() + cl.size(), length);
    out.append("Content-Length: ");
    append_number(out, length);
    out.append("\r\n");
  }
  out.append("X-Forwarded-For: ");
  if (kept.any_xff) out.append(kept.xff).append(", ");
  out.append(fr.client_ip).append("\r\n");
  out.append("X-Forwarded-Proto: ").append(worker.state.tls ? "https" : "http").append("\r\n");
  if (!kept.host.empty()) append_field(out, "X-Forwarded-Host", kept.host);
  for (const auto& [name, value] : fr.scratch.request.claim_headers) append_field(out, name, value);
  if (websocket) out.append("Connection: Upgrade\r\n");
  out.append("\r\n");
}

BodyOut render_client_response(const ResponseBodyParser& parser, unsigned client_version, bool bodiless,
                               bool upgraded, bool& keep_alive, std::string& out) {
  const auto& res = parser.get();
  const HopByHop hop(res, upgraded);
  const unsigned code = res.result_int();
  out.clear();
  out.append("HTTP/1.1 ");
  append_number(out, code);
  out.append(" ");
  const auto reason = res.reason();
  out.append(reason.empty() ? status_text(code) : std::string_view(reason));
  out.append("\r\n");
  for (const auto& f : res) {
    if (!hop.drops(f)) append_field(out, f.name_string(), f.value());
  }

  BodyOut body = BodyOut::raw;
  if (upgraded) {
    keep_alive = false;
    body = BodyOut::none;
    out.append("Connection: Upgrade\r\n");
  } else {
    if (bodiless) {
      body = BodyOut::none;
      // A HEAD response describes the body a GET would have had: its framing fields stay.
      for_each_field(res, http::field::content_length,
                     [&](const auto& f) { append_field(out, "Content-Length", f.value()); });
      if (client_version >= 11) {
        for_each_field(res, http::field::transfer_encoding,
                       [&](const auto& f) { append_field(out, "Transfer-Encoding", f.value()); });
      }
    } else if (const auto length = parser.content_length(); length && !res.chunked()) {
      out.append("Content-Length: ");
      append_number(out, *length);
      out.append("\r\n");
    } else if (client_version >= 11) {
      body = BodyOut::chunked;  // chunked or close-delimited upstream: chunks keep the connection
      out.append("Transfer-Encoding: chunked\r\n");
    } else {
      keep_alive = false;  // HTTP/1.0 cannot read chunks: the body goes raw, ended by a close
    }
    if (!keep_alive) {
      out.append("Connection: close\r\n");
    } else if (client_version < 11) {
      out.append("Connection: keep-alive\r\n");
    }
  }
  out.append("\r\n");
  return body;
}

}  // namespace jwt_sidecar::proxy
