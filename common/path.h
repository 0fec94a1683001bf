// Request-target normalisation (origin-form, RFC 9112 section 3.2.1) into exactly one canonical
// path, so that route matching cannot be bypassed by spelling a path differently from how the
// upstream will read it. Pure and allocation-free once the caller's NormalizedTarget is warm.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace jwt_sidecar::common {

// Why a request target was refused (answered with 400). Stable snake_case reasons; never
// rename one.
enum class TargetError : std::uint8_t {
  none,
  not_origin_form,       // does not start with "/": "*", absolute-form and authority-form are
                         // the caller's to handle before calling normalize_target()
  encoded_slash,         // %2F in the path: decoding it would change the segment structure
  backslash,             // "\" or %5C in the path: some servers treat it as "/"
  nul,                   // a NUL byte anywhere, or %00 in the path
  fragment,              // "#": a fragment is never part of a request target (RFC 9110 4.2.4)
  bad_percent_encoding,  // "%" in the path not followed by two hex digits (RFC 3986 2.1)
  control_character,     // a byte below 0x21 (space included) or 0x7F anywhere
  too_long,              // longer than the caller's limit
};

// "encoded_slash"; the enum value's name.
std::string_view reason(TargetError error) noexcept;

inline constexpr std::size_t kMaxTargetBytes = 8192;

struct NormalizedTarget {
  // Canonical path, the one to forward: unreserved characters percent-decoded, every other
  // escape kept with upper-case hex, dot segments removed, "//" runs merged. Starts with "/";
  // a trailing "/" is kept. Path parameters (";x") are kept.
  std::string path;
  // `path` with the ";param" part of every segment removed: what routes are matched against,
  // so that /admin;x cannot slip past a rule for /admin.
  std::string match_path;
  // The raw query, without the "?", byte for byte as received (matching never sees it).
  std::string query;
  bool has_query = false;  // "?" was present, even with an empty query

  void clear() noexcept;
};

// Normalises an origin-form `target` ("/path?query") into `out`. On error `out` is cleared.
// The NUL, control character and "#" checks cover the whole target; the percent-encoding,
// backslash and encoded-slash checks cover the path only, since the query is forwarded
// untouched and legitimately carries %2F.
TargetError normalize_target(std::string_view target, NormalizedTarget& out,
                             std::size_t max_bytes = kMaxTargetBytes) noexcept;

}  // namespace jwt_sidecar::common
