#include "config/yaml_json.h"

#include "common/json_text.h"

#include <charconv>
#include <cmath>

#include "config/yaml_reader.h"

namespace jwt_sidecar::config::detail {
namespace {

constexpr int kMaxDepth = 32;
constexpr std::size_t kMaxJsonBytes = 1 << 20;

void append_scalar(const YAML::Node& node, std::string& out) {
  switch (scalar_type(node)) {
    case ScalarType::null:
      out += "null";
      break;
    case ScalarType::boolean:
      out += (node.Scalar().front() == 't' || node.Scalar().front() == 'T') ? "true" : "false";
      break;
    case ScalarType::number:
      out += node.Scalar();
      break;
    case ScalarType::string:
      common::append_json_string(out, node.Scalar());
      break;
  }
}

std::string append(const YAML::Node& node, int depth, std::string& out) {
  if (depth > kMaxDepth) return "is nested too deeply";
  if (out.size() > kMaxJsonBytes) return "is too large";
  if (node.IsMap()) {
    out += '{';
    bool first = true;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) return "has a key that is not plain text";
      if (!first) out += ',';
      first = false;
      common::append_json_string(out, it->first.Scalar());
      out += ':';
      if (auto problem = append(it->second, depth + 1, out); !problem.empty()) return problem;
    }
    out += '}';
  } else if (node.IsSequence()) {
    out += '[';
    bool first = true;
    for (const auto& element : node) {
      if (!first) out += ',';
      first = false;
      if (auto problem = append(element, depth + 1, out); !problem.empty()) return problem;
    }
    out += ']';
  } else {
    append_scalar(node, out);
  }
  return "";
}

}  // namespace

std::string yaml_to_json(const YAML::Node& node, std::string& out) { return append(node, 0, out); }

Scalar to_scalar(const YAML::Node& node) {
  Scalar scalar;
  switch (scalar_type(node)) {
    case ScalarType::null:
      scalar.kind = Scalar::Kind::null;
      break;
    case ScalarType::boolean:
      scalar.kind = Scalar::Kind::boolean;
      scalar.boolean = node.Scalar().front() == 't' || node.Scalar().front() == 'T';
      break;
    case ScalarType::number: {
      scalar.kind = Scalar::Kind::number;
      const auto& text = node.Scalar();
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), scalar.number);
      // Out of double's range: overflow becomes an infinity, which never equals a claim (an
      // unchanged 0 silently could); underflow is 0.
      if (ec == std::errc::result_out_of_range) {
        const bool underflow =
            text.find("e-") != std::string::npos || text.find("E-") != std::string::npos;
        scalar.number = underflow ? 0.0 : (text.front() == '-' ? -HUGE_VAL : HUGE_VAL);
      }
      (void)end;
      break;
    }
    case ScalarType::string:
      scalar.kind = Scalar::Kind::string;
      scalar.string = node.Scalar();
      break;
  }
  return scalar;
}

}  // namespace jwt_sidecar::config::detail
