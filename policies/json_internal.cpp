#include "policies/json_internal.h"
#include "policies/json_print.h"

#include <algorithm>
#include <new>
#include <array>
#include <vector>

namespace jwt_sidecar::policies::json {

simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser = [] {
    simdjson::dom::parser p;
    // Capacity grows on demand; the depth limit is fixed here.
    if (p.allocate(4096, kMaxDepth) != simdjson::SUCCESS) throw std::bad_alloc();
    return p;
  }();
  return parser;
}

namespace {
LastParse& mutable_last_parse() {
  thread_local LastParse last;
  return last;
}
}  // namespace

const LastParse& thread_last_parse() { return mutable_last_parse(); }

simdjson::simdjson_result<simdjson::dom::element> parse_padded(simdjson::dom::parser& parser,
                                                               std::string_view padded) {
  auto result = parser.parse(padded.data(), padded.size(), /*realloc_if_needed=*/false);
  if (&parser == &thread_parser()) {
    auto& last = mutable_last_parse();
    ++last.number;
    last.root = result.error() ? simdjson::dom::element() : result.value_unsafe();
  }
  return result;
}

bool payload_root(const ParsedJws& jws, simdjson::dom::element& root) {
  const auto& last = thread_last_parse();
  if (jws.payload_parsed_as(&last, last.number)) {
    root = last.root;
    return true;
  }
  return parse_padded(thread_parser(), jws.payload()).get(root) == simdjson::SUCCESS;
}

namespace {

bool object_has_duplicates(simdjson::dom::object object) {
  const std::size_t n = object.size();
  if (n < 2) return false;
  if (n <= 16) {
    std::array<std::string_view, 16> names;
    std::size_t i = 0;
    for (auto field : object) {
      for (std::size_t j = 0; j < i; ++j) {
        if (names[j] == field.key) return true;
      }
      names[i++] = field.key;
    }
    return false;
  }
  std::vector<std::string_view> names;
  names.reserve(n);
  for (auto field : object) names.push_back(field.key);
  std::sort(names.begin(), names.end());
  return std::adjacent_find(names.begin(), names.end()) != names.end();
}

}  // namespace

bool has_duplicate_members(simdjson::dom::element value) {
  // Recursion depth is bounded by the parser's kMaxDepth.
  switch (value.type()) {
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object object;
      if (value.get(object) != simdjson::SUCCESS) return false;
      if (object_has_duplicates(object)) return true;
      for (auto field : object) {
        if (has_duplicate_members(field.value)) return true;
      }
      return false;
    }
    case simdjson::dom::element_type::ARRAY: {
      simdjson::dom::array array;
      if (value.get(array) != simdjson::SUCCESS) return false;
      for (auto item : array) {
        if (has_duplicate_members(item)) return true;
      }
      return false;
    }
    default:
      return false;
  }
}

}  // namespace jwt_sidecar::policies::json

namespace jwt_sidecar::policies {

std::optional<std::string> minified_json_object(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.allocate(text.size() + 1, json::kMaxDepth) != simdjson::SUCCESS) return std::nullopt;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) return std::nullopt;
  if (root.type() != simdjson::dom::element_type::OBJECT) return std::nullopt;
  return simdjson::minify(root);
}

}  // namespace jwt_sidecar::policies
