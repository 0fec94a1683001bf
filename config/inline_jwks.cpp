// The inline `jwks` of a provider. Its members are not checked against a key list: JWKs carry
// registered and private parameters alike, and policies/ validates them when it builds keys.
// What is checked here is what would otherwise surface only at the first request: the shape,
// and HMAC secrets too short for their hash (RFC 7518 section 3.2).
#include "config/sections.h"
#include "config/syntax.h"
#include "config/yaml_json.h"

namespace jwt_sidecar::config::detail {
namespace {

std::size_t hmac_hash_bytes(std::string_view alg) {
  if (alg == "HS256") return 32;
  if (alg == "HS384") return 48;
  if (alg == "HS512") return 64;
  return 0;
}

// The algorithm whose hash the secret must cover: the key's own `alg`, else the strongest HMAC
// algorithm the provider allows, since any of them may be used with a key that names none.
std::string hmac_algorithm(const YAML::Node& key, const Provider& provider) {
  const auto alg = find_member(key, "alg");
  if (alg.IsScalar() && hmac_hash_bytes(alg.Scalar()) > 0) return alg.Scalar();
  std::string strongest = "HS256";
  for (const auto& name : provider.algorithms) {
    if (hmac_hash_bytes(name) > hmac_hash_bytes(strongest)) strongest = name;
  }
  return strongest;
}

void check_hmac_key(YamlReader& reader, const YAML::Node& key, const Provider& provider) {
  const auto secret = find_member(key, "k");
  if (!secret.IsScalar() || secret.Scalar().empty()) {
    reader.error(key, "an oct (HMAC) key needs 'k', its secret in base64url");
    return;
  }
  const auto size = base64url_decoded_size(secret.Scalar());
  if (!size) {
    reader.error(secret, "'k' must be base64url without padding");
    return;
  }
  const auto alg = hmac_algorithm(key, provider);
  const auto needed = hmac_hash_bytes(alg);
  if (*size >= needed) return;
  const auto kid = find_member(key, "kid");
  const auto which = kid.IsScalar() ? " of key " + quote(kid.Scalar()) : std::string();
  reader.error(key, "HMAC secret" + which + " is " + std::to_string(*size) +
                        " bytes, shorter than the " + std::to_string(needed) + "-byte hash of " +
                        alg);
}

}  // namespace

void read_inline_jwks(YamlReader& reader, const Entry& entry, Provider& provider) {
  const auto keys = find_member(entry.value, "keys");
  if (!keys.IsSequence()) {
    reader.value_error(entry,
                       "'jwks' must be a JWK Set: a mapping with a 'keys' list (JSON is "
                       "YAML too, so a JSON object can be pasted unquoted)");
    return;
  }
  std::string json;
  if (auto problem = yaml_to_json(entry.value, json); !problem.empty()) {
    reader.value_error(entry, "'jwks' " + problem);
    return;
  }
  for (const auto& key : keys) {
    if (!key.IsMap()) {
      reader.error(key.IsNull() ? keys : key, "each entry of 'keys' must be a mapping (a JWK)");
      continue;
    }
    const auto kty = find_member(key, "kty");
    if (kty.IsScalar() && kty.Scalar() == "oct") check_hmac_key(reader, key, provider);
  }
  provider.jwks_inline = std::move(json);
}

}  // namespace jwt_sidecar::config::detail
