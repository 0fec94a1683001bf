// Revocation entries (DESIGN.md "Revocation") and the YAML list file that holds them. The same
// three kinds live in Redis (proxy/revocation/redis_source.h); this is their one definition.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace jwt_sidecar::config {

struct RevocationEntry {
  enum class Kind : std::uint8_t { jti, sub, kid };
  Kind kind = Kind::jti;
  std::string issuer;  // exact "iss"
  std::string value;   // the jti, sub or kid, exact bytes
  // jti: Unix seconds after which the entry may be dropped (0: kept for ever).
  // sub: tokens with "iat" before this are revoked (a token without "iat" always is).
  // kid: unused (0).
  std::int64_t time = 0;
};

std::string_view kind_name(RevocationEntry::Kind kind);

// Checks an entry made elsewhere (the CLI, a Redis field): "" when it is usable, or what is
// wrong with it. Issuers have no spaces or control bytes; values no control bytes; both are
// non-empty and at most 1024 bytes; times are within [0, common::kMaxNumericDate].
std::string check_entry(const RevocationEntry& entry);

struct RevocationFile {
  std::vector<RevocationEntry> entries;  // in file order; set only when `errors` is empty
  std::vector<ConfigError> errors;       // file:line:column of every problem
};

// A YAML list of {issuer, jti, expires?} | {issuer, sub, before} | {issuer, kid}. An empty file
// or an empty list is an empty list. Never throws for bad input.
RevocationFile parse_revocation_list(std::string_view yaml_text, const std::string& file);
RevocationFile load_revocation_file(const std::string& path);

// The file form of `entries` (what `jwt-sidecar revoke` writes): one flow mapping per line,
// every string quoted, so parse_revocation_list() reads back exactly these entries.
std::string format_revocation_list(const std::vector<RevocationEntry>& entries);

// The Redis data model (docs/revocation.md), so that an IdP's logout hook can write entries
// without the CLI: one hash, `<key_prefix>revoked`, one field per entry,
//   field "<kind> <issuer> <value>"   (kind: jti | sub | kid; the issuer has no spaces)
//   value "<time>"                    (jti: expires or 0; sub: before; kid: 0)
// and after each change a PUBLISH to `<key_prefix>revoked:changes` (any message).
std::string revocation_hash_key(std::string_view key_prefix);
std::string revocation_channel(std::string_view key_prefix);
std::string revocation_field(const RevocationEntry& entry);
std::string revocation_field_value(const RevocationEntry& entry);
// The entry a field and its value stand for: "" when usable, or what is wrong with it.
std::string parse_revocation_field(std::string_view field, std::string_view value, RevocationEntry& out);

}  // namespace jwt_sidecar::config
