// PolicyEngine::forwarded_headers: verified claims turned into request headers.
#include <algorithm>
#include <optional>

#include "policies/ascii.h"
#include "policies/base64url.h"
#include "policies/engine.h"
#include "policies/json_internal.h"

namespace jwt_sidecar::policies {
namespace {

namespace dom = simdjson::dom;

// A member by dotted path; a top-level member whose name itself contains dots wins.
bool find_claim(dom::object payload, std::string_view name, dom::element& out) {
  if (payload.at_key(name).get(out) == simdjson::SUCCESS) return true;
  dom::object current = payload;
  while (true) {
    const auto dot = name.find('.');
    const auto part = name.substr(0, dot);
    if (part.empty() || current.at_key(part).get(out) != simdjson::SUCCESS) return false;
    if (dot == std::string_view::npos) return true;
    if (out.get(current) != simdjson::SUCCESS) return false;
    name.remove_prefix(dot + 1);
  }
}

// A header value cannot carry CR, LF or NUL (RFC 9110 5.5); other control bytes are refused too.
bool safe_header_value(std::string_view v) {
  return std::none_of(v.begin(), v.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7F;
  });
}

// The header value for one claim, or nullopt when it cannot be carried faithfully. A string goes
// as it is; one with leading or trailing whitespace is left out rather than trimmed (every HTTP
// parser strips that whitespace, so " admin " would arrive as "admin"). Anything else goes as
// compact JSON, so ["user","x,admin"] and "user,x,admin" stay distinguishable.
std::optional<std::string> format_claim(dom::element value) {
  std::string_view s;
  if (value.get(s) == simdjson::SUCCESS) {
    if (s != trim_ascii(s) || !safe_header_value(s)) return std::nullopt;
    return std::string(s);
  }
  return simdjson::minify(value);
}

}  // namespace

void PolicyEngine::forwarded_headers(const Decision& decision, const ParsedJws& jws,
                                     std::vector<std::pair<std::string_view, std::string>>& out) const {
  if (!decision.authenticated || !decision.provider) return;
  const auto& cfg = decision.provider->config();
  if (!cfg.forward_claims.empty()) {
    dom::element root;
    dom::object payload;
    if (json::parse_padded(json::thread_parser(), jws.payload()).get(root) == simdjson::SUCCESS &&
        root.get(payload) == simdjson::SUCCESS) {
      for (const auto& [claim, header] : cfg.forward_claims) {
        dom::element value;
        if (!find_claim(payload, claim, value)) continue;
        if (auto text = format_claim(value)) out.emplace_back(header, std::move(*text));
      }
    }
  }
  if (cfg.forward_payload_header) {
    out.emplace_back(*cfg.forward_payload_header, base64url_encode(jws.payload()));
  }
}

}  // namespace jwt_sidecar::policies
