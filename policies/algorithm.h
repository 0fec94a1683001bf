// JWS algorithms (RFC 7518 section 3, RFC 8037 section 3.1) and allow-lists of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jwt_sidecar::policies {

enum class Algorithm : std::uint8_t {
  HS256, HS384, HS512,
  RS256, RS384, RS512,
  PS256, PS384, PS512,
  ES256, ES384, ES512,
  EdDSA,
};
inline constexpr std::size_t kAlgorithmCount = 13;

enum class AlgorithmFamily : std::uint8_t { hmac, rsa_pkcs1, rsa_pss, ecdsa, eddsa };

// Exact, case-sensitive names as registered by RFC 7518; "none" is not an Algorithm.
std::optional<Algorithm> algorithm_from_name(std::string_view name) noexcept;
std::string_view algorithm_name(Algorithm alg) noexcept;
AlgorithmFamily algorithm_family(Algorithm alg) noexcept;
// Digest length in bytes for HS/RS/PS/ES (32, 48, 64); 0 for EdDSA, which hashes internally.
std::size_t algorithm_digest_bytes(Algorithm alg) noexcept;

// A set of algorithms as a bit mask: cheap to copy and to test on the hot path.
class AlgorithmSet {
 public:
  constexpr AlgorithmSet() = default;
  static constexpr AlgorithmSet all() { return AlgorithmSet{(1u << kAlgorithmCount) - 1}; }
  // Every asymmetric algorithm: the default, since an HMAC secret shared with every
  // verifier is a signing key and must be asked for explicitly.
  static constexpr AlgorithmSet asymmetric() {
    return AlgorithmSet{all().bits_ & ~0x7u};
  }

  constexpr void insert(Algorithm a) { bits_ |= bit(a); }
  constexpr bool contains(Algorithm a) const { return (bits_ & bit(a)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr bool operator==(const AlgorithmSet&) const = default;
  // "RS256,ES256" in enum order; for messages and the CLI.
  std::string to_string() const;

 private:
  constexpr explicit AlgorithmSet(std::uint32_t bits) : bits_(bits) {}
  static constexpr std::uint32_t bit(Algorithm a) { return 1u << static_cast<unsigned>(a); }
  std::uint32_t bits_ = 0;
};

// Parses "RS256,ES256" (commas, optional spaces). Returns nullopt and sets `bad` to the first
// unknown name.
std::optional<AlgorithmSet> parse_algorithm_list(std::string_view list, std::string* bad);

}  // namespace jwt_sidecar::policies
