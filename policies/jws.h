// JWS compact serialisation (RFC 7515 section 7.1): splitting, strict decoding and header
// checks. No keys and no crypto here; see verify.h for the whole verification.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "policies/algorithm.h"
#include "policies/claims.h"
#include "policies/status.h"

namespace jwt_sidecar::policies {

enum class PayloadKind : std::uint8_t {
  any_bytes,   // plain JWS: the payload is opaque (RFC 7520 examples)
  jwt_claims,  // JWT: the payload must be a JSON object; registered claims are extracted
};

// The parts of one token. Reuse one instance per thread: its buffers keep their capacity,
// so parsing allocates nothing once warm (short strings aside).
class ParsedJws {
 public:
  std::string_view signing_input() const { return signing_input_; }
  std::string_view header_json() const { return {header_.data(), header_size_}; }
  std::string_view payload() const { return {payload_.data(), payload_size_}; }
  std::string_view signature() const { return signature_; }
  Algorithm alg() const { return alg_; }
  bool has_kid() const { return has_kid_; }
  std::string_view kid() const { return kid_; }
  // Only for PayloadKind::jwt_claims.
  const Claims& claims() const { return claims_; }

  // Takes the decoded header, payload and claims of an already verified token (a cache hit).
  // The signing input and signature are left empty: they belong to the original token text.
  void copy_verified_from(const ParsedJws& other);

  // Which parse of which thread's parser produced the payload document (json::payload_root):
  // opaque identity, compared, never dereferenced.
  void note_payload_parse(const void* parser_state, std::uint64_t number) {
    payload_parser_state_ = parser_state;
    payload_parse_number_ = number;
  }
  bool payload_parsed_as(const void* parser_state, std::uint64_t number) const {
    return payload_parser_state_ != nullptr && payload_parser_state_ == parser_state && payload_parse_number_ == number;
  }

 private:
  friend Status parse_jws(std::string_view, PayloadKind, ParsedJws&);
  std::string_view signing_input_;  // points into the caller's token
  std::string header_;              // decoded, followed by simdjson padding
  std::size_t header_size_ = 0;
  std::string payload_;             // decoded, followed by simdjson padding
  std::size_t payload_size_ = 0;
  std::string signature_;
  Algorithm alg_ = Algorithm::HS256;
  bool has_kid_ = false;
  std::string kid_;
  Claims claims_;
  const void* payload_parser_state_ = nullptr;
  std::uint64_t payload_parse_number_ = 0;
};

// Splits and decodes `token`, checks the header (alg, kid, crit, b64/enc/zip, duplicates) and,
// for jwt_claims, that the payload is a JSON object without duplicate members, extracting the
// registered claims. `token` must outlive `out`'s signing_input().
Status parse_jws(std::string_view token, PayloadKind kind, ParsedJws& out);

}  // namespace jwt_sidecar::policies
