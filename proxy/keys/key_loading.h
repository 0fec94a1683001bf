// Fills providers' key stores from their static sources (inline `jwks`, `jwks_file`). Remote
// sources (jwks_uri, discovery) are fetched by the JWKS fetcher.
#pragma once

#include <string>
#include <vector>

#include "proxy/runtime/runtime.h"

namespace jwt_sidecar::proxy {

struct KeyLoadReport {
  std::vector<std::string> errors;    // a key file that exists but holds no usable keys
  std::vector<std::string> warnings;  // a key file that cannot be read (yet): the provider
                                      // stays unready until it appears
};

// Messages read "file:line:column: provider 'corp': ..."; they, and every skipped key, are
// also logged when `log` is set.
KeyLoadReport load_static_keys(const Runtime& runtime, bool log);

}  // namespace jwt_sidecar::proxy
