// OpenID Connect Discovery 1.0 documents: the two members jwt-sidecar uses.
#pragma once

#include <string>
#include <string_view>

namespace jwt_sidecar::policies {

struct DiscoveryDocument {
  std::string issuer;
  std::string jwks_uri;
};

// Parses a discovery document; returns "" on success, else why it is unusable. The caller
// must still compare `issuer` with the configured one (OpenID Connect Discovery 1.0 4.3).
std::string parse_discovery(std::string_view json, DiscoveryDocument& out);

}  // namespace jwt_sidecar::policies
