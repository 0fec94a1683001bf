#include "common/ascii.h"
#include "config/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "config/duration.h"
#include "config/syntax.h"

namespace jwt_sidecar::config::detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// JSON's number grammar, so a plain scalar that passes can be copied into JSON text verbatim.
bool is_json_number(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    const auto start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return i - start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (digits() == 0) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (const auto word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}

}  // namespace

const Entry* Mapping::find(std::string_view name) const {
  for (const auto& entry : entries_) {
    if (entry.key.Scalar() == name) return &entry;
  }
  return nullptr;
}

ScalarType scalar_type(const YAML::Node& node) {
  if (node.IsNull()) return ScalarType::null;
  if (!node.IsScalar() || node.Tag() == "!") return ScalarType::string;
  const auto& text = node.Scalar();
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return ScalarType::null;
  }
  if (text == "true" || text == "True" || text == "TRUE" || text == "false" || text == "False" ||
      text == "FALSE") {
    return ScalarType::boolean;
  }
  return is_json_number(text) ? ScalarType::number : ScalarType::string;
}

std::string quote(std::string_view name) { return "'" + std::string(name) + "'"; }

std::optional<std::string_view> closest_match(std::string_view word,
                                              const std::vector<std::string_view>& candidates) {
  const auto lower = common::ascii_lowered(word);
  // Short words need a closer match, or every two-letter typo would suggest something.
  const std::size_t limit = word.size() <= 4 ? 1 : 2;
  std::optional<std::string_view> best;
  std::size_t best_distance = limit + 1;
  for (const auto candidate : candidates) {
    const auto other = common::ascii_lowered(candidate);
    auto distance = edit_distance(lower, other);
    // "warning" for "warn", "header" for "headers": a whole word plus a suffix.
    const auto shorter = std::min(lower.size(), other.size());
    if (shorter >= 3 && lower.compare(0, shorter, other, 0, shorter) == 0) {
      distance = std::min<std::size_t>(distance, 1);
    }
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  const auto match = closest_match(word, candidates);
  return match ? " (did you mean " + quote(*match) + "?)" : "";
}

YamlReader::YamlReader(std::string file, std::vector<ConfigError>& errors)
    : file_(std::move(file)), errors_(errors) {}

Mark YamlReader::mark(const YAML::Node& node) const { return mark(node.Mark()); }

Mark YamlReader::mark(const YAML::Mark& at) const {
  if (at.is_null()) return Mark{file_, 1, 1};
  return Mark{file_, at.line + 1, at.column + 1};
}

Mark YamlReader::value_mark(const Entry& entry) const {
  return entry.value.IsNull() ? mark(entry.key) : mark(entry.value);
}

void YamlReader::error(const Mark& at, std::string message) {
  errors_.push_back(ConfigError{at, std::move(message)});
}

void YamlReader::error(const YAML::Node& at, std::string message) {
  error(mark(at), std::move(message));
}

void YamlReader::value_error(const Entry& entry, std::string message) {
  error(value_mark(entry), std::move(message));
}

std::optional<Mapping> YamlReader::mapping(const Entry& entry, std::string_view context,
                                           const std::vector<std::string_view>& known) {
  if (!entry.value.IsMap()) {
    value_error(entry, entry.label + " must be a mapping");
    return std::nullopt;
  }
  Mapping result;
  for (auto it = entry.value.begin(); it != entry.value.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      error(key, "keys must be plain text " + std::string(context));
      continue;
    }
    const auto& name = key.Scalar();
    if (!known.empty() && std::find(known.begin(), known.end(), name) == known.end()) {
      error(key,
            "unknown key " + quote(name) + " " + std::string(context) + did_you_mean(name, known));
      continue;
    }
    if (const auto* first = result.find(name)) {
      error(key, "duplicate key " + quote(name) + " " + std::string(context) + " (first at line " +
                     std::to_string(mark(first->key).line) + ")");
      continue;
    }
    result.entries_.push_back(Entry{key, it->second, quote(name)});
  }
  return result;
}

std::optional<std::vector<Entry>> YamlReader::sequence(const Entry& entry) {
  if (!entry.value.IsSequence()) {
    value_error(entry, entry.label + " must be a list");
    return std::nullopt;
  }
  std::vector<Entry> elements;
  for (const auto& element : entry.value) {
    elements.push_back(Entry{entry.value, element, "each entry of " + entry.label});
  }
  return elements;
}

std::optional<std::string> YamlReader::text(const Entry& entry) {
  if (entry.value.IsScalar() && !entry.value.Scalar().empty()) return entry.value.Scalar();
  value_error(entry, entry.label + " must be a non-empty string");
  return std::nullopt;
}

std::optional<bool> YamlReader::flag(const Entry& entry) {
  if (entry.value.IsScalar() && scalar_type(entry.value) == ScalarType::boolean) {
    const char first = entry.value.Scalar().front();
    return first == 't' || first == 'T';
  }
  value_error(entry, entry.label + " must be true or false");
  return std::nullopt;
}

std::optional<std::uint64_t> YamlReader::count(const Entry& entry, std::uint64_t max) {
  const auto& text = entry.value.Scalar();
  std::uint64_t value = 0;
  const bool plain = entry.value.IsScalar() && entry.value.Tag() != "!";
  const bool digits = !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!plain || !digits || ec != std::errc() || end != text.data() + text.size()) {
    value_error(entry, entry.label + " must be a non-negative integer");
    return std::nullopt;
  }
  if (value > max) {
    value_error(entry, entry.label + " must be at most " + std::to_string(max));
    return std::nullopt;
  }
  return value;
}

std::optional<Duration> YamlReader::duration(const Entry& entry) {
  if (entry.value.IsScalar()) {
    if (auto parsed = parse_duration(entry.value.Scalar())) return *parsed;
  }
  value_error(entry, entry.label + " must be a duration such as 500ms, 10s, 5m or 24h");
  return std::nullopt;
}

std::optional<std::string> YamlReader::choice(const Entry& entry,
                                              const std::vector<std::string_view>& options) {
  const auto& text = entry.value.Scalar();
  if (entry.value.IsScalar() && std::find(options.begin(), options.end(), text) != options.end()) {
    return text;
  }
  value_error(entry, entry.label + " must be one of " + join(options) +
                         (entry.value.IsScalar() ? did_you_mean(text, options) : ""));
  return std::nullopt;
}

}  // namespace jwt_sidecar::config::detail
