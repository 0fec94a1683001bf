#include "policies/claims_forwarding.h"

#include <algorithm>
#include <optional>

#include "common/ascii.h"
#include "common/base64url.h"

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

std::optional<std::string> format_claim(dom::element value) {
  std::string_view s;
  if (value.get(s) == simdjson::SUCCESS) {
    if (s != common::trim_ascii(s) || !safe_header_value(s)) return std::nullopt;
    return std::string(s);
  }
  return simdjson::minify(value);  // JSON escapes keep control bytes out of the value
}

}  // namespace

void append_claim_headers(const config::Provider& provider, dom::element payload, std::string_view payload_text,
                          std::vector<std::pair<std::string_view, std::string>>& out) {
  dom::object object;
  if (!provider.forward_claims.empty() && payload.get(object) == simdjson::SUCCESS) {
    for (const auto& [claim, header] : provider.forward_claims) {
      dom::element value;
      if (!find_claim(object, claim, value)) continue;
      if (auto text = format_claim(value)) out.emplace_back(header, std::move(*text));
    }
  }
  if (provider.forward_payload_header) {
    out.emplace_back(*provider.forward_payload_header, common::base64url_encode(payload_text));
  }
}

}  // namespace jwt_sidecar::policies
