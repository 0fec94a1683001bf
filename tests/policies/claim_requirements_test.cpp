#include "policies/claim_requirements.h"

#include <catch2/catch.hpp>
#include <simdjson.h>

#include <limits>
#include <string>

using namespace jwt_sidecar;
using namespace jwt_sidecar::policies;
using Op = config::ClaimRequirement::Op;

namespace {

config::Scalar str(std::string s) {
  config::Scalar v;
  v.kind = config::Scalar::Kind::string;
  v.string = std::move(s);
  return v;
}

config::Scalar boolean(bool b) {
  config::Scalar v;
  v.kind = config::Scalar::Kind::boolean;
  v.boolean = b;
  return v;
}

config::Scalar number(double n) {
  config::Scalar v;
  v.kind = config::Scalar::Kind::number;
  v.number = n;
  return v;
}

config::Scalar null() { return config::Scalar{}; }

config::ClaimRequirement req(std::string claim, Op op, std::vector<config::Scalar> values = {},
                             bool present = true) {
  config::ClaimRequirement r;
  r.claim = std::move(claim);
  r.op = op;
  r.values = std::move(values);
  r.present = present;
  r.mark = {"routes.yaml", 7, 9};
  return r;
}

ClaimRequirements compile(std::vector<config::ClaimRequirement> list) {
  return ClaimRequirements::compile(list);
}

// satisfied_by() needs SIMDJSON_PADDING bytes after the text; padded_string provides them.
ClaimCheck check(const ClaimRequirements& r, std::string_view json) {
  const simdjson::padded_string padded(json);
  return r.check(std::string_view(padded.data(), padded.size()));
}

bool holds(config::ClaimRequirement one, std::string_view json) {
  return check(compile({std::move(one)}), json).ok();
}

}  // namespace

TEST_CASE("equals compares strings, booleans, numbers and null", "[claims_req]") {
  CHECK(holds(req("sub", Op::equals, {str("alice")}), R"({"sub":"alice"})"));
  CHECK_FALSE(holds(req("sub", Op::equals, {str("alice")}), R"({"sub":"Alice"})"));
  CHECK_FALSE(holds(req("sub", Op::equals, {str("alice")}), R"({"sub":["alice"]})"));
  CHECK_FALSE(holds(req("sub", Op::equals, {str("alice")}), R"({"user":"alice"})"));
  const auto verified = req("email_verified", Op::equals, {boolean(true)});
  CHECK(holds(verified, R"({"email_verified":true})"));
  CHECK_FALSE(holds(verified, R"({"email_verified":false})"));
  CHECK_FALSE(holds(verified, R"({"email_verified":"true"})"));
  CHECK_FALSE(holds(verified, R"({"email_verified":1})"));
  CHECK(holds(req("tier", Op::equals, {null()}), R"({"tier":null})"));
  CHECK_FALSE(holds(req("tier", Op::equals, {null()}), R"({})"));
  CHECK_FALSE(holds(req("tier", Op::equals, {null()}), R"({"tier":0})"));
}

TEST_CASE("numbers compare numerically, integers exactly", "[claims_req]") {
  CHECK(holds(req("level", Op::equals, {number(3)}), R"({"level":3})"));
  CHECK(holds(req("level", Op::equals, {number(3)}), R"({"level":3.0})"));
  CHECK(holds(req("level", Op::equals, {number(3)}), R"({"level":3e0})"));
  CHECK(holds(req("level", Op::equals, {number(-3)}), R"({"level":-3})"));
  CHECK(holds(req("level", Op::equals, {number(2.5)}), R"({"level":2.5})"));
  CHECK_FALSE(holds(req("level", Op::equals, {number(2.5)}), R"({"level":2})"));
  CHECK_FALSE(holds(req("level", Op::equals, {number(3)}), R"({"level":"3"})"));
  // 2^64 - 1 in the token is not the double 2^64 that the YAML value rounds to.
  CHECK_FALSE(holds(req("big", Op::equals, {number(18446744073709551615.0)}),
                    R"({"big":18446744073709551615})"));
  const auto two53 = req("big", Op::equals, {number(9007199254740992.0)});
  CHECK(holds(two53, R"({"big":9007199254740992})"));
  CHECK_FALSE(holds(two53, R"({"big":9007199254740993})"));
}

TEST_CASE("any and all work on arrays, space-separated strings and scalars", "[claims_req]") {
  const auto any_admin_ops = req("roles", Op::any, {str("admin"), str("ops")});
  CHECK(holds(any_admin_ops, R"({"roles":["dev","ops"]})"));
  CHECK(holds(any_admin_ops, R"({"roles":"dev ops"})"));
  CHECK(holds(any_admin_ops, R"({"roles":"admin"})"));
  CHECK_FALSE(holds(any_admin_ops, R"({"roles":["dev"]})"));
  CHECK_FALSE(holds(any_admin_ops, R"({"roles":[]})"));
  CHECK_FALSE(holds(any_admin_ops, R"({"roles":"administrator"})"));
  CHECK_FALSE(holds(any_admin_ops, R"({"roles":{"admin":true}})"));
  CHECK_FALSE(holds(any_admin_ops, R"({"roles":[["admin"]]})"));
  CHECK_FALSE(holds(any_admin_ops, R"({})"));

  const auto all_read_write = req("scope", Op::all, {str("orders:read"), str("orders:write")});
  CHECK(holds(all_read_write, R"({"scope":"openid orders:write  orders:read"})"));
  CHECK(holds(all_read_write, R"({"scope":["orders:read","x","orders:write"]})"));
  CHECK_FALSE(holds(all_read_write, R"({"scope":"openid orders:read"})"));
  CHECK_FALSE(holds(all_read_write, R"({"scope":"orders:read,orders:write"})"));
  CHECK_FALSE(holds(all_read_write, R"({})"));

  CHECK(holds(req("groups", Op::any, {number(7)}), R"({"groups":[1,7.0]})"));
  CHECK(holds(req("groups", Op::any, {number(7)}), R"({"groups":7})"));
  CHECK(holds(req("flags", Op::all, {boolean(true), null()}), R"({"flags":[null,true]})"));
  CHECK_FALSE(holds(req("groups", Op::any, {str("7")}), R"({"groups":[7]})"));
  CHECK_FALSE(holds(req("scope", Op::any, {str("a b")}), R"({"scope":"a b"})"));
}

