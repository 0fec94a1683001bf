#include "common/path.h"

#include "common/ascii.h"

#include <array>

namespace jwt_sidecar::common {
namespace {

constexpr std::string_view kUpperHex = "0123456789ABCDEF";


// RFC 3986 section 2.3: decoding these never changes what a URI means, so the canonical form
// always has them decoded.
bool is_unreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

// Whole-target byte checks; the first offending byte decides.
TargetError scan_bytes(std::string_view target) noexcept {
  for (const char ch : target) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) return TargetError::nul;
    if (c < 0x21 || c == 0x7F) return TargetError::control_character;
    if (c == '#') return TargetError::fragment;
  }
  return TargetError::none;
}

// Appends one raw path segment to `out`: unreserved escapes decoded, others upper-cased.
TargetError append_decoded(std::string_view raw, std::string& out) {
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '\\') return TargetError::backslash;
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (raw.size() - i < 3) return TargetError::bad_percent_encoding;
    const int hi = hex_value(raw[i + 1]);
    const int lo = hex_value(raw[i + 2]);
    if (hi < 0 || lo < 0) return TargetError::bad_percent_encoding;
    const auto byte = static_cast<unsigned char>(hi * 16 + lo);
    if (byte == '/') return TargetError::encoded_slash;
    if (byte == '\\') return TargetError::backslash;
    if (byte == 0) return TargetError::nul;
    if (is_unreserved(byte)) {
      out.push_back(static_cast<char>(byte));
    } else {
      out.push_back('%');
      out.push_back(kUpperHex[static_cast<std::size_t>(hi)]);
      out.push_back(kUpperHex[static_cast<std::size_t>(lo)]);
    }
    i += 2;
  }
  return TargetError::none;
}

enum class SegmentKind { normal, empty, dot, dot_dot };

// Judged on the segment without its parameters: servers that strip ";x" (Tomcat, Jetty) read
// "..;x" as "..", so it must resolve here too or "/public/..;/admin" would bypass /admin.
SegmentKind classify(std::string_view name) noexcept {
  if (name.empty()) return SegmentKind::empty;
  if (name == ".") return SegmentKind::dot;
  if (name == "..") return SegmentKind::dot_dot;
  return SegmentKind::normal;
}

// Drops the last "/segment"; at the root there is nothing to drop (RFC 3986 5.2.4 step 2C).
void pop_segment(std::string& path) noexcept {
  const auto slash = path.rfind('/');
  path.resize(slash == std::string::npos ? 0 : slash);
}

// Builds path and match_path segment by segment. A raw "/" always separates segments because
// %2F is refused, so splitting before decoding is the same as splitting after it.
TargetError resolve_path(std::string_view raw_path, NormalizedTarget& out) {
  bool trailing_slash = false;
  std::size_t start = 1;  // raw_path starts with "/"
  for (;;) {
    auto end = raw_path.find('/', start);
    if (end == std::string_view::npos) end = raw_path.size();
    const std::size_t mark = out.path.size();
    out.path.push_back('/');
    const TargetError e = append_decoded(raw_path.substr(start, end - start), out.path);
    if (e != TargetError::none) return e;
    const std::string_view segment = std::string_view(out.path).substr(mark + 1);
    const std::string_view name = segment.substr(0, segment.find(';'));
    const SegmentKind kind = classify(name);
    if (kind == SegmentKind::normal) {
      out.match_path.push_back('/');
      out.match_path.append(name);
      trailing_slash = false;
    } else {
      // Empty segments merge, "." vanishes, ".." removes the previous segment; each leaves
      // the path ending in "/" if it is the last one ("/a/b/.." is "/a/").
      out.path.resize(mark);
      if (kind == SegmentKind::dot_dot) {
        pop_segment(out.path);
        pop_segment(out.match_path);
      }
      trailing_slash = true;
    }
    if (end == raw_path.size()) break;
    start = end + 1;
  }
  if (trailing_slash || out.path.empty()) {
    out.path.push_back('/');
    out.match_path.push_back('/');
  }
  return TargetError::none;
}

TargetError normalize(std::string_view target, NormalizedTarget& out, std::size_t max_bytes) {
  if (target.size() > max_bytes) return TargetError::too_long;
  if (target.empty() || target.front() != '/') return TargetError::not_origin_form;
  const TargetError e = scan_bytes(target);
  if (e != TargetError::none) return e;
  const auto question = target.find('?');
  if (question != std::string_view::npos) {
    out.has_query = true;
    out.query.assign(target.substr(question + 1));
  }
  return resolve_path(target.substr(0, question), out);
}

}  // namespace

void NormalizedTarget::clear() noexcept {
  path.clear();
  match_path.clear();
  query.clear();
  has_query = false;
}

std::string_view reason(TargetError error) noexcept {
  static constexpr std::array<std::string_view, 9> kNames{
      "none",    "not_origin_form", "encoded_slash",        "backslash", "nul",
      "fragment", "bad_percent_encoding", "control_character", "too_long"};
  const auto i = static_cast<std::size_t>(error);
  return i < kNames.size() ? kNames[i] : std::string_view("unknown");
}

TargetError normalize_target(std::string_view target, NormalizedTarget& out,
                             std::size_t max_bytes) noexcept {
  out.clear();
  const TargetError e = normalize(target, out, max_bytes);
  if (e != TargetError::none) out.clear();
  return e;
}

}  // namespace jwt_sidecar::common
