// Fuzz target: common::normalize_target (request-target normalisation, common/path.h).
//
// The input is the request target, byte for byte. Checked on every input:
//  - the result is a declared TargetError; on error the output is cleared;
//  - it agrees (error kind, path, match_path, query) with a small independent model written
//    here from the contract in path.h: a stack of segments, no string surgery;
//  - on success the path starts with "/", has no "//", no "." or ".." segment (also not
//    before a ";param"), only upper-case escapes of bytes that must stay escaped, no byte
//    that the checks refuse, and is no longer than the raw path; match_path is the path with
//    every ";param" removed;
//  - normalising the result again is a fixed point, with and without its query;
//  - a warm (reused) NormalizedTarget gives the same answer as a fresh one;
//  - the length limit is exact: max_bytes = size passes the limit, size - 1 is too_long.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/path.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using jwt_sidecar::fuzz::printable;
using jwt_sidecar::common::NormalizedTarget;
using jwt_sidecar::common::normalize_target;
using jwt_sidecar::common::TargetError;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool unreserved(unsigned char c) {
  const bool alpha = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
  const bool digit = c >= '0' && c <= '9';
  return alpha || digit || c == '-' || c == '.' || c == '_' || c == '~';
}

// The model: what path.h promises, computed the plain way.
struct Model {
  TargetError error = TargetError::none;
  std::string path, match_path, query;
  bool has_query = false;
};

// Decodes one raw segment: unreserved escapes decoded, other escapes kept with upper-case hex.
TargetError model_decode(std::string_view raw, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.clear();
  std::size_t i = 0;
  while (i < raw.size()) {
    const char c = raw[i];
    if (c == '\\') return TargetError::backslash;
    if (c != '%') {
      out += c;
      ++i;
      continue;
    }
    if (i + 2 >= raw.size()) return TargetError::bad_percent_encoding;
    const int hi = hex_digit(raw[i + 1]);
    const int lo = hex_digit(raw[i + 2]);
    if (hi < 0 || lo < 0) return TargetError::bad_percent_encoding;
    const auto byte = static_cast<unsigned char>(hi * 16 + lo);
    if (byte == '/') return TargetError::encoded_slash;
    if (byte == '\\') return TargetError::backslash;
    if (byte == 0) return TargetError::nul;
    if (unreserved(byte)) {
      out += static_cast<char>(byte);
    } else {
      out += '%';
      out += kHex[hi];
      out += kHex[lo];
    }
    i += 3;
  }
  return TargetError::none;
}

Model model(std::string_view target, std::size_t max_bytes) {
  Model m;
  if (target.size() > max_bytes) {
    m.error = TargetError::too_long;
    return m;
  }
  if (target.empty() || target[0] != '/') {
    m.error = TargetError::not_origin_form;
    return m;
  }
  for (const char ch : target) {
    const auto c = static_cast<unsigned char>(ch);
    TargetError e = TargetError::none;
    if (c == 0) {
      e = TargetError::nul;
    } else if (c <= 0x20 || c == 0x7f) {
      e = TargetError::control_character;
    } else if (c == '#') {
      e = TargetError::fragment;
    }
    if (e != TargetError::none) {
      m.error = e;
      return m;
    }
  }
  std::string_view raw_path = target;
  if (const auto q = target.find('?'); q != std::string_view::npos) {
    m.has_query = true;
    m.query = std::string(target.substr(q + 1));
    raw_path = target.substr(0, q);
  }
  // Split on every "/" (the leading one gives no segment of its own).
  std::vector<std::string> stack;        // decoded segments kept so far
  bool ends_with_slash = false;
  std::string decoded;
  std::size_t start = 1;
  while (true) {
    std::size_t end = raw_path.find('/', start);
    if (end == std::string_view::npos) end = raw_path.size();
    const auto raw = raw_path.substr(start, end - start);
    if (const auto e = model_decode(raw, decoded); e != TargetError::none) {
      m = Model{};
      m.error = e;
      return m;
    }
    const std::string name = decoded.substr(0, decoded.find(';'));
    if (name.empty() || name == ".") {
      ends_with_slash = true;
    } else if (name == "..") {
      if (!stack.empty()) stack.pop_back();
      ends_with_slash = true;
    } else {
      stack.push_back(decoded);
      ends_with_slash = false;
    }
    if (end >= raw_path.size()) break;
    start = end + 1;
  }
  for (const auto& segment : stack) {
    m.path += '/';
    m.path += segment;
    m.match_path += '/';
    m.match_path += segment.substr(0, segment.find(';'));
  }
  if (ends_with_slash || stack.empty()) {
    m.path += '/';
    m.match_path += '/';
  }
  return m;
}

std::string describe(const NormalizedTarget& t) {
  return "path=\"" + printable(t.path) + "\" match_path=\"" + printable(t.match_path) +
         "\" query=\"" + printable(t.query) + "\" has_query=" + (t.has_query ? "1" : "0");
}

