// Verified claims turned into request headers (forward_claims, forward_payload_header).
// Internal to policies/ (simdjson): the engine calls it while the payload it parsed is current.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace jwt_sidecar::policies {

// Appends the provider's claim headers for a verified token. A string claim goes as it is; one
// that a header cannot carry faithfully (control bytes, leading or trailing whitespace, which
// every HTTP parser strips) is left out, never altered. Other values go as compact JSON, so an
// array can never pass for a comma-joined string. `payload_text` is the decoded payload, for
// forward_payload_header (base64url of it).
void append_claim_headers(const config::Provider& provider, simdjson::dom::element payload,
                          std::string_view payload_text,
                          std::vector<std::pair<std::string_view, std::string>>& out);

}  // namespace jwt_sidecar::policies
