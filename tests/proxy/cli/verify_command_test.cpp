#include "proxy/cli/cli.h"

#include <catch2/catch.hpp>
#include <simdjson.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "tests/support/test_keys.h"

using jwt_sidecar::policies::Algorithm;
using jwt_sidecar::testing::jwks_of;
using jwt_sidecar::testing::make_token;
using jwt_sidecar::testing::TestKey;

namespace {

struct Run {
  int code;
  std::string out, err;
};

Run run(std::vector<std::string> args, const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  const int code = jwt_sidecar::proxy::run_cli(args, {in, out, err});
  return {code, out.str(), err.str()};
}

// A JWKS file in a fresh temporary directory, removed with the fixture.
struct JwksFile {
  std::filesystem::path dir, path;
  explicit JwksFile(const std::string& text) {
    char tmpl[] = "/tmp/jwt-sidecar-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    path = dir / "jwks.json";
    std::ofstream(path) << text;
  }
  ~JwksFile() { std::filesystem::remove_all(dir); }
};

simdjson::dom::element parse_json(simdjson::dom::parser& parser, const std::string& text) {
  simdjson::dom::element e;
  REQUIRE(parser.parse(text).get(e) == simdjson::SUCCESS);
  return e;
}

const std::string kClaims = R"({"iss":"https://idp.example.test","aud":["api","other"],"sub":"alice","exp":2000000000})";

}  // namespace

TEST_CASE("verify prints one JSON verdict and exits 0 for a valid token", "[cli][verify]") {
  JwksFile jwks(jwks_of({TestKey::shared_ec("P-256").jwk("p256")}));
  const auto token = make_token(TestKey::shared_ec("P-256"), Algorithm::ES256,
                                R"({"alg":"ES256","kid":"p256","typ":"JWT"})", kClaims);
  const auto r = run({"verify", "--jwks", jwks.path.string(), "--issuer", "https://idp.example.test",
                      "--audience", "api", "--now", "1900000000", token});
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  REQUIRE(std::count(r.out.begin(), r.out.end(), '\n') == 1);
  simdjson::dom::parser parser;
  const auto v = parse_json(parser, r.out);
  CHECK(v["valid"].get_bool().value() == true);
  CHECK(v["reason"].get_string().value() == "ok");
  CHECK(v["alg"].get_string().value() == "ES256");
  CHECK(v["kid"].get_string().value() == "p256");
  CHECK(v["header"]["typ"].get_string().value() == "JWT");
  CHECK(v["claims"]["sub"].get_string().value() == "alice");
  CHECK(v["claims"]["aud"].at(1).get_string().value() == "other");
  CHECK(r.out.find(token) == std::string::npos);  // the token itself is never echoed
}

TEST_CASE("verify exits 1 with the exact reason when a token is rejected", "[cli][verify]") {
  JwksFile jwks(jwks_of({TestKey::shared_ec("P-256").jwk("p256")}));
  const auto token = make_token(TestKey::shared_ec("P-256"), Algorithm::ES256,
                                R"({"alg":"ES256","kid":"p256"})", kClaims);
  simdjson::dom::parser parser;
  struct Case {
    std::vector<std::string> extra;
    const char* reason;
  };
  const Case cases[] = {
      {{"--now", "2000000060"}, "token_expired"},
      {{"--now", "2000000059"}, "ok"},
      {{"--now", "2000000001", "--clock-skew", "0"}, "token_expired"},
      {{"--now", "1", "--audience", "nope"}, "audience_mismatch"},
      {{"--now", "1", "--audience", "nope", "--audience", "other"}, "ok"},
      {{"--now", "1", "--issuer", "https://idp.example.test/"}, "issuer_mismatch"},
      {{"--now", "1", "--algorithms", "RS256,EdDSA"}, "alg_not_allowed"},
      {{"--now", "1", "--algorithms=ES256"}, "ok"},
      {{"--now", "1", "--max-lifetime", "60"}, "iat_missing"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"verify", "--jwks", jwks.path.string()};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    args.push_back(token);
    const auto r = run(args);
    INFO(r.out << r.err);
    CHECK(r.code == (std::string_view(c.reason) == "ok" ? 0 : 1));
    CHECK(parse_json(parser, r.out)["reason"].get_string().value() == c.reason);
  }
}

TEST_CASE("verify reads the token from standard input with -", "[cli][verify]") {
  JwksFile jwks(TestKey::shared_okp("Ed25519").jwk("ed"));
  const auto token = make_token(TestKey::shared_okp("Ed25519"), Algorithm::EdDSA,
                                R"({"alg":"EdDSA","kid":"ed"})", kClaims);
  const auto r = run({"verify", "--jwks", jwks.path.string(), "--now", "1", "-"}, token + "\n");
  CHECK(r.code == 0);
  CHECK(r.out.find(R"("valid":true)") != std::string::npos);
}

