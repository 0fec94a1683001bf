#include "proxy/cli/verify_command.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

#include "common/json_text.h"
#include "policies/json_print.h"
#include "policies/authenticator.h"
#include "policies/key_publisher.h"
#include "policies/verify.h"
#include "config/revocation_list.h"

namespace jwt_sidecar::proxy {
namespace {

using common::append_json_string;

// The verification options the arguments ask for, or an error message.
std::optional<policies::VerifyOptions> options_from(const VerifyArgs& a, std::string& error) {
  policies::VerifyOptions o;
  if (a.issuer) o.claims.issuer = *a.issuer;
  o.claims.audiences = a.audiences;
  if (a.algorithms) {
    std::string bad;
    const auto set = policies::parse_algorithm_list(*a.algorithms, &bad);
    if (!set) {
      error = "--algorithms: unsupported algorithm '" + bad + "'";
      return std::nullopt;
    }
    o.algorithms = *set;
  }
  o.claims.clock_skew = a.clock_skew;
  if (a.max_lifetime) o.claims.max_lifetime = *a.max_lifetime;
  o.claims.require_exp = !a.no_require_exp;
  return o;
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

int run_verify_command(const VerifyArgs& parsed, CliStreams streams) {
  std::string error;
  const auto options = options_from(parsed, error);
  if (!options) {
    streams.err << "jwt-sidecar verify: " << error << "\n";
    return kExitUsage;
  }
  std::ifstream file(parsed.jwks_file, std::ios::binary);
  if (!file) {
    streams.err << "jwt-sidecar verify: cannot read " << parsed.jwks_file << "\n";
    return kExitUsage;
  }
  const std::string jwks_text{std::istreambuf_iterator<char>(file), {}};
  // The proxy's own authenticator, with one provider that takes any issuer (unless --issuer),
  // its keys published by the proxy's rules for a key file.
  config::Provider provider;
  provider.name = "verify";
  auto auth = policies::Authenticator::single(std::move(provider), *options);
  const auto published = policies::publish_key_set(auth.providers().front()->keys(), jwks_text,
                                                   policies::KeyOrigin::operator_owned, 0);
  if (!published.published) {
    streams.err << "jwt-sidecar verify: " << parsed.jwks_file << ": " << published.error << "\n";
    return kExitUsage;
  }
  for (const auto& skipped : published.skipped) {
    streams.err << "jwt-sidecar verify: " << parsed.jwks_file << ": key " << skipped.index;
    if (skipped.kid) streams.err << " (kid " << common::json_string(*skipped.kid) << ")";
    streams.err << " skipped: " << skipped.reason << "\n";
  }

  if (parsed.revoked_file) {
    auto list = config::load_revocation_file(*parsed.revoked_file);
    if (!list.errors.empty()) {
      for (const auto& e : list.errors) streams.err << "jwt-sidecar verify: " << e.to_string() << "\n";
      return kExitUsage;
    }
    auto revocation = std::make_shared<policies::Revocation>(std::vector<std::string>{"file"});
    revocation->publish(0, std::make_shared<const policies::RevocationSnapshot>(list.entries), 0);
    revocation->set_live(0, true, 0);
    auth.set_revocation(std::move(revocation), policies::Revocation::Policy{});
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
  const auto status = auth.verify_token(token, {}, {}, now, jws, nullptr).status;
  streams.out << verdict_json(status, jws, header_was_accepted(status));
  return status == policies::Status::ok ? kExitOk : kExitRejected;
}

}  // namespace jwt_sidecar::proxy
