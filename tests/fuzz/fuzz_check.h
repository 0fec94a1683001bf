// Invariant checks for the fuzz targets: a broken invariant prints what and where, then aborts,
// which libFuzzer reports as a crash and saves the input for (tests/fuzz/README.md).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

namespace jwt_sidecar::fuzz {

[[noreturn]] inline void invariant_failed(const char* file, int line, const char* expression,
                                          std::string_view detail) {
  std::fprintf(stderr, "\n==fuzz== invariant broken at %s:%d: %s\n", file, line, expression);
  if (!detail.empty()) {
    std::fprintf(stderr, "==fuzz== %.*s\n", static_cast<int>(detail.size()), detail.data());
  }
  std::fflush(stderr);
  std::abort();
}

// Printable form of arbitrary bytes for messages: escapes everything outside ' '..'~'.
inline std::string printable(std::string_view bytes, std::size_t limit = 300) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (bytes.size() > limit) out += "...";
  return out;
}

// Runs one input; an exception escaping the code under test is a finding like a crash.
template <typename F>
int guarded(F&& one_input) {
  try {
    one_input();
  } catch (const std::exception& e) {
    invariant_failed(__FILE__, __LINE__, "no exception escapes", std::string("exception escaped: ") + e.what());
  } catch (...) {
    invariant_failed(__FILE__, __LINE__, "no exception escapes", "a non-std exception escaped");
  }
  return 0;
}

}  // namespace jwt_sidecar::fuzz

// FUZZ_CHECK(condition) or FUZZ_CHECK(condition, detail), detail being anything that converts
// to std::string_view (evaluated only on failure).
#define FUZZ_CHECK(condition, ...)                                                          \
  do {                                                                                      \
    if (!(condition)) {                                                                     \
      ::jwt_sidecar::fuzz::invariant_failed(__FILE__, __LINE__, #condition,                 \
                                            ::std::string_view{__VA_ARGS__});               \
    }                                                                                       \
  } while (0)
