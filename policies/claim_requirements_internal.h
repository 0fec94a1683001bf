// ClaimRequirements against an already-parsed payload, for callers that hold the document
// (the verifier) and want to avoid a second parse. Internal: include only from .cpp files in
// policies/, so simdjson stays out of everything else.
#pragma once

#include <simdjson.h>

#include "policies/claim_requirements.h"

namespace jwt_sidecar::policies {

// `payload` should be the claims set object; anything else is invalid_payload. Does not look
// for repeated member names: parse_jws() already refused those.
ClaimCheck check_claim_requirements(const ClaimRequirements& requirements,
                                    simdjson::dom::element payload) noexcept;

}  // namespace jwt_sidecar::policies
