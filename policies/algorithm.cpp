#include "policies/algorithm.h"

#include <array>

#include "policies/ascii.h"

namespace jwt_sidecar::policies {
namespace {

struct AlgInfo {
  std::string_view name;
  AlgorithmFamily family;
  std::size_t digest_bytes;
};

constexpr std::array<AlgInfo, kAlgorithmCount> kAlgs{{
    {"HS256", AlgorithmFamily::hmac, 32},      {"HS384", AlgorithmFamily::hmac, 48},
    {"HS512", AlgorithmFamily::hmac, 64},      {"RS256", AlgorithmFamily::rsa_pkcs1, 32},
    {"RS384", AlgorithmFamily::rsa_pkcs1, 48}, {"RS512", AlgorithmFamily::rsa_pkcs1, 64},
    {"PS256", AlgorithmFamily::rsa_pss, 32},   {"PS384", AlgorithmFamily::rsa_pss, 48},
    {"PS512", AlgorithmFamily::rsa_pss, 64},   {"ES256", AlgorithmFamily::ecdsa, 32},
    {"ES384", AlgorithmFamily::ecdsa, 48},     {"ES512", AlgorithmFamily::ecdsa, 64},
    {"EdDSA", AlgorithmFamily::eddsa, 0},
}};

}  // namespace

std::optional<Algorithm> algorithm_from_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kAlgs.size(); ++i) {
    if (kAlgs[i].name == name) return static_cast<Algorithm>(i);
  }
  return std::nullopt;
}

std::string_view algorithm_name(Algorithm alg) noexcept {
  return kAlgs[static_cast<std::size_t>(alg)].name;
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
      out += kAlgs[i].name;
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