TEST_CASE("verify refuses HMAC unless asked, and unparseable tokens report nulls", "[cli][verify]") {
  const auto& hmac = TestKey::shared_for(Algorithm::HS256);
  JwksFile jwks(jwks_of({hmac.jwk("h")}));
  const auto token = make_token(hmac, Algorithm::HS256, R"({"alg":"HS256","kid":"h"})", kClaims);
  simdjson::dom::parser parser;
  auto r = run({"verify", "--jwks", jwks.path.string(), "--now", "1", token});
  CHECK(r.code == 1);
  CHECK(parse_json(parser, r.out)["reason"].get_string().value() == "alg_not_allowed");
  r = run({"verify", "--jwks", jwks.path.string(), "--now", "1", "--algorithms", "HS256", token});
  CHECK(r.code == 0);

  r = run({"verify", "--jwks", jwks.path.string(), "not-a-token"});
  CHECK(r.code == 1);
  const auto v = parse_json(parser, r.out);
  CHECK(v["reason"].get_string().value() == "malformed_token");
  CHECK(v["alg"].is_null());
  CHECK(v["kid"].is_null());
  CHECK(v["header"].is_null());
  CHECK(v["claims"].is_null());
}

TEST_CASE("verify reports usage errors with exit 2", "[cli][verify]") {
  JwksFile jwks(jwks_of({TestKey::shared_rsa().jwk("rsa"), TestKey::rsa(1024).jwk("weak")}));
  CHECK(run({"verify", "tok"}).code == 2);
  CHECK(run({"verify", "--jwks", jwks.path.string()}).code == 2);
  CHECK(run({"verify", "--jwks", jwks.path.string(), "a", "b"}).code == 2);
  CHECK(run({"verify", "--jwks", jwks.path.string(), "--algorithms", "none", "t"}).code == 2);
  CHECK(run({"verify", "--jwks", jwks.path.string(), "--clock-skew", "-1", "t"}).code == 2);
  CHECK(run({"verify", "--jwks", jwks.path.string(), "--now", "soon", "t"}).code == 2);
  CHECK(run({"verify", "--jwks", jwks.path.string(), "--bogus", "t"}).code == 2);
  CHECK(run({"verify", "--jwks", "/nonexistent/jwks.json", "t"}).code == 2);
  JwksFile broken("{\"keys\":");
  const auto bad = run({"verify", "--jwks", broken.path.string(), "t"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("not valid JSON") != std::string::npos);
  // A skipped key is reported on stderr; the token is still judged.
  const auto weak = run({"verify", "--jwks", jwks.path.string(), "t"});
  CHECK(weak.code == 1);
  CHECK(weak.err.find(R"(key 1 (kid "weak") skipped: rsa_modulus_too_small)") != std::string::npos);
  CHECK(run({"bogus"}).code == 2);
  CHECK(run({}).code == 2);
  CHECK(run({"--help"}).code == 0);
  CHECK(run({"--version"}).out.rfind("jwt-sidecar ", 0) == 0);
}

TEST_CASE("the real binary verifies the bundled example token", "[cli][verify][binary]") {
  const std::string cmd = std::string(JWT_SIDECAR_BINARY) + " verify --jwks " +
                          JWT_SIDECAR_TEST_DATA + "/../../config/examples/jwks.json " +
                          "--issuer https://idp.example.test --audience orders-api - < " +
                          JWT_SIDECAR_TEST_DATA + "/../../config/examples/token.jwt";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  while (const auto n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  const int status = pclose(pipe);
  INFO(out);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(out.find(R"("valid":true)") != std::string::npos);
}

TEST_CASE("numeric arguments say what is wrong with the value, exit 2", "[cli]") {
  const auto port = run({"demo", "--port", "x"});
  CHECK(port.code == 2);
  CHECK(port.err.find("--port: 'x' is not a whole number") != std::string::npos);
  const auto high = run({"demo", "--port=70000"});
  CHECK(high.code == 2);
  CHECK(high.err.find("70000") != std::string::npos);
  CHECK(high.err.find("65535") != std::string::npos);
  const auto now = run({"verify", "--jwks", "j.json", "--now", "soon", "t"});
  CHECK(now.code == 2);
  CHECK(now.err.find("--now: 'soon' is not a whole number") != std::string::npos);
  const auto negative = run({"revoke", "--config", "c.yaml", "--issuer", "i", "--jti", "j", "--expires=-5"});
  CHECK(negative.code == 2);
  CHECK(negative.err.find("'-5' is not a whole number") != std::string::npos);
}
