// `jwt-sidecar demo`: a self-contained demonstration. A fresh ES256 key signs two tokens, an
// in-process example service stands in for the upstream, and the real proxy runs in front of
// it on free local ports until Ctrl-C.
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <chrono>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "common/base64url.h"
#include "common/json_text.h"
#include "proxy/cli/commands.h"
#include "proxy/keys/key_loading.h"
#include "proxy/observability/log.h"
#include "proxy/io/net.h"
#include "proxy/runtime/runtime.h"
#include "proxy/server/server.h"

namespace jwt_sidecar::proxy {
namespace {

using common::base64url_encode;

struct DemoKey {
  policies::EvpPkeyPtr pkey;
  std::string jwk;  // public JWK with kid "demo"
};

std::string bn_bytes(EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) throw std::runtime_error("openssl: get_bn_param");
  std::string out(32, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), 32);
  BN_free(bn);
  return out;
}

DemoKey make_key() {
  DemoKey k;
  k.pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!k.pkey) throw std::runtime_error("openssl: cannot generate a P-256 key");
  k.jwk = R"({"kty":"EC","crv":"P-256","kid":"demo","use":"sig","alg":"ES256","x":")" +
          base64url_encode(bn_bytes(k.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X)) + R"(","y":")" +
          base64url_encode(bn_bytes(k.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y)) + "\"}";
  return k;
}

std::string sign_es256(EVP_PKEY* pkey, const std::string& input) {
  policies::EvpMdCtxPtr ctx{EVP_MD_CTX_new()};
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1) {
    throw std::runtime_error("openssl: sign");
  }
  std::string der(len, '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (EVP_DigestSign(ctx.get(), out, &len, in, input.size()) != 1) throw std::runtime_error("openssl: sign");
  const unsigned char* p = out;
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
  if (!sig) throw std::runtime_error("openssl: bad signature");
  std::string raw(64, '\0');  // JWS wants R || S (RFC 7518 3.4)
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

constexpr const char* kIssuer = "https://demo.jwt-sidecar.local";

std::string make_token(const DemoKey& key, std::string_view sub, std::string_view scope) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  std::string claims = R"({"iss":")" + std::string(kIssuer) + R"(","aud":"demo-api","sub":)" +
                       common::json_string(sub) + R"(,"email":)" +
                       common::json_string(std::string(sub) + "@example.test") +
                       R"(,"scope":)" + common::json_string(scope) +
                       ",\"iat\":" + std::to_string(now) + ",\"exp\":" + std::to_string(now + 3600) + "}";
  const std::string input = base64url_encode(R"({"alg":"ES256","kid":"demo","typ":"JWT"})") + "." +
                            base64url_encode(claims);
  return input + "." + base64url_encode(sign_es256(key.pkey.get(), input));
}

// The example service: answers every request with what it received, as JSON.
awaitable<void> serve_upstream_connection(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  while (true) {
    http::request<http::string_body> req;
    stream.expires_after(std::chrono::seconds(60));
    auto [ec, n] = co_await http::async_read(stream, buffer, req, use_tuple);
    if (ec) break;
    std::string body = "{\"service\":\"demo-upstream\",\"method\":" + common::json_string(req.method_string()) +
                       ",\"target\":" + common::json_string(req.target()) + ",\"headers\":{";
    bool first = true;
    for (const auto& f : req) {
      if (!first) body += ',';
      first = false;
      body += common::json_string(f.name_string()) + ":" + common::json_string(f.value());
    }
    body += "}}\n";
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
    if (wec || !res.keep_alive()) break;
  }
}

awaitable<void> serve_upstream(tcp::acceptor& acceptor) {
  while (true) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec) break;
    net::co_spawn(acceptor.get_executor(), serve_upstream_connection(std::move(socket)), net::detached);
  }
}