bool same(const NormalizedTarget& a, const NormalizedTarget& b) {
  return a.path == b.path && a.match_path == b.match_path && a.query == b.query &&
         a.has_query == b.has_query;
}

void check_canonical_path(const NormalizedTarget& out, std::string_view raw_path) {
  const std::string& p = out.path;
  FUZZ_CHECK(!p.empty() && p.front() == '/', describe(out));
  FUZZ_CHECK(!out.match_path.empty() && out.match_path.front() == '/', describe(out));
  FUZZ_CHECK(p.find("//") == std::string::npos, describe(out));
  FUZZ_CHECK(p.size() <= raw_path.size(), describe(out));
  FUZZ_CHECK((p.back() == '/') == (out.match_path.back() == '/'), describe(out));
  for (std::size_t i = 0; i < p.size(); ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    FUZZ_CHECK(c > 0x20 && c != 0x7f && c != '#' && c != '?' && c != '\\', describe(out));
    if (c != '%') continue;
    FUZZ_CHECK(i + 2 < p.size(), describe(out));
    const char h = p[i + 1], l = p[i + 2];
    const bool upper_hex = ((h >= '0' && h <= '9') || (h >= 'A' && h <= 'F')) &&
                           ((l >= '0' && l <= '9') || (l >= 'A' && l <= 'F'));
    FUZZ_CHECK(upper_hex, describe(out));
    const auto byte = static_cast<unsigned char>(hex_digit(h) * 16 + hex_digit(l));
    FUZZ_CHECK(!unreserved(byte), "unreserved byte left encoded: " + describe(out));
    FUZZ_CHECK(byte != '/' && byte != '\\' && byte != 0, describe(out));
  }
  // Segment by segment: no empty, "." or ".." names; match_path drops the ";params".
  std::string stripped;
  std::size_t start = 1;
  while (start < p.size()) {
    std::size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    const std::string_view segment = std::string_view(p).substr(start, end - start);
    const std::string_view name = segment.substr(0, segment.find(';'));
    FUZZ_CHECK(!name.empty() && name != "." && name != "..", describe(out));
    stripped += '/';
    stripped += name;
    start = end + 1;
  }
  if (p.back() == '/') stripped += '/';
  FUZZ_CHECK(stripped == out.match_path, "expected match_path \"" + printable(stripped) + "\", " +
                                             describe(out));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(data), size);

  NormalizedTarget fresh;
  const TargetError e = normalize_target(target, fresh);
  FUZZ_CHECK(e <= TargetError::too_long, "undeclared TargetError");
  FUZZ_CHECK(jwt_sidecar::common::reason(e) != "unknown");

  // A reused output must not carry anything over from the previous input.
  static NormalizedTarget warm;
  FUZZ_CHECK(normalize_target(target, warm) == e);
  FUZZ_CHECK(same(warm, fresh), "warm: " + describe(warm) + " fresh: " + describe(fresh));

  const Model expected = model(target, jwt_sidecar::common::kMaxTargetBytes);
  FUZZ_CHECK(e == expected.error,
             "normalize_target said " + std::string(jwt_sidecar::common::reason(e)) +
                 ", the model " + std::string(jwt_sidecar::common::reason(expected.error)));

  if (size > 0) {
    NormalizedTarget limited;
    FUZZ_CHECK(normalize_target(target, limited, size - 1) == TargetError::too_long);
    FUZZ_CHECK(limited.path.empty() && !limited.has_query);
    FUZZ_CHECK(normalize_target(target, limited, size) == e);
  }

  if (e != TargetError::none) {
    FUZZ_CHECK(fresh.path.empty() && fresh.match_path.empty() && fresh.query.empty() &&
                   !fresh.has_query,
               "not cleared on error: " + describe(fresh));
    return 0;
  }

  FUZZ_CHECK(fresh.path == expected.path && fresh.match_path == expected.match_path,
             "model path=\"" + printable(expected.path) + "\" match_path=\"" +
                 printable(expected.match_path) + "\"; got " + describe(fresh));
  const auto question = target.find('?');
  FUZZ_CHECK(fresh.has_query == (question != std::string_view::npos), describe(fresh));
  if (fresh.has_query) FUZZ_CHECK(fresh.query == target.substr(question + 1), describe(fresh));
  check_canonical_path(fresh, target.substr(0, question));

  // Idempotent: the canonical path (and query) normalise to themselves.
  NormalizedTarget again;
  FUZZ_CHECK(normalize_target(fresh.path, again) == TargetError::none, describe(fresh));
  FUZZ_CHECK(again.path == fresh.path && again.match_path == fresh.match_path && !again.has_query,
             "first: " + describe(fresh) + " second: " + describe(again));
  if (fresh.has_query) {
    const std::string whole = fresh.path + "?" + fresh.query;
    FUZZ_CHECK(normalize_target(whole, again) == TargetError::none, describe(fresh));
    FUZZ_CHECK(same(again, fresh), "first: " + describe(fresh) + " second: " + describe(again));
  }
  return 0;
}
