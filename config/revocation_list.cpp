#include "config/revocation_list.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "common/json_text.h"
#include "common/limits.h"
#include "config/sections.h"
#include "config/yaml_document.h"
#include "config/yaml_reader.h"

namespace jwt_sidecar::config {
namespace {

using detail::Entry;
using detail::YamlReader;

// 100,000 entries of ~100 bytes each fit with room to spare.
constexpr std::size_t kMaxListBytes = 64u << 20;
constexpr std::size_t kMaxValueBytes = 1024;

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

const std::vector<std::string_view> kEntryKeys = {"issuer", "jti", "sub", "kid", "expires", "before"};

void read_entry(YamlReader& reader, const Entry& item, std::vector<RevocationEntry>& out) {
  const auto map = reader.mapping(item, "in a revocation entry", kEntryKeys);
  if (!map) return;
  const auto at = reader.value_mark(item);
  RevocationEntry e;
  const auto* issuer = map->find("issuer");
  if (!issuer) {
    reader.error(at, "missing required key 'issuer' in a revocation entry");
    return;
  }
  const auto issuer_text = reader.text(*issuer);
  if (!issuer_text) return;
  e.issuer = *issuer_text;
  const Entry* named = nullptr;
  int kinds = 0;
  for (const auto& [name, kind] : {std::pair{"jti", RevocationEntry::Kind::jti}, std::pair{"sub", RevocationEntry::Kind::sub},
                                   std::pair{"kid", RevocationEntry::Kind::kid}}) {
    if (const auto* f = map->find(name)) {
      ++kinds;
      named = f;
      e.kind = kind;
    }
  }
  if (kinds != 1) {
    reader.error(at, "a revocation entry names exactly one of 'jti', 'sub' or 'kid'");
    return;
  }
  const auto value = reader.text(*named);
  if (!value) return;
  e.value = *value;
  const auto* expires = map->find("expires");
  const auto* before = map->find("before");
  if (expires && e.kind != RevocationEntry::Kind::jti) {
    reader.error(reader.value_mark(*expires), "'expires' belongs to a 'jti' entry");
    return;
  }
  if (before && e.kind != RevocationEntry::Kind::sub) {
    reader.error(reader.value_mark(*before), "'before' belongs to a 'sub' entry");
    return;
  }
  if (e.kind == RevocationEntry::Kind::sub && !before) {
    reader.error(at, "a 'sub' entry needs 'before' (Unix seconds: tokens issued earlier are revoked)");
    return;
  }
  if (const auto* t = expires ? expires : before) {
    const auto n = reader.count(*t, static_cast<std::uint64_t>(common::kMaxNumericDate));
    if (!n) return;
    e.time = static_cast<std::int64_t>(*n);
  }
  if (const auto problem = check_entry(e); !problem.empty()) {
    reader.error(at, "revocation entry: " + problem);
    return;
  }
  out.push_back(std::move(e));
}

// The shape `revoke` writes and the docs show, one entry per line:
//   - {issuer: https://idp.example, jti: "6f1c2a", expires: 1767225600}
// read without building a YAML tree: yaml-cpp needs about 3 KiB per entry of that form, which
// for a list of 100,000 is more than a sidecar's whole memory. Only lines whose meaning is
// unmistakable qualify (plain scalars of a safe alphabet, double-quoted strings without
// escapes, whole-number times); a file with any other line goes to yaml-cpp, which also gives
// every error its position. Comment and blank lines are skipped; "[]" alone is an empty list.
class LineReader {
 public:
  // nullopt: not this shape (the caller falls back to the YAML parser).
  static std::optional<std::vector<RevocationEntry>> read(std::string_view text) {
    std::vector<RevocationEntry> entries;
    bool empty_marker = false;
    while (!text.empty()) {
      const auto eol = text.find('\n');
      auto line = text.substr(0, eol);
      text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      const auto first = line.find_first_not_of(' ');
      if (first == std::string_view::npos || line[first] == '#') continue;
      if (line == "[]" && entries.empty() && !empty_marker) {
        empty_marker = true;
        continue;
      }
      if (empty_marker) return std::nullopt;
      RevocationEntry e;
      if (!entry(line, e)) return std::nullopt;
      entries.push_back(std::move(e));
    }
    return entries;
  }

