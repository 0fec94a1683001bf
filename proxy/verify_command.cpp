#include "proxy/verify_command.h"

#include <charconv>
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

#include "policies/json_text.h"
#include "policies/verify.h"

namespace jwt_sidecar::proxy {
namespace {

using policies::append_json_string;

struct VerifyArgs {
  std::string jwks_file;
  std::string token;  // "-" means standard input
  policies::VerifyOptions options;
  std::optional<std::int64_t> now;
};

std::optional<std::int64_t> parse_seconds(const std::string& text, std::int64_t max) {
  std::int64_t v = 0;
  const auto* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc{} || p != end || v < 0 || v > max) return std::nullopt;
  return v;
}

// Returns an error message, or "" when `out` is complete.
std::string parse_args(const std::vector<std::string>& args, VerifyArgs& out) {
  out.options.claims.clock_skew = 60;
  std::optional<std::string> token;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i], value;
    bool has_value = false;
    if (name.rfind("--", 0) == 0) {
      if (const auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
        has_value = true;
      }
    } else {
      if (token) return "more than one token given";
      token = name;
      continue;
    }
    if (name == "--no-require-exp") {
      out.options.claims.require_exp = false;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) return name + " needs a value";
      value = args[++i];
    }
    if (name == "--jwks") {
      out.jwks_file = value;
    } else if (name == "--issuer") {
      out.options.claims.issuer = value;
    } else if (name == "--audience") {
      out.options.claims.audiences.push_back(value);
    } else if (name == "--algorithms") {
      std::string bad;
      const auto set = policies::parse_algorithm_list(value, &bad);
      if (!set) return "--algorithms: unsupported algorithm '" + bad + "'";
      out.options.algorithms = *set;
    } else if (name == "--clock-skew") {
      const auto s = parse_seconds(value, policies::kMaxPolicySeconds);
      if (!s) return "--clock-skew must be whole seconds from 0 to 31622400";
      out.options.claims.clock_skew = *s;
    } else if (name == "--max-lifetime") {
      const auto s = parse_seconds(value, policies::kMaxPolicySeconds);
      if (!s || *s == 0) return "--max-lifetime must be whole seconds from 1 to 31622400";
      out.options.claims.max_lifetime = *s;
    } else if (name == "--now") {
      const auto s = parse_seconds(value, static_cast<std::int64_t>(policies::kMaxNumericDate));
      if (!s) return "--now must be a Unix time in whole seconds";
      out.now = *s;
    } else {
      return "unknown option " + name;
    }
  }
  if (out.jwks_file.empty()) return "--jwks FILE is required";
  if (!token) return "no token given (pass it as an argument, or - to read standard input)";
  out.token = *token;
  return "";
}

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

void append_part(std::string& out, std::string_view key, std::string_view json_text) {
  out += ",\"";
  out += key;
  out += "\":";
  const auto minified = json_text.empty() ? std::nullopt : policies::minified_json_object(json_text);
  out += minified ? *minified : "null";
}

std::string verdict_json(policies::Status status, const policies::ParsedJws& jws,
                         bool parsed_header) {
  std::string out = "{\"valid\":";
  out += status == policies::Status::ok ? "true" : "false";
  out += ",\"reason\":";
  append_json_string(out, policies::reason(status));
  out += ",\"description\":";
  append_json_string(out, policies::describe(status));
  out += ",\"alg\":";
  if (parsed_header) {
    append_json_string(out, policies::algorithm_name(jws.alg()));
  } else {
    out += "null";
  }
  out += ",\"kid\":";
  if (parsed_header && jws.has_kid()) {
    append_json_string(out, jws.kid());
  } else {
    out += "null";
  }
  append_part(out, "header", jws.header_json());
  append_part(out, "claims", jws.payload());
  out += "}\n";
  return out;
}

// Header checks that come before any algorithm is known leave alg unset.
bool header_was_accepted(policies::Status s) {
  using policies::Status;
  switch (s) {
    case Status::token_too_large: case Status::malformed_token:
    case Status::encrypted_token_unsupported: case Status::bad_base64url:
    case Status::header_invalid_json: case Status::header_not_object:
    case Status::header_duplicate_member: case Status::alg_missing: case Status::alg_invalid:
    case Status::alg_none: case Status::alg_unsupported: case Status::kid_invalid:
    case Status::crit_unsupported: case Status::header_parameter_unsupported:
      return false;
    default:
      return true;
  }
}

}  // namespace

int run_verify_command(const std::vector<std::string>& args, CliStreams streams) {
  VerifyArgs parsed;
  if (const auto error = parse_args(args, parsed); !error.empty()) {
    streams.err << "jwt-sidecar verify: " << error << "\n";
    return kExitUsage;
  }
  std::ifstream file(parsed.jwks_file, std::ios::binary);
  if (!file) {
    streams.err << "jwt-sidecar verify: cannot read " << parsed.jwks_file << "\n";
    return kExitUsage;
  }
  const std::string jwks_text{std::istreambuf_iterator<char>(file), {}};
  const auto loaded = policies::load_jwks(jwks_text);
  if (!loaded.error.empty()) {
    streams.err << "jwt-sidecar verify: " << parsed.jwks_file << ": " << loaded.error << "\n";
    return kExitUsage;
  }
  for (const auto& skipped : loaded.skipped) {
    streams.err << "jwt-sidecar verify: " << parsed.jwks_file << ": key " << skipped.index;
    if (skipped.kid) streams.err << " (kid " << policies::json_string(*skipped.kid) << ")";
    streams.err << " skipped: " << skipped.reason << "\n";
  }

  std::string token = parsed.token;
  if (token == "-") {
    token = trim(std::string{std::istreambuf_iterator<char>(streams.in), {}});
  }
  const std::int64_t now =
      parsed.now.value_or(std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
  policies::ParsedJws jws;
  const auto status = policies::verify_jwt(token, *loaded.keys, parsed.options, now, jws);
  streams.out << verdict_json(status, jws, header_was_accepted(status));
  return status == policies::Status::ok ? kExitOk : kExitRejected;
}

}  // namespace jwt_sidecar::proxy
