#include "policies/claim_requirements.h"

#include <cmath>

#include "policies/claim_requirements_internal.h"
#include "policies/json_internal.h"

namespace jwt_sidecar::policies {
namespace {

namespace dom = simdjson::dom;
using Op = config::ClaimRequirement::Op;
using Kind = config::Scalar::Kind;

// 2^63 as a double; integral doubles in [-2^63, 2^63) convert to int64 exactly.
constexpr double kTwo63 = 9223372036854775808.0;

// Integers are compared as integers, so 2^53 + 1 in a token is not "equal" to 2^53.
bool number_equals(dom::element value, double expected) noexcept {
  switch (value.type()) {
    case dom::element_type::INT64: {
      std::int64_t i = 0;
      if (value.get(i) != simdjson::SUCCESS) return false;
      if (std::trunc(expected) != expected || expected < -kTwo63 || expected >= kTwo63) {
        return false;
      }
      return static_cast<std::int64_t>(expected) == i;
    }
    case dom::element_type::UINT64: {
      std::uint64_t u = 0;
      if (value.get(u) != simdjson::SUCCESS) return false;
      if (std::trunc(expected) != expected || expected < 0 || expected >= 2 * kTwo63) return false;
      return static_cast<std::uint64_t>(expected) == u;
    }
    case dom::element_type::DOUBLE: {
      double d = 0;
      return value.get(d) == simdjson::SUCCESS && d == expected;
    }
    default:
      return false;
  }
}

bool scalar_equals(dom::element value, const config::Scalar& expected) noexcept {
  switch (expected.kind) {
    case Kind::string: {
      std::string_view s;
      return value.get(s) == simdjson::SUCCESS && s == expected.string;
    }
    case Kind::boolean: {
      bool b = false;
      return value.get(b) == simdjson::SUCCESS && b == expected.boolean;
    }
    case Kind::number:
      return number_equals(value, expected.number);
    case Kind::null:
      return value.is_null();
  }
  return false;
}

// RFC 8693 section 4.2: scope is a list of space-delimited values.
bool words_contain(std::string_view text, std::string_view word) noexcept {
  while (!text.empty()) {
    const auto space = text.find(' ');
    if (text.substr(0, space) == word) return true;
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return false;
}

bool set_contains(dom::element value, const config::Scalar& expected) noexcept {
  switch (value.type()) {
    case dom::element_type::ARRAY: {
      dom::array array;
      if (value.get(array) != simdjson::SUCCESS) return false;
      for (const auto item : array) {
        if (scalar_equals(item, expected)) return true;
      }
      return false;
    }
    case dom::element_type::STRING: {
      std::string_view text;
      if (expected.kind != Kind::string || expected.string.empty()) return false;
      return value.get(text) == simdjson::SUCCESS && words_contain(text, expected.string);
    }
    case dom::element_type::OBJECT:
      return false;
    default:
      return scalar_equals(value, expected);
  }
}

bool find_claim(dom::element payload, const CompiledClaimRequirement& r,
                dom::element& out) noexcept {
  dom::object object;
  if (payload.get(object) != simdjson::SUCCESS) return false;
  if (object.at_key(r.claim).get(out) == simdjson::SUCCESS) return true;
  if (r.path.size() < 2) return false;
  dom::element current = payload;
  for (const auto& piece : r.path) {
    if (current.get(object) != simdjson::SUCCESS) return false;
    if (object.at_key(piece).get(current) != simdjson::SUCCESS) return false;
  }
  out = current;
  return true;
}

bool holds(dom::element payload, const CompiledClaimRequirement& r) noexcept {
  dom::element value;
  const bool found = find_claim(payload, r, value);
  switch (r.op) {
    case Op::present:
      return found == r.present;
    case Op::equals:
      return found && scalar_equals(value, r.values.front());
    case Op::any:
      if (!found) return false;
      for (const auto& v : r.values) {
        if (set_contains(value, v)) return true;
      }
      return false;
    case Op::all:
      if (!found) return false;
      for (const auto& v : r.values) {
        if (!set_contains(value, v)) return false;
      }
      return true;
  }
  return false;
}

std::vector<std::string> split_dotted(std::string_view name) {
  std::vector<std::string> pieces;
  for (;;) {
    const auto dot = name.find('.');
    const auto piece = name.substr(0, dot);
    if (piece.empty()) return {};  // "a..b", ".a", "a.": reachable only as a top-level name
    pieces.emplace_back(piece);
    if (dot == std::string_view::npos) return pieces;
    name.remove_prefix(dot + 1);
  }
}

}  // namespace

ClaimRequirements ClaimRequirements::compile(const std::vector<config::ClaimRequirement>& requirements) {
  ClaimRequirements out;
  for (const auto& r : requirements) {
    out.requirements_.push_back({r.claim, split_dotted(r.claim), r.op, r.values, r.present});
  }
  return out;
}

std::string_view ClaimRequirements::claim(std::size_t index) const noexcept {
  return index < requirements_.size() ? std::string_view(requirements_[index].claim)
                                      : std::string_view();
}

ClaimCheck check_claim_requirements(const ClaimRequirements& requirements,
                                    simdjson::dom::element payload) noexcept {
  ClaimCheck result;
  if (payload.type() != dom::element_type::OBJECT) {
    result.invalid_payload = true;
    return result;
  }
  const auto& list = requirements.requirements();
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!holds(payload, list[i])) {
      result.failed = i;
      break;
    }
  }
  return result;
}

ClaimCheck ClaimRequirements::check(std::string_view padded_payload) const noexcept {
  if (requirements_.empty()) return {};
  dom::element root;
  auto& parser = json::thread_parser();
  if (json::parse_padded(parser, padded_payload).get(root) != simdjson::SUCCESS ||
      json::has_duplicate_members(root)) {
    ClaimCheck invalid;
    invalid.invalid_payload = true;
    return invalid;
  }
  return check_claim_requirements(*this, root);
}

}  // namespace jwt_sidecar::policies
