#include "policies/algorithm.h"

#include <array>

#include "common/algorithm_names.h"
#include "common/ascii.h"

namespace jwt_sidecar::policies {

using common::trim_ascii;
namespace {

// Family and digest length per Algorithm, in enum order; the names are common::kAlgorithmNames
// (config/ checks `algorithms:` against the same list).
struct AlgInfo {
  AlgorithmFamily family;
  std::size_t digest_bytes;
};

constexpr std::array<AlgInfo, kAlgorithmCount> kAlgs{{
    {AlgorithmFamily::hmac, 32},      {AlgorithmFamily::hmac, 48},      {AlgorithmFamily::hmac, 64},
    {AlgorithmFamily::rsa_pkcs1, 32}, {AlgorithmFamily::rsa_pkcs1, 48}, {AlgorithmFamily::rsa_pkcs1, 64},
    {AlgorithmFamily::rsa_pss, 32},   {AlgorithmFamily::rsa_pss, 48},   {AlgorithmFamily::rsa_pss, 64},
    {AlgorithmFamily::ecdsa, 32},     {AlgorithmFamily::ecdsa, 48},     {AlgorithmFamily::ecdsa, 64},
    {AlgorithmFamily::eddsa, 0},
}};
static_assert(common::kAlgorithmNames.size() == kAlgorithmCount);

}  // namespace

std::optional<Algorithm> algorithm_from_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < common::kAlgorithmNames.size(); ++i) {
    if (common::kAlgorithmNames[i] == name) return static_cast<Algorithm>(i);
  }
  return std::nullopt;
}

std::string_view algorithm_name(Algorithm alg) noexcept {
  return common::kAlgorithmNames[static_cast<std::size_t>(alg)];
}

AlgorithmFamily algorithm_family(Algorithm alg) noexcept {
  return kAlgs[static_cast<std::size_t>(alg)].family;
}

std::size_t algorithm_digest_bytes(Algorithm alg) noexcept {
  return kAlgs[static_cast<std::size_t>(alg)].digest_bytes;
}

std::string AlgorithmSet::to_string() const {
  std::string out;
  for (std::size_t i = 0; i < kAlgorithmCount; ++i) {
    if (contains(static_cast<Algorithm>(i))) {
      if (!out.empty()) out += ',';
      out += common::kAlgorithmNames[i];
    }
  }
  return out;
}

std::optional<AlgorithmSet> parse_algorithm_list(std::string_view list, std::string* bad) {
  AlgorithmSet set;
  while (true) {
    const auto comma = list.find(',');
    const auto item = trim_ascii(list.substr(0, comma));
    const auto alg = algorithm_from_name(item);
    if (!alg) {
      if (bad) *bad = std::string(item);
      return std::nullopt;
    }
    set.insert(*alg);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return set;
}

}  // namespace jwt_sidecar::policies
