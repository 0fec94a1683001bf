#include "policies/discovery.h"

#include "policies/json_internal.h"

namespace jwt_sidecar::policies {

std::string parse_discovery(std::string_view json, DiscoveryDocument& out) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (const auto err = parser.parse(json.data(), json.size()).get(root); err != simdjson::SUCCESS) {
    return std::string("not valid JSON: ") + simdjson::error_message(err);
  }
  if (json::has_duplicate_members(root)) return "a JSON object repeats a member name";
  simdjson::dom::object doc;
  if (root.get(doc) != simdjson::SUCCESS) return "not a JSON object";
  std::string_view issuer, jwks_uri;
  if (doc["issuer"].get(issuer) != simdjson::SUCCESS) return "no \"issuer\" string";
  if (doc["jwks_uri"].get(jwks_uri) != simdjson::SUCCESS) return "no \"jwks_uri\" string";
  out.issuer.assign(issuer);
  out.jwks_uri.assign(jwks_uri);
  return "";
}

}  // namespace jwt_sidecar::policies
