// The token side of a provider: where tokens are found and which claims are forwarded.
#include <algorithm>

#include "common/ascii.h"
#include "config/sections.h"
#include "config/syntax.h"

namespace jwt_sidecar::config::detail {
namespace {

bool is_query_name(std::string_view name) {
  return std::none_of(name.begin(), name.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f ||
           std::string_view("&=#+%;?").find(c) != std::string_view::npos;
  });
}

std::optional<std::string> read_source_name(YamlReader& reader, const Entry& source) {
  const auto& kind = source.key.Scalar();
  if (kind == "header") return read_header_name(reader, source, HeaderUse::token_source);
  const auto name = reader.text(source);
  if (!name) return std::nullopt;
  if (kind == "cookie" && !is_http_token(*name)) {
    reader.value_error(source, quote(*name) + " is not a valid cookie name");
    return std::nullopt;
  }
  if (kind == "query" && !is_query_name(*name)) {
    reader.value_error(source, quote(*name) + " is not a valid query parameter name");
    return std::nullopt;
  }
  return name;
}

std::optional<TokenSource> read_token_source(YamlReader& reader, const Entry& element) {
  if (!element.value.IsMap() || element.value.size() != 1) {
    reader.value_error(element,
                       "each entry of 'token_from' must be one of {header: NAME}, "
                       "{cookie: NAME} or {query: NAME}");
    return std::nullopt;
  }
  const auto map = reader.mapping(element, "in 'token_from'", {"header", "cookie", "query"});
  if (!map || map->entries().empty()) return std::nullopt;
  const Entry& source = map->entries().front();
  auto name = read_source_name(reader, source);
  if (!name) return std::nullopt;
  TokenSource result;
  const auto& kind = source.key.Scalar();
  result.kind = kind == "header"   ? TokenSource::Kind::header
                : kind == "cookie" ? TokenSource::Kind::cookie
                                   : TokenSource::Kind::query;
  result.name = std::move(*name);
  result.mark = reader.mark(source.key);
  return result;
}

const std::string* claim_in_header(const Provider& provider, std::string_view header) {
  const auto lower = common::ascii_lowered(header);
  for (const auto& [claim, name] : provider.forward_claims) {
    if (common::ascii_lowered(name) == lower) return &claim;
  }
  return nullptr;
}

void read_forward_claims(YamlReader& reader, const Entry& entry, Provider& provider) {
  const auto claims = reader.mapping(entry, "in 'forward_claims'", {});
  if (!claims) return;
  for (const auto& claim : claims->entries()) {
    const auto& claim_name = claim.key.Scalar();
    if (!is_claim_path(claim_name)) {
      reader.error(claim.key, "claim name " + quote(claim_name) + " " + kClaimPathRule);
      continue;
    }
    const auto header = read_header_name(reader, claim, HeaderUse::forwarded);
    if (!header) continue;
    if (const auto* other = claim_in_header(provider, *header)) {
      reader.value_error(claim,
                         "header " + quote(*header) + " already carries claim " + quote(*other));
      continue;
    }
    provider.forward_claims.emplace_back(claim_name, *header);
  }
}

}  // namespace

void read_token_from(YamlReader& reader, const Mapping& map, Provider& provider) {
  const auto* entry = map.find("token_from");
  if (!entry) {
    provider.token_from.push_back(
        TokenSource{TokenSource::Kind::header, "Authorization", provider.mark});
    return;
  }
  const auto elements = reader.sequence(*entry);
  if (!elements) return;
  if (elements->empty()) {
    reader.value_error(*entry,
                       "'token_from' must not be empty (omit it to read the "
                       "Authorization header)");
  }
  for (const auto& element : *elements) {
    push(provider.token_from, read_token_source(reader, element));
  }
}

void read_forwarding(YamlReader& reader, const Mapping& map, Provider& provider) {
  if (const auto* entry = map.find("forward_token")) {
    assign(provider.forward_token, reader.flag(*entry));
  }
  if (const auto* entry = map.find("forward_claims")) read_forward_claims(reader, *entry, provider);
  if (const auto* entry = map.find("forward_payload_header")) {
    const auto header = read_header_name(reader, *entry, HeaderUse::forwarded);
    if (!header) return;
    if (const auto* claim = claim_in_header(provider, *header)) {
      reader.value_error(*entry,
                         "header " + quote(*header) + " already carries claim " + quote(*claim));
      return;
    }
    provider.forward_payload_header = *header;
  }
}

}  // namespace jwt_sidecar::config::detail
