// The parts of load_config(), one per section of the schema, and the value readers they share.
// Internal to config/: every function reports through the YamlReader and never throws.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace jwt_sidecar::config::detail {

template <class T, class U>
void assign(T& out, std::optional<U> value) {
  if (value) out = static_cast<T>(std::move(*value));
}

template <class T>
void push(std::vector<T>& out, std::optional<T> value) {
  if (value) out.push_back(std::move(*value));
}

// A member of a YAML mapping without yaml-cpp's operator[], whose missing-key node throws when
// inspected; a null node when absent or when `map` is not a mapping.
YAML::Node find_member(const YAML::Node& map, std::string_view name);

std::optional<Url> read_url(YamlReader& reader, const Entry& entry);
// An upstream: a URL string, or a map {url, ca_file, cert_file, key_file, server_name}.
std::optional<Url> read_upstream(YamlReader& reader, const Entry& entry);
std::optional<Address> read_address(YamlReader& reader, const Entry& entry, bool allow_port_zero);

enum class HeaderUse { token_source, forwarded };
std::optional<std::string> read_header_name(YamlReader& reader, const Entry& entry, HeaderUse use);

// Names that end up in metrics labels and logs: letters, digits, '-', '_', '.'.
bool is_simple_name(std::string_view name);

// A claim name, or a dotted path into nested claims ("realm_access.roles"): no empty segments.
bool is_claim_path(std::string_view name);
inline constexpr const char* kClaimPathRule =
    "must be a claim name or a dotted path such as realm_access.roles";

// `providers`: a mapping of name -> settings. Providers with errors are still added, so that
// routes naming them are not reported a second time.
void read_providers(YamlReader& reader, const Entry& entry, std::vector<Provider>& out);

// `token_from` (defaulted to the Authorization header when absent), and `forward_token`,
// `forward_claims`, `forward_payload_header`.
void read_token_from(YamlReader& reader, const Mapping& map, Provider& provider);
void read_forwarding(YamlReader& reader, const Mapping& map, Provider& provider);

// The inline `jwks` of a provider whose `algorithms` are already read: converted to JSON text,
// shape checked, HMAC secrets measured.
void read_inline_jwks(YamlReader& reader, const Entry& entry, Provider& provider);

void read_routes(YamlReader& reader, const Entry& entry, const std::vector<Provider>& providers,
                 std::vector<Route>& out);

// `auth_service`: the check listener, Envoy's path prefix, a pinned dialect.
void read_auth_service(YamlReader& reader, const Entry& entry, std::optional<AuthServiceConfig>& out);

// `revocation`: its sources (file, redis) and what a stale list means.
void read_revocation(YamlReader& reader, const Entry& entry, std::optional<RevocationConfig>& out);

}  // namespace jwt_sidecar::config::detail