 private:
  static bool safe_plain(std::string_view v) {
    if (v.empty() || v == "null" || v == "Null" || v == "NULL" || v == "~") return false;
    const char c0 = v.front();
    if (c0 == '-' || c0 == '?' || c0 == ':' || c0 == '.' || c0 == '@' || c0 == '%') return false;  // indicators, ".inf"
    for (std::size_t i = 0; i < v.size(); ++i) {
      const char c = v[i];
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == '-' || c == '/' || c == ':' || c == '@' || c == '+' || c == '=' || c == '~' ||
                      c == '%';
      if (!ok) return false;
      if (c == ':' && (i + 1 == v.size() || v[i + 1] == ' ')) return false;
    }
    return true;
  }
  // One "key: value" of the flow mapping; `rest` moves past it and its separator.
  static bool member(std::string_view& rest, std::string_view& key, std::string& value, bool& quoted) {
    const auto colon = rest.find(": ");
    if (colon == std::string_view::npos) return false;
    key = rest.substr(0, colon);
    rest.remove_prefix(colon + 2);
    quoted = !rest.empty() && rest.front() == '"';
    std::size_t end;
    if (quoted) {
      end = rest.find('"', 1);
      if (end == std::string_view::npos) return false;
      const auto inner = rest.substr(1, end - 1);
      if (inner.find('\\') != std::string_view::npos) return false;
      value.assign(inner);
      ++end;
    } else {
      end = rest.find_first_of(",}");
      if (end == std::string_view::npos) return false;
      value.assign(rest.substr(0, end));
      if (!safe_plain(value)) return false;
    }
    rest.remove_prefix(end);
    if (rest.substr(0, 2) == ", ") {
      rest.remove_prefix(2);
    } else if (rest != "}") {
      return false;
    }
    return true;
  }
  static bool time(const std::string& v, bool quoted, std::int64_t& out) {
    if (quoted || v.empty() || v.size() > 12) return false;
    for (const char c : v) {
      if (c < '0' || c > '9') return false;
    }
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    return ec == std::errc() && out <= static_cast<std::int64_t>(common::kMaxNumericDate);
  }
  static bool entry(std::string_view line, RevocationEntry& e) {
    if (line.substr(0, 3) != "- {" || line.back() != '}') return false;
    auto rest = line.substr(3);
    bool have_issuer = false, have_time = false;
    int kinds = 0;
    while (rest != "}") {
      std::string_view key;
      std::string value;
      bool quoted = false;
      if (!member(rest, key, value, quoted)) return false;
      if (key == "issuer" && !have_issuer) {
        e.issuer = std::move(value);
        have_issuer = true;
      } else if ((key == "jti" || key == "sub" || key == "kid") && kinds++ == 0) {
        e.kind = key == "jti" ? RevocationEntry::Kind::jti : key == "sub" ? RevocationEntry::Kind::sub
                                                                           : RevocationEntry::Kind::kid;
        e.value = std::move(value);
      } else if ((key == "expires" || key == "before") && !have_time) {
        if (!time(value, quoted, e.time)) return false;
        have_time = true;
        if ((key == "expires") != (e.kind == RevocationEntry::Kind::jti) || kinds != 1) return false;
      } else {
        return false;
      }
    }
    if (!have_issuer || kinds != 1 || (e.kind == RevocationEntry::Kind::sub && !have_time)) return false;
    return check_entry(e).empty();
  }
};

}  // namespace

std::string_view kind_name(RevocationEntry::Kind kind) {
  switch (kind) {
    case RevocationEntry::Kind::jti: return "jti";
    case RevocationEntry::Kind::sub: return "sub";
    case RevocationEntry::Kind::kid: return "kid";
  }
  return "jti";
}

std::string check_entry(const RevocationEntry& e) {
  if (e.issuer.empty() || e.issuer.size() > kMaxValueBytes) return "the issuer must have 1 to 1024 bytes";
  if (has_control(e.issuer) || e.issuer.find(' ') != std::string::npos) {
    return "the issuer must not contain spaces or control characters";
  }
  const std::string name(kind_name(e.kind));
  if (e.value.empty() || e.value.size() > kMaxValueBytes) return "the " + name + " must have 1 to 1024 bytes";
  if (has_control(e.value)) return "the " + name + " must not contain control characters";
  if (e.time < 0 || e.time > common::kMaxNumericDate) return "a time must be Unix seconds";
  if (e.kind == RevocationEntry::Kind::sub && e.time == 0) return "'before' must be a time after 0";
  return "";
}

RevocationFile parse_revocation_list(std::string_view yaml_text, const std::string& file) {
  RevocationFile result;
  if (auto entries = LineReader::read(yaml_text)) {
    result.entries = std::move(*entries);
    return result;
  }
  YamlReader reader(file, result.errors);
  std::vector<RevocationEntry> entries;
  if (const auto root = detail::parse_document(yaml_text, reader)) {
    try {
      if (root->IsSequence()) {
        if (const auto items = reader.sequence(Entry{*root, *root, "the revocation list"})) {
          entries.reserve(items->size());
          for (const auto& item : *items) read_entry(reader, item, entries);
        }
      } else if (!root->IsNull()) {
        reader.error(*root, "a revocation file is a YAML list of entries such as "
                            "{issuer: https://idp.example, jti: 6f1c2a}");
      }
    } catch (const YAML::Exception& e) {
      reader.error(reader.mark(e.mark), "cannot read the revocation list: " + e.msg);
    }
  }
  if (result.errors.empty()) result.entries = std::move(entries);
  return result;
}

RevocationFile load_revocation_file(const std::string& path) {
  std::string problem;
  const auto text = detail::read_file_text(path, kMaxListBytes, problem);
  if (!text) {
    RevocationFile result;
    result.errors.push_back(ConfigError{Mark{path, 0, 0}, std::move(problem)});
    return result;
  }
  return parse_revocation_list(*text, path);
}

std::string revocation_hash_key(std::string_view key_prefix) { return std::string(key_prefix) + "revoked"; }
std::string revocation_channel(std::string_view key_prefix) { return std::string(key_prefix) + "revoked:changes"; }

std::string revocation_field(const RevocationEntry& e) {
  return std::string(kind_name(e.kind)) + " " + e.issuer + " " + e.value;
}

std::string revocation_field_value(const RevocationEntry& e) {
  return e.kind == RevocationEntry::Kind::kid ? std::string("0") : std::to_string(e.time);
}

std::string parse_revocation_field(std::string_view field, std::string_view value, RevocationEntry& out) {
  const auto first = field.find(' ');
  const auto second = first == std::string_view::npos ? first : field.find(' ', first + 1);
  if (second == std::string_view::npos) return "the field is not \"<kind> <issuer> <value>\"";
  const auto kind = field.substr(0, first);
  if (kind == "jti") {
    out.kind = RevocationEntry::Kind::jti;
  } else if (kind == "sub") {
    out.kind = RevocationEntry::Kind::sub;
  } else if (kind == "kid") {
    out.kind = RevocationEntry::Kind::kid;
  } else {
    return "the kind must be jti, sub or kid";
  }
  out.issuer = std::string(field.substr(first + 1, second - first - 1));
  out.value = std::string(field.substr(second + 1));
  std::int64_t time = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), time);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
    return "the value must be Unix seconds (or 0)";
  }
  out.time = out.kind == RevocationEntry::Kind::kid ? 0 : time;
  return check_entry(out);
}

std::string format_revocation_list(const std::vector<RevocationEntry>& entries) {
  std::string out = "# Revoked tokens (DESIGN.md \"Revocation\"); written by jwt-sidecar revoke.\n";
  if (entries.empty()) return out + "[]\n";
  for (const auto& e : entries) {
    // JSON strings are YAML double-quoted scalars: every byte survives the round trip.
    out += "- {issuer: ";
    common::append_json_string(out, e.issuer);
    out += ", ";
    out += kind_name(e.kind);
    out += ": ";
    common::append_json_string(out, e.value);
    if (e.kind == RevocationEntry::Kind::jti && e.time != 0) out += ", expires: " + std::to_string(e.time);
    if (e.kind == RevocationEntry::Kind::sub) out += ", before: " + std::to_string(e.time);
    out += "}\n";
  }
  return out;
}

}  // namespace jwt_sidecar::config
