// The command line against the real binary: check-config, startup with a bad config, demo.
#include <catch2/catch.hpp>

#include <csignal>

#include "tests/integration/fixture.h"

using namespace jwt_sidecar::testing;

TEST_CASE("check-config accepts both example configs", "[integration][cli]") {
  for (const char* name : {"sidecar.yaml", "edge-gateway.yaml"}) {
    INFO(name);
    Process p(binary_path(), {"check-config", test_data("../../config/examples/") + name});
    CHECK(p.wait(std::chrono::seconds(20)) == 0);
    p.drain_output();
    REQUIRE(p.stdout_lines().size() == 1);
    CHECK(p.stdout_lines()[0].find(": ok (") != std::string::npos);
  }
}

TEST_CASE("check-config prints every error with file:line:column and exits 1", "[integration][cli]") {
  TempDir dir;
  const auto path = dir.write("bad.yaml", R"(listen: 127.0.0.1:99999
upstream: http://127.0.0.1:8081
threads: many
providers:
  corp:
    issuer: https://idp.example.test
    algorithms: [RS256, none]
routes:
  - name: r
    match: {prefix: /}
    providers: [corpp]
    auht: required
)");
  Process p(binary_path(), {"check-config", path});
  CHECK(p.wait(std::chrono::seconds(20)) == 1);
  const auto err = p.stderr_text();
  INFO(err);
  CHECK(err.find(path + ":1:9:") != std::string::npos);   // the port
  CHECK(err.find(path + ":3:10:") != std::string::npos);  // threads
  CHECK(err.find(path + ":5:3:") != std::string::npos);   // no key source
  CHECK(err.find(path + ":7:25:") != std::string::npos);  // none
  CHECK(err.find("corpp") != std::string::npos);
  CHECK(err.find("auht") != std::string::npos);
  // The same messages stop the proxy from starting.
  Process run(binary_path(), {"--config", path});
  CHECK(run.wait(std::chrono::seconds(20)) != 0);
  CHECK(run.stderr_text().find(path + ":3:10:") != std::string::npos);
}

TEST_CASE("demo prints working tokens and curl lines, and stops on SIGINT", "[integration][cli]") {
  Process demo(binary_path(), {"demo"});
  const auto proxy_line = demo.wait_for_line("  proxy:    http://127.0.0.1:");
  REQUIRE(proxy_line);
  const auto at = proxy_line->find("127.0.0.1:") + 10;
  const auto port = static_cast<std::uint16_t>(std::stoi(proxy_line->substr(at)));
  const auto auth_line = demo.wait_for_line("  auth:     http://127.0.0.1:");
  REQUIRE(auth_line);
  const auto auth_port = static_cast<std::uint16_t>(std::stoi(auth_line->substr(auth_line->find("127.0.0.1:") + 10)));
  REQUIRE(demo.wait_for_line("A token with scope orders:read"));
  const auto good = demo.wait_for_line("  eyJ");
  REQUIRE(demo.wait_for_line("A token without it"));
  const auto weak = demo.wait_for_line("  eyJ");
  REQUIRE(good);
  REQUIRE(weak);
  const auto trim = [](std::string s) { return s.substr(s.find_first_not_of(' ')); };
  CHECK(http_request(port, "GET", "/orders/42", {{"Authorization", bearer(trim(*good))}})->status == 200);
  CHECK(http_request(port, "GET", "/orders/42")->status == 401);
  CHECK(http_request(port, "GET", "/orders/42", {{"Authorization", bearer(trim(*weak))}})->status == 403);
  CHECK(http_request(port, "GET", "/public/hello")->status == 200);
  // The auth service line: a forward-auth check as the demo prints it.
  const auto check = http_request(auth_port, "GET", "/auth",
                                  {{"X-Forwarded-Method", "GET"}, {"X-Forwarded-Uri", "/orders/42"},
                                   {"Authorization", bearer(trim(*good))}});
  REQUIRE(check);
  CHECK(check->status == 200);
  CHECK(check->header("X-User-Id") == "alice");
  REQUIRE(demo.wait_for_line("curl -i"));
  REQUIRE(demo.wait_for_line("X-Forwarded-Uri: /orders/42"));
  CHECK(demo.stop(SIGINT) == 0);
}

TEST_CASE("one parser: every bad argument is a usage error (exit 2), both option spellings work",
          "[integration][cli]") {
  const auto run = [](std::vector<std::string> args) {
    Process p(binary_path(), args);
    const int code = p.wait(std::chrono::seconds(20));
    return std::make_pair(code, p.stderr_text());
  };
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"demo", "--port", "x"},
           {"demo", "--port=x"},
           {"demo", "--port", "70000"},
           {"demo", "--portt", "1"},
           {"demo", "extra"},
           {"check-config"},
           {"check-config", "a.yaml", "b.yaml"},
           {"verify", "--jwks", "k.json"},
           {"verify", "--jwks=k.json", "--now", "soon", "t"},
           {"verify", "--jwks", "k.json", "--clock-skew=-1", "t"},
           {"--config"},
           {"--config", "a.yaml", "check-config", "b.yaml"},
           {"frobnicate"},
           {}}) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    INFO(joined);
    const auto [code, err] = run(args);
    CHECK(code == 2);
    CHECK_FALSE(err.empty());
  }
  const auto help = run({"--help"});
  CHECK(help.first == 0);
  const auto version = run({"--version"});
  CHECK(version.first == 0);

  TempDir dir;
  const auto path = dir.write("ok.yaml", "listen: 127.0.0.1:0\nupstream: http://127.0.0.1:1\nroutes:\n"
                                         "  - {name: all, match: {prefix: /}, auth: none}\n");
  CHECK(run({"check-config", path}).first == 0);
  // --config=FILE and --config FILE both start the proxy.
  for (const auto& args : {std::vector<std::string>{"--config=" + path}, std::vector<std::string>{"--config", path}}) {
    Process p(binary_path(), args);
    REQUIRE(p.wait_for_line("\"listening\""));
    CHECK(p.stop(SIGTERM) == 0);
  }
}

TEST_CASE("demo --port=N serves on that port", "[integration][cli]") {
  const auto port = free_port();
  Process demo(binary_path(), {"demo", "--port=" + std::to_string(port)});
  const auto proxy_line = demo.wait_for_line("  proxy:    http://127.0.0.1:");
  REQUIRE(proxy_line);
  CHECK(proxy_line->find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
  CHECK(http_request(port, "GET", "/public/hello")->status == 200);
  CHECK(demo.stop(SIGINT) == 0);
}
