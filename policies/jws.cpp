#include "policies/jws.h"

#include "common/ascii.h"
#include "common/base64url.h"
#include "policies/json_internal.h"

namespace jwt_sidecar::policies {

using common::base64url_decode;
using common::equals_ignore_case;
namespace {

namespace dom = simdjson::dom;

// Decodes a base64url segment into `buffer` followed by simdjson padding; returns its size.
bool decode_padded(std::string_view segment, std::string& buffer, std::size_t& size) {
  if (!base64url_decode(segment, buffer)) return false;
  size = buffer.size();
  buffer.append(simdjson::SIMDJSON_PADDING, '\0');
  return true;
}

// Header members we act on, found in one pass over the object. Every other member (typ, cty,
// jwk, jku, x5u, x5c, x5t, ...) is ignored: keys come only from configured sources, never
// from the token itself. Precedence of the verdicts is fixed, whatever the member order.
Status check_header(dom::object header, Algorithm& alg, bool& has_kid, std::string& kid) {
  bool crit = false, unsupported = false, has_alg = false;
  dom::element alg_value, kid_value;
  for (auto field : header) {
    const std::string_view k = field.key;
    if (k == "alg") {
      has_alg = true;
      alg_value = field.value;
    } else if (k == "kid") {
      has_kid = true;
      kid_value = field.value;
    } else if (k == "crit") {
      crit = true;
    } else if (k == "b64" || k == "enc" || k == "zip") {
      unsupported = true;
    }
  }
  if (crit) return Status::crit_unsupported;
  if (unsupported) return Status::header_parameter_unsupported;
  if (!has_alg) return Status::alg_missing;
  std::string_view name;
  if (alg_value.get(name) != simdjson::SUCCESS) return Status::alg_invalid;
  if (equals_ignore_case(name, "none")) return Status::alg_none;
  const auto parsed = algorithm_from_name(name);
  if (!parsed) return Status::alg_unsupported;
  alg = *parsed;
  if (has_kid) {
    std::string_view k;
    if (kid_value.get(k) != simdjson::SUCCESS) return Status::kid_invalid;
    kid.assign(k);
  }
  return Status::ok;
}

// A NumericDate (RFC 7519 section 2): a JSON number, integer or fraction, 0..kMaxNumericDate.
bool read_numeric_date(dom::element value, std::optional<double>& out) {
  double v = 0;
  switch (value.type()) {
    case dom::element_type::INT64: {
      std::int64_t i = 0;
      if (value.get(i) != simdjson::SUCCESS) return false;
      v = static_cast<double>(i);
      break;
    }
    case dom::element_type::UINT64: {
      std::uint64_t u = 0;
      if (value.get(u) != simdjson::SUCCESS) return false;
      v = static_cast<double>(u);
      break;
    }
    case dom::element_type::DOUBLE:
      if (value.get(v) != simdjson::SUCCESS) return false;
      break;
    default:
      return false;
  }
  if (!(v >= 0.0 && v <= kMaxNumericDate)) return false;  // also rejects NaN
  out = v;
  return true;
}

void set_shape(Claims& claims, Status status) {
  if (claims.shape == Status::ok) claims.shape = status;
}

void read_audience(dom::element value, Claims& claims) {
  claims.has_aud = true;
  std::string_view s;
  dom::array array;
  if (value.get(s) == simdjson::SUCCESS) {
    claims.aud.emplace_back(s);
  } else if (value.get(array) == simdjson::SUCCESS) {
    for (auto item : array) {
      if (item.get(s) != simdjson::SUCCESS) {
        set_shape(claims, Status::audience_invalid);
        return;
      }
      claims.aud.emplace_back(s);
    }
  } else {
    set_shape(claims, Status::audience_invalid);
  }
}

// The registered claims, in one pass over the payload's members.
void extract_claims(dom::object payload, Claims& claims) {
  claims.clear();
  for (auto field : payload) {
    const std::string_view k = field.key;
    if (k.size() != 3) continue;  // every registered claim name we read has three letters
    std::string_view s;
    if (k == "iss") {
      if (field.value.get(s) == simdjson::SUCCESS) {
        claims.iss.emplace(s);
      } else {
        set_shape(claims, Status::issuer_invalid);
      }
    } else if (k == "sub") {
      if (field.value.get(s) == simdjson::SUCCESS) claims.sub.emplace(s);
    } else if (k == "jti") {
      if (field.value.get(s) == simdjson::SUCCESS) claims.jti.emplace(s);
    } else if (k == "aud") {
      read_audience(field.value, claims);
    } else if (k == "exp") {
      if (!read_numeric_date(field.value, claims.exp)) set_shape(claims, Status::exp_invalid);
    } else if (k == "nbf") {
      if (!read_numeric_date(field.value, claims.nbf)) set_shape(claims, Status::nbf_invalid);
    } else if (k == "iat") {
      if (!read_numeric_date(field.value, claims.iat)) set_shape(claims, Status::iat_invalid);
    }
  }
}

// Parses a decoded JSON part, requiring an object without duplicate members.
Status parse_object(dom::parser& parser, std::string_view padded, dom::object& object,
                    Status invalid_json, Status not_object, Status duplicate) {
  dom::element root;
  if (json::parse_padded(parser, padded).get(root) != simdjson::SUCCESS) return invalid_json;
  if (root.get(object) != simdjson::SUCCESS) return not_object;
  if (json::has_duplicate_members(root)) return duplicate;
  return Status::ok;
}

}  // namespace

void ParsedJws::copy_verified_from(const ParsedJws& other) {
  signing_input_ = {};
  signature_.clear();
  header_.assign(other.header_);  // keeps the simdjson padding that follows the text
  header_size_ = other.header_size_;
  payload_.assign(other.payload_);
  payload_size_ = other.payload_size_;
  alg_ = other.alg_;
  has_kid_ = other.has_kid_;
  kid_.assign(other.kid_);
  claims_ = other.claims_;
  payload_parser_state_ = nullptr;  // the document of this payload is not the thread parser's
}

Status parse_jws(std::string_view token, PayloadKind kind, ParsedJws& out) {
  out.signing_input_ = {};
  out.signature_.clear();
  out.claims_.clear();
  out.header_size_ = out.payload_size_ = 0;
  out.has_kid_ = false;
  out.kid_.clear();
  out.payload_parser_state_ = nullptr;

  const auto dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return Status::malformed_token;
  const auto dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return Status::malformed_token;
  const auto dot3 = token.find('.', dot2 + 1);
  if (dot3 != std::string_view::npos) {
    // Five segments is the JWE compact form (RFC 7516 section 7.1); anything else is junk.
    const auto dot4 = token.find('.', dot3 + 1);
    if (dot4 != std::string_view::npos && token.find('.', dot4 + 1) == std::string_view::npos) {
      return Status::encrypted_token_unsupported;
    }
    return Status::malformed_token;
  }
  const auto header_b64 = token.substr(0, dot1);
  const auto payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const auto signature_b64 = token.substr(dot2 + 1);
  if (header_b64.empty()) return Status::malformed_token;

  if (!decode_padded(header_b64, out.header_, out.header_size_)) return Status::bad_base64url;
  auto& parser = json::thread_parser();
  dom::object header;
  Status s = parse_object(parser, {out.header_.data(), out.header_size_}, header,
                          Status::header_invalid_json, Status::header_not_object,
                          Status::header_duplicate_member);
  if (s != Status::ok) return s;
  // The header decides before the other segments are looked at, so an unsigned token with an
  // empty signature is reported as alg_none rather than as malformed.
  s = check_header(header, out.alg_, out.has_kid_, out.kid_);
  if (s != Status::ok) return s;

  if (payload_b64.empty() || signature_b64.empty()) return Status::malformed_token;
  if (!decode_padded(payload_b64, out.payload_, out.payload_size_)) return Status::bad_base64url;
  if (!base64url_decode(signature_b64, out.signature_)) return Status::bad_base64url;

  if (kind == PayloadKind::jwt_claims) {
    dom::object payload;
    s = parse_object(parser, {out.payload_.data(), out.payload_size_}, payload,
                     Status::payload_invalid_json, Status::payload_not_object,
                     Status::payload_duplicate_member);
    if (s != Status::ok) return s;
    extract_claims(payload, out.claims_);
    const auto& last = json::thread_last_parse();
    out.note_payload_parse(&last, last.number);
  }
  out.signing_input_ = token.substr(0, dot2);
  return Status::ok;
}

}  // namespace jwt_sidecar::policies
