// A route's `claims:` block (DESIGN.md "Config schema v1") compiled once, then checked against
// the payload of every token that verified. All requirements must hold.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace jwt_sidecar::policies {

struct CompiledClaimRequirement {
  std::string claim;                // as written: "realm_access.roles"
  std::vector<std::string> path;    // `claim` split on "."; empty when a piece would be empty
  config::ClaimRequirement::Op op = config::ClaimRequirement::Op::present;
  std::vector<config::Scalar> values;
  bool present = true;              // Op::present only
};

struct ClaimCheck {
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t failed = kNone;    // index of the first requirement that does not hold
  bool invalid_payload = false;  // not a JSON object, too deep, or a repeated member name
  bool ok() const noexcept { return failed == kNone && !invalid_payload; }
};

class ClaimRequirements {
 public:
  // Compiles requirements that config/ validated (a claim name, one value for equals, at
  // least one for any/all, none for present, finite numbers).
  static ClaimRequirements compile(const std::vector<config::ClaimRequirement>& requirements);

  bool empty() const noexcept { return requirements_.empty(); }
  std::size_t size() const noexcept { return requirements_.size(); }
  const std::vector<CompiledClaimRequirement>& requirements() const noexcept {
    return requirements_;
  }
  // The claim name of requirement `index`, for logs.
  std::string_view claim(std::size_t index) const noexcept;

  // Parses `padded_payload` (the claims set JSON) with the thread's parser and checks every
  // requirement in order. The text MUST be followed by simdjson::SIMDJSON_PADDING readable
  // bytes, as ParsedJws::payload() is. Any document the thread parser held is invalidated.
  // With no requirements the payload is not even parsed.
  //
  // Claim names are dotted paths into nested objects ("realm_access.roles"); a top-level
  // member spelt exactly like the whole name ("https://example.com/roles") wins. A claim's
  // value set (any/all) is a JSON array of scalars, a string split on spaces (RFC 8693 4.2
  // `scope`), or a single scalar. Numbers compare numerically; kinds never convert (the
  // string "true" is not the boolean true). `present` counts a member with a null value.
  ClaimCheck check(std::string_view padded_payload) const noexcept;
  bool satisfied_by(std::string_view padded_payload) const noexcept {
    return check(padded_payload).ok();
  }

 private:
  std::vector<CompiledClaimRequirement> requirements_;
};

}  // namespace jwt_sidecar::policies