TEST_CASE("present requires existence or absence", "[claims_req]") {
  CHECK(holds(req("tenant", Op::present), R"({"tenant":"t1"})"));
  CHECK(holds(req("tenant", Op::present), R"({"tenant":null})"));
  CHECK_FALSE(holds(req("tenant", Op::present), R"({"other":1})"));
  CHECK(holds(req("act", Op::present, {}, false), R"({"sub":"a"})"));
  CHECK_FALSE(holds(req("act", Op::present, {}, false), R"({"act":{"sub":"b"}})"));
  CHECK(holds(req("a.b", Op::present, {}, false), R"({"a":{"c":1}})"));
  CHECK_FALSE(holds(req("a.b", Op::present, {}, false), R"({"a":{"b":false}})"));
}

TEST_CASE("dotted names reach nested claims; a whole top-level name wins", "[claims_req]") {
  const auto realm = req("realm_access.roles", Op::any, {str("admin")});
  CHECK(holds(realm, R"({"realm_access":{"roles":["admin"]}})"));
  CHECK_FALSE(holds(realm, R"({"realm_access":{"roles":["user"]}})"));
  CHECK_FALSE(holds(realm, R"({"realm_access":["admin"]})"));
  CHECK_FALSE(holds(realm, R"({"realm_access":"admin"})"));
  CHECK(holds(realm, R"({"realm_access.roles":["admin"]})"));
  CHECK(holds(realm, R"({"realm_access.roles":"admin","realm_access":{"roles":["x"]}})"));
  CHECK(holds(req("a.b.c", Op::equals, {number(1)}), R"({"a":{"b":{"c":1}}})"));

  const auto url = req("https://example.com/roles", Op::any, {str("admin")});
  CHECK(holds(url, R"({"https://example.com/roles":["admin"]})"));
  // Without the whole name at top level, the dots are a path, as for any other name.
  CHECK(holds(url, R"({"https://example":{"com/roles":["admin"]}})"));
  CHECK_FALSE(holds(url, R"({"https://example.com":{"roles":["admin"]}})"));

  // Empty pieces are only reachable as the whole top-level name.
  CHECK(holds(req("a..b", Op::present), R"({"a..b":1})"));
  CHECK_FALSE(holds(req("a..b", Op::present), R"({"a":{"":{"b":1}}})"));
}

TEST_CASE("the first failing requirement is reported", "[claims_req]") {
  const auto r = compile({req("sub", Op::present), req("scope", Op::all, {str("orders:read")}),
                          req("email_verified", Op::equals, {boolean(true)})});
  CHECK(check(r, R"({"sub":"a","scope":"orders:read","email_verified":true})").ok());

  auto result = check(r, R"({"sub":"a","scope":"openid","email_verified":false})");
  CHECK_FALSE(result.ok());
  CHECK_FALSE(result.invalid_payload);
  CHECK(result.failed == 1);
  CHECK(r.claim(result.failed) == "scope");

  result = check(r, R"({"sub":"a","scope":"orders:read"})");
  CHECK(result.failed == 2);
  CHECK(r.claim(2) == "email_verified");
  CHECK(r.claim(3).empty());
}

TEST_CASE("a payload that is not one clean JSON object fails", "[claims_req]") {
  const auto r = compile({req("sub", Op::present, {}, false)});
  for (const char* bad : {"", "[]", "\"x\"", "{", R"({"a":1,"a":2})", R"({"a":{"b":1,"b":1}})"}) {
    const auto result = check(r, bad);
    CHECK(result.invalid_payload);
    CHECK_FALSE(result.ok());
    CHECK_FALSE(r.satisfied_by(std::string_view(simdjson::padded_string(std::string_view(bad)))));
  }
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  CHECK(check(r, R"({"x":)" + deep + "}").invalid_payload);
}

TEST_CASE("no requirements are always satisfied, without parsing", "[claims_req]") {
  const auto r = compile({});
  CHECK(r.empty());
  CHECK(check(r, "not json").ok());
}

TEST_CASE("compiled requirements keep the claim path split", "[claims_req]") {
  const auto r = compile({req("realm_access.roles", Op::any, {str("a")}), req("sub", Op::present),
                          req(".x", Op::present)});
  CHECK(r.size() == 3);
  CHECK(r.requirements()[0].path == std::vector<std::string>{"realm_access", "roles"});
  CHECK(r.requirements()[1].path == std::vector<std::string>{"sub"});
  CHECK(r.requirements()[2].path.empty());
}