config::Config demo_config(std::uint16_t port, std::uint16_t upstream_port, const std::string& jwks) {
  config::Config c;
  c.file = "(demo)";
  c.listen = {"127.0.0.1", port, {}};
  c.upstream = {"http", "127.0.0.1", upstream_port, "", "http://127.0.0.1:" + std::to_string(upstream_port), {}, {}};
  c.admin = config::Address{"127.0.0.1", 0, {}};
  // The auth service too: what nginx, Traefik, Caddy or Envoy would ask.
  c.auth_service = config::AuthServiceConfig{};
  c.auth_service->listen = {"127.0.0.1", 0, {}};
  c.auth_service->envoy_path_prefix = "/ext_authz";
  c.threads = 1;
  c.access_log = true;
  config::Provider p;
  p.name = "demo";
  p.issuer = kIssuer;
  p.audiences = {"demo-api"};
  p.jwks_inline = jwks;
  p.algorithms = {"ES256"};
  p.token_from = {{config::TokenSource::Kind::header, "Authorization", {}}};
  p.forward_claims = {{"sub", "x-user-id"}, {"email", "x-user-email"}};
  c.providers.push_back(p);
  auto route = [](std::string name, std::string prefix, config::AuthMode auth) {
    config::Route r;
    r.name = std::move(name);
    r.match.prefix = std::move(prefix);
    r.auth = auth;
    return r;
  };
  c.routes.push_back(route("public", "/public", config::AuthMode::none));
  auto orders = route("orders", "/orders", config::AuthMode::required);
  config::ClaimRequirement scope;
  scope.claim = "scope";
  scope.op = config::ClaimRequirement::Op::all;
  config::Scalar read;
  read.kind = config::Scalar::Kind::string;
  read.string = "orders:read";
  scope.values = {read};
  orders.claims = {scope};
  c.routes.push_back(orders);
  c.routes.push_back(route("admin", "/admin", config::AuthMode::deny));
  return c;
}

}  // namespace

int run_demo_command(std::uint16_t port, CliStreams streams) {
  try {
    const auto key = make_key();
    net::io_context upstream_ioc{1};
    tcp::acceptor acceptor(upstream_ioc, {net::ip::make_address("127.0.0.1"), 0});
    const auto upstream_port = acceptor.local_endpoint().port();
    net::co_spawn(upstream_ioc, serve_upstream(acceptor), net::detached);
    std::thread upstream_thread([&] { upstream_ioc.run(); });

    std::vector<config::ConfigError> errors;
    auto rt = build_runtime(demo_config(port, upstream_port, "{\"keys\":[" + key.jwk + "]}"), errors);
    for (const auto& e : errors) streams.err << e.to_string() << "\n";
    if (!rt) throw std::runtime_error("demo config did not compile");
    Logger::instance().configure(config::LogLevel::info, true);

    Server server(rt);
    server.start();
    server.handle_signals();
    const auto base = "http://127.0.0.1:" + std::to_string(server.port());
    const auto good = make_token(key, "alice", "orders:read orders:write");
    const auto weak = make_token(key, "bob", "profile");
    streams.out << "jwt-sidecar demo\n"
                << "  proxy:    " << base << "  (routes: /public open, /orders needs scope orders:read, /admin denied)\n"
                << "  upstream: http://127.0.0.1:" << upstream_port << "  (in-process example service)\n"
                << "  admin:    http://127.0.0.1:" << server.admin_port() << "/metrics\n"
                << "  auth:     http://127.0.0.1:" << server.auth_port()
                << "  (auth service: answers forward-auth checks, never forwards)\n\n"
                << "A token with scope orders:read (valid for 1 hour):\n  " << good << "\n\n"
                << "A token without it (gets 403):\n  " << weak << "\n\n"
                << "Try:\n"
                << "  curl -i " << base << "/orders/42 -H 'Authorization: Bearer " << good << "'   # 200\n"
                << "  curl -i " << base << "/orders/42   # 401\n"
                << "  curl -i " << base << "/orders/42 -H 'Authorization: Bearer " << weak << "'   # 403\n"
                << "  curl -i " << base << "/public/hello   # 200 without a token\n"
                << "  curl -i http://127.0.0.1:" << server.auth_port()
                << "/auth -H 'X-Forwarded-Method: GET' -H 'X-Forwarded-Uri: /orders/42' -H 'Authorization: Bearer "
                << good << "'   # 200, X-User-Id: alice (a forward-auth check)\n\n"
                << "Access logs follow, one JSON line per request. Press Ctrl-C to stop.\n"
                << std::flush;
    const int code = server.wait();
    upstream_ioc.stop();
    upstream_thread.join();
    return code;
  } catch (const std::exception& e) {
    streams.err << "jwt-sidecar demo: " << e.what() << "\n";
    return kExitRejected;
  }
}

}  // namespace jwt_sidecar::proxy
