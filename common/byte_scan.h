// Byte-class scans over request bytes that every request pays for: the raw header check
// (RFC 9112 5: no control bytes but HTAB, CR only before LF) and the bearer credential
// alphabet (RFC 6750 2.1 b64token). Sixteen bytes at a time with SSE2 (always present on
// x86-64), one at a time elsewhere; both give the same answers.
#pragma once

#include <cstddef>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace jwt_sidecar::common {

namespace byte_scan_detail {

constexpr bool is_control(unsigned char c) noexcept { return c < 0x20 || c == 0x7F; }

constexpr bool is_b64token_body(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~' || c == '+' || c == '/';
}

#if defined(__SSE2__)
// 0xFF in each lane whose unsigned byte is within [lo, hi].
inline __m128i in_range(__m128i v, unsigned char lo, unsigned char hi) noexcept {
  const __m128i shifted = _mm_sub_epi8(v, _mm_set1_epi8(static_cast<char>(lo)));
  return _mm_cmpeq_epi8(_mm_min_epu8(shifted, _mm_set1_epi8(static_cast<char>(hi - lo))), shifted);
}

inline __m128i equal_to(__m128i v, char c) noexcept { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); }

inline __m128i load16(const char* p) noexcept { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
#endif

}  // namespace byte_scan_detail

// Index of the first byte at or after `from` that is a control byte (0x00-0x1F or 0x7F),
// or s.size() when there is none.
inline std::size_t find_control_byte(std::string_view s, std::size_t from) noexcept {
  using namespace byte_scan_detail;
  std::size_t i = from;
#if defined(__SSE2__)
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i v = load16(s.data() + i);
    const int hits = _mm_movemask_epi8(_mm_or_si128(in_range(v, 0x00, 0x1F), equal_to(v, 0x7F)));
    if (hits != 0) return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(hits)));
  }
#endif
  for (; i < s.size(); ++i) {
    if (is_control(static_cast<unsigned char>(s[i]))) return i;
  }
  return s.size();
}

// Length of the leading run of b64token body characters: ALPHA / DIGIT / "-" / "." / "_" /
// "~" / "+" / "/" (RFC 6750 2.1; the "=" padding is not part of the run).
inline std::size_t b64token_body_length(std::string_view s) noexcept {
  using namespace byte_scan_detail;
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i v = load16(s.data() + i);
    __m128i ok = _mm_or_si128(in_range(v, 'A', 'Z'), in_range(v, 'a', 'z'));
    ok = _mm_or_si128(ok, in_range(v, '0', '9'));
    ok = _mm_or_si128(ok, _mm_or_si128(equal_to(v, '-'), equal_to(v, '.')));
    ok = _mm_or_si128(ok, _mm_or_si128(equal_to(v, '_'), equal_to(v, '~')));
    ok = _mm_or_si128(ok, _mm_or_si128(equal_to(v, '+'), equal_to(v, '/')));
    const unsigned misses = ~static_cast<unsigned>(_mm_movemask_epi8(ok)) & 0xFFFFu;
    if (misses != 0) return i + static_cast<std::size_t>(__builtin_ctz(misses));
  }
#endif
  for (; i < s.size(); ++i) {
    if (!is_b64token_body(static_cast<unsigned char>(s[i]))) return i;
  }
  return s.size();
}

}  // namespace jwt_sidecar::common
