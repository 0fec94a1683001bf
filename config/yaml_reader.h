// Turns yaml-cpp nodes into checked values. Every problem is recorded with its position and
// reading goes on, so one pass reports all the errors in a file; nothing here throws for bad
// input (yaml-cpp's throwing conversions are never used).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace jwt_sidecar::config::detail {

// A value, the node that introduced it and how messages name it: "'threads'",
// "each entry of 'audiences'".
struct Entry {
  YAML::Node key;  // the mapping key; for a list element, the list itself
  YAML::Node value;
  std::string label;
};

// A mapping whose unknown and duplicate keys have already been reported.
class Mapping {
 public:
  const Entry* find(std::string_view name) const;
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  friend class YamlReader;
  std::vector<Entry> entries_;  // file order; a repeated key keeps its first value
};

// How a scalar reads as JSON. Quoted scalars are always strings; plain ones are typed by their
// text (YAML 1.2 core schema, tags ignored).
enum class ScalarType { string, boolean, number, null };
ScalarType scalar_type(const YAML::Node& node);

// "'name'"
std::string quote(std::string_view name);
// The candidate nearest to `word` by edit distance (case-insensitive), if it is close enough to
// be a plausible typo.
std::optional<std::string_view> closest_match(std::string_view word,
                                              const std::vector<std::string_view>& candidates);
// " (did you mean 'x'?)" or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);

class YamlReader {
 public:
  YamlReader(std::string file, std::vector<ConfigError>& errors);

  // 1-based; yaml-cpp's "no position" becomes 1:1 so a message always has one.
  Mark mark(const YAML::Node& node) const;
  Mark mark(const YAML::Mark& at) const;
  // Where a value is: yaml-cpp places an empty value at the next token, often the next line,
  // so an empty value is reported at its key instead.
  Mark value_mark(const Entry& entry) const;
  void error(const Mark& at, std::string message);
  void error(const YAML::Node& at, std::string message);
  void value_error(const Entry& entry, std::string message);

  // `known` lists the accepted keys; empty accepts any (maps from names to settings).
  // `context` ends the unknown-key message: "in the top level", "in provider 'corp'".
  std::optional<Mapping> mapping(const Entry& entry, std::string_view context,
                                 const std::vector<std::string_view>& known);
  // The elements, labelled "each entry of <label>".
  std::optional<std::vector<Entry>> sequence(const Entry& entry);

  std::optional<std::string> text(const Entry& entry);  // a non-empty scalar
  std::optional<bool> flag(const Entry& entry);
  std::optional<std::uint64_t> count(const Entry& entry, std::uint64_t max);
  std::optional<Duration> duration(const Entry& entry);
  // One of `options`, written exactly.
  std::optional<std::string> choice(const Entry& entry,
                                    const std::vector<std::string_view>& options);

 private:
  std::string file_;
  std::vector<ConfigError>& errors_;
};

}  // namespace jwt_sidecar::config::detail
