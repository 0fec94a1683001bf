#include "proxy/cli/cli.h"

#include <CLI/CLI.hpp>

#include <iostream>

#include "common/limits.h"
#include "proxy/cli/commands.h"
#include "proxy/cli/revoke_command.h"
#include "proxy/cli/verify_command.h"

#ifndef JWT_SIDECAR_VERSION
#error "JWT_SIDECAR_VERSION must be defined by the build"
#endif

namespace jwt_sidecar::proxy {
namespace {

constexpr const char* kDescription =
    "jwt-sidecar: a reverse proxy that verifies bearer tokens (JWS against JWKS keys) and\n"
    "forwards or refuses each request by YAML route policies.\n"
    "  jwt-sidecar --config FILE      run the proxy (SIGTERM/SIGINT drain and exit 0)\n"
    "  jwt-sidecar check-config FILE  validate a config (exit 0, or 1 with file:line:column errors)\n"
    "  jwt-sidecar verify --jwks FILE [options] TOKEN|-\n"
    "                                 verify one token, print one JSON object (exit 0 valid, 1 rejected)\n"
    "  jwt-sidecar revoke --config FILE --issuer ISS (--jti ID [--expires UNIX] | --sub SUB [--before UNIX] | --kid KID)\n"
    "  jwt-sidecar revoke --config FILE --remove --issuer ISS (--jti ID | --sub SUB | --kid KID)\n"
    "  jwt-sidecar revoke --config FILE --list\n"
    "                                 revoke tokens in the config's Redis (or its revocation file)\n"
    "  jwt-sidecar demo [--port PORT] self-contained demo on local ports, until Ctrl-C\n"
    "Usage errors exit with status 2.";

// Numbers on the command line are whole and unsigned: checked before the range, so that
// "--port x" says what is wrong with "x" rather than that it is out of range.
CLI::Validator whole_number() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        const bool digits = !value.empty() && value.find_first_not_of("0123456789") == std::string::npos;
        return digits ? std::string() : "'" + value + "' is not a whole number";
      },
      "");
}

void add_verify_options(CLI::App& verify, VerifyArgs& a) {
  verify.add_option("--jwks", a.jwks_file, "JWK Set file with the keys to try")->required()->type_name("FILE");
  verify.add_option("--issuer", a.issuer, "required \"iss\"")->type_name("ISS");
  verify.add_option("--audience", a.audiences, "accepted \"aud\" (repeatable)")->type_name("AUD");
  verify.add_option("--algorithms", a.algorithms, "allowed algorithms, comma-separated (default: every asymmetric one)")
      ->type_name("A,B");
  verify.add_option("--clock-skew", a.clock_skew, "seconds of tolerance for exp/nbf/iat (default 60)")
      ->check(whole_number())->check(CLI::Range(std::int64_t{0}, common::kMaxPolicySeconds))->type_name("SECONDS");
  verify.add_option("--max-lifetime", a.max_lifetime, "largest exp - iat allowed")
      ->check(whole_number())->check(CLI::Range(std::int64_t{1}, common::kMaxPolicySeconds))->type_name("SECONDS");
  verify.add_option("--now", a.now, "the time to judge at (default: the clock)")
      ->check(whole_number())->check(CLI::Range(std::int64_t{0}, static_cast<std::int64_t>(common::kMaxNumericDate)))->type_name("UNIX");
  verify.add_flag("--no-require-exp", a.no_require_exp, "accept tokens without \"exp\"");
  verify.add_option("--revoked", a.revoked_file, "a revocation list file to check the token against too")
      ->type_name("FILE");
  verify.add_option("TOKEN", a.token, "the compact JWS, or - to read it from standard input")->required();
}

void add_revoke_options(CLI::App& revoke, RevokeArgs& a) {
  revoke.add_option("--config", a.config_path, "the config whose 'revocation' section says where the list is")
      ->required()->type_name("FILE");
  revoke.add_option("--issuer", a.issuer, "the issuer (\"iss\") of the tokens")->type_name("ISS");
  revoke.add_option("--jti", a.jti, "revoke one token by its \"jti\"")->type_name("ID");
  revoke.add_option("--sub", a.sub, "revoke every token of a subject issued before --before")->type_name("SUB");
  revoke.add_option("--kid", a.kid, "revoke every token signed with a key")->type_name("KID");
  const auto unix_range = CLI::Range(std::int64_t{0}, static_cast<std::int64_t>(common::kMaxNumericDate));
  revoke.add_option("--expires", a.expires, "when the --jti entry may be dropped (its token's exp)")
      ->check(whole_number())->check(unix_range)->type_name("UNIX");
  revoke.add_option("--before", a.before, "tokens of --sub issued before this are revoked (default: now, this second included)")
      ->check(whole_number())->check(CLI::Range(std::int64_t{1}, static_cast<std::int64_t>(common::kMaxNumericDate)))->type_name("UNIX");
  revoke.add_option("--now", a.now, "the time --before defaults to (default: the clock)")->check(whole_number())->check(unix_range)
      ->type_name("UNIX");
  revoke.add_flag("--remove", a.remove, "remove the entry instead of adding it");
  revoke.add_flag("--list", a.list, "print every entry, one JSON object per line");
}

}  // namespace

int run_cli(const std::vector<std::string>& args, CliStreams streams) {
  CLI::App app{kDescription, "jwt-sidecar"};
  app.require_subcommand(0, 1);
  bool version = false;
  app.add_flag("--version", version, "print the version and exit");
  std::string config_path;
  app.add_option("--config", config_path, "run the proxy with this YAML config")->type_name("FILE");

  std::string check_path;
  auto* check = app.add_subcommand("check-config", "validate a config file and exit");
  check->add_option("FILE", check_path, "the YAML config")->required();

  int demo_port = 0;
  auto* demo = app.add_subcommand("demo", "self-contained demo: local keys, an example upstream and the proxy");
  demo->add_option("--port", demo_port, "the proxy's port (default: a free one)")
      ->check(whole_number())->check(CLI::Range(0, 65535))->type_name("PORT");

  VerifyArgs verify_args;
  auto* verify = app.add_subcommand("verify", "verify one token against a JWK Set file");
  add_verify_options(*verify, verify_args);

  RevokeArgs revoke_args;
  auto* revoke = app.add_subcommand("revoke", "add, remove or list revocation entries");
  add_revoke_options(*revoke, revoke_args);

  // CLI11 takes the arguments last first.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, streams.out, streams.err);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e, streams.out, streams.err);
    streams.err << "jwt-sidecar: " << e.what() << "\nRun 'jwt-sidecar --help' for usage.\n";
    return kExitUsage;
  }
  const bool command = check->parsed() || demo->parsed() || verify->parsed() || revoke->parsed();
  if (version && !command && config_path.empty()) {
    streams.out << "jwt-sidecar " << JWT_SIDECAR_VERSION << "\n";
    return kExitOk;
  }
  if (version || (command && !config_path.empty())) {
    streams.err << "jwt-sidecar: --config and --version go alone, without a command\n";
    return kExitUsage;
  }
  if (check->parsed()) return run_check_config_command(check_path, streams);
  if (demo->parsed()) return run_demo_command(static_cast<std::uint16_t>(demo_port), streams);
  if (verify->parsed()) return run_verify_command(verify_args, streams);
  if (revoke->parsed()) return run_revoke_command(revoke_args, streams);
  if (!config_path.empty()) return run_proxy_command(config_path, streams);
  streams.err << app.help();
  return kExitUsage;
}

}  // namespace jwt_sidecar::proxy
