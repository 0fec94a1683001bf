#include "policies/token_extractor.h"

#include <optional>

#include "common/ascii.h"
#include "common/byte_scan.h"

namespace jwt_sidecar::policies {

using common::equals_ignore_case;
using common::hex_value;
using common::b64token_body_length;
using common::trim_ascii;
namespace {

using SourceKind = config::TokenSource::Kind;

// RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_b64token(std::string_view s) noexcept {
  const std::size_t body = b64token_body_length(s);
  if (body == 0) return false;
  for (std::size_t i = body; i < s.size(); ++i) {
    if (s[i] != '=') return false;
  }
  return true;
}

// What one source found: how many non-empty tokens, and the first of them.
struct Hits {
  std::size_t count = 0;
  std::string_view token;
  bool malformed = false;  // the single hit is a Bearer credential that is not a b64token

  void add(std::string_view t) noexcept {
    if (t.empty()) return;
    if (count++ == 0) token = t;
  }
};

// The credential after a "Bearer" auth-scheme (RFC 6750 2.1, RFC 9110 11.4), or nullopt for
// another scheme. The scheme ends at whitespace of any kind (SP or HTAB) or at the end of the
// value: "Bearer<TAB>x" and a bare "Bearer" are Bearer credentials to judge, never "no token",
// so an optional route cannot let an unverified one through.
std::optional<std::string_view> bearer_credential(std::string_view value) noexcept {
  value = trim_ascii(value);
  constexpr std::string_view kScheme = "bearer";
  if (value.size() < kScheme.size() || !equals_ignore_case(value.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  const auto rest = value.substr(kScheme.size());
  if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') return std::nullopt;  // "Bearerx"
  return trim_ascii(rest);
}

void read_authorization(std::string_view value, Hits& hits) noexcept {
  const auto credential = bearer_credential(value);
  if (!credential) return;
  if (credential->empty()) {
    hits.count = 1;  // "Bearer" and nothing else: a malformed credential, not an absent one
    hits.token = *credential;
    hits.malformed = true;
    return;
  }
  hits.add(*credential);
  hits.malformed = !is_b64token(*credential);
}

Hits from_authorization(std::span<const HeaderField> headers, std::string_view name) noexcept {
  Hits hits;
  std::size_t seen = 0;
  for (const auto& h : headers) {
    if (!equals_ignore_case(h.name, name)) continue;
    if (++seen == 1) read_authorization(h.value, hits);
  }
  // Two Authorization headers are ambiguous even when one is Basic: refuse, do not pick.
  if (seen > 1) hits.count = seen;
  return hits;
}

Hits from_custom_header(std::span<const HeaderField> headers, std::string_view name) noexcept {
  Hits hits;
  for (const auto& h : headers) {
    if (!equals_ignore_case(h.name, name)) continue;
    const auto credential = bearer_credential(h.value);
    hits.add(credential ? *credential : trim_ascii(h.value));
  }
  return hits;
}

// Calls `visit(name, value)` for every cookie-pair of a Cookie header (RFC 6265 5.4 / 4.2.1).
template <typename Visit>
void for_each_cookie(std::string_view header, Visit&& visit) {
  while (!header.empty()) {
    const auto semicolon = header.find(';');
    const auto pair = trim_ascii(header.substr(0, semicolon));
    const auto equals = pair.find('=');
    if (equals != std::string_view::npos) {
      visit(pair, trim_ascii(pair.substr(0, equals)), trim_ascii(pair.substr(equals + 1)));
    } else if (!pair.empty()) {
      visit(pair, std::string_view(), std::string_view());
    }
    if (semicolon == std::string_view::npos) break;
    header.remove_prefix(semicolon + 1);
  }
}

Hits from_cookie(std::span<const HeaderField> headers, std::string_view name) noexcept {
  Hits hits;
  for (const auto& h : headers) {
    if (!equals_ignore_case(h.name, "cookie")) continue;
    for_each_cookie(h.value, [&](std::string_view, std::string_view n, std::string_view v) {
      if (n != name) return;
      // cookie-value may be wrapped in DQUOTEs (RFC 6265 4.1.1); they are not part of it.
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      hits.add(v);
    });
  }
  return hits;
}


// Decodes one byte of application/x-www-form-urlencoded text at `i`, advancing `i`. A "%"
// without two hex digits stays a literal "%", as browsers' URLSearchParams reads it.
char decode_at(std::string_view s, std::size_t& i) noexcept {
  const char c = s[i++];
  if (c == '+') return ' ';
  if (c != '%' || s.size() - i < 2) return c;
  const int hi = hex_value(s[i]);
  const int lo = hex_value(s[i + 1]);
  if (hi < 0 || lo < 0) return c;
  i += 2;
  return static_cast<char>(hi * 16 + lo);
}

bool decoded_equals(std::string_view encoded, std::string_view plain) noexcept {
  std::size_t i = 0, j = 0;
  while (i < encoded.size()) {
    if (j == plain.size() || decode_at(encoded, i) != plain[j++]) return false;
  }
  return j == plain.size();
}

void decode_into(std::string_view encoded, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < encoded.size();) out.push_back(decode_at(encoded, i));
}

// Calls `visit(pair, name, value)` for every "&"-separated piece of a query, raw.
template <typename Visit>
void for_each_param(std::string_view query, Visit&& visit) {
  for (;;) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto equals = pair.find('=');
    visit(pair, pair.substr(0, equals),
          equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

Hits from_query(std::string_view raw_query, std::string_view name, std::string& scratch) noexcept {
  Hits hits;
  if (raw_query.empty()) return hits;
  for_each_param(raw_query, [&](std::string_view, std::string_view n, std::string_view v) {
    // A non-empty encoded value always decodes to a non-empty one, so only the first
    // occurrence needs decoding.
    if (v.empty() || !decoded_equals(n, name)) return;
    if (hits.count == 0) {
      decode_into(v, scratch);
      hits.add(scratch);
    } else {
      ++hits.count;
    }
  });
  return hits;
}

Hits from_source(const config::TokenSource& source, std::span<const HeaderField> headers,
                 std::string_view raw_query, std::string& scratch) noexcept {
  switch (source.kind) {
    case SourceKind::header:
      if (equals_ignore_case(source.name, "authorization")) {
        return from_authorization(headers, source.name);
      }
      return from_custom_header(headers, source.name);
    case SourceKind::cookie:
      return from_cookie(headers, source.name);
    case SourceKind::query:
      return from_query(raw_query, source.name, scratch);
  }
  return {};
}

}  // namespace

ExtractResult extract_token(std::span<const HeaderField> headers, std::string_view raw_query,
                            const std::vector<config::TokenSource>& sources,
                            std::string& scratch) noexcept {
  // The loader fills in the default; an empty list here means the same thing.
  static const std::vector<config::TokenSource> kDefault{
      {config::TokenSource::Kind::header, "Authorization", {}}};
  const auto& list = sources.empty() ? kDefault : sources;
  ExtractResult result;
  std::size_t total = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Hits hits = from_source(list[i], headers, raw_query, scratch);
    if (hits.count == 0) continue;
    total += hits.count;
    if (total > 1) return {Status::multiple_tokens, {}, ExtractResult::kNoSource};
    result = {hits.malformed ? Status::malformed_token : Status::ok, hits.token, i};
  }
  return result;
}

std::optional<std::string> TokenLocation::strip_from_header(std::string_view name, std::string_view value) const {
  if (!source) return std::nullopt;
  switch (source->kind) {
    case SourceKind::header:
      if (equals_ignore_case(name, source->name)) return std::string();
      return std::nullopt;
    case SourceKind::cookie: {
      if (!equals_ignore_case(name, "cookie")) return std::nullopt;
      std::string out;  // the other cookies, in order; "" (drop the header) when none is left
      for_each_cookie(value, [&](std::string_view pair, std::string_view n, std::string_view) {
        if (n == source->name && pair.find('=') != std::string_view::npos) return;
        if (!out.empty()) out += "; ";
        out += pair;
      });
      return out;
    }
    case SourceKind::query:
      return std::nullopt;
  }
  return std::nullopt;
}

std::string TokenLocation::strip_from_query(std::string_view raw_query) const {
  if (!source || source->kind != SourceKind::query) return std::string(raw_query);
  std::string out;
  bool first = true;
  for_each_param(raw_query, [&](std::string_view pair, std::string_view n, std::string_view) {
    if (decoded_equals(n, source->name)) return;
    if (!first) out += '&';
    out += pair;
    first = false;
  });
  return out;
}

}  // namespace jwt_sidecar::policies
