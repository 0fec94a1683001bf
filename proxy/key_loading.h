// Fills providers' key stores from their static sources (inline `jwks`, `jwks_file`). Remote
// sources (jwks_uri, discovery) are fetched by the JWKS fetcher.
#pragma once

#include <string>
#include <vector>

#include "proxy/runtime.h"

namespace jwt_sidecar::proxy {

// Returns one message per problem ("file:line:column: provider 'corp': ..."); logs them and
// every skipped key when `log` is set.
std::vector<std::string> load_static_keys(const Runtime& runtime, bool log);

}  // namespace jwt_sidecar::proxy
