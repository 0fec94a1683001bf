// The JWKS server and the test CA are the oracles of the JWKS fetcher's integration tests, so
// they are proven here first, with a real TLS client that trusts nothing but the CA it is given.
#include <boost/asio/ssl.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>

#include "proxy/io/net.h"
#include "tests/support/jwks_server.h"
#include "tests/support/process.h"
#include "tests/support/tls_certs.h"

namespace jwt_sidecar::testing {
namespace {

using namespace jwt_sidecar::proxy;
namespace ssl = boost::asio::ssl;
using namespace std::chrono_literals;
using Mode = JwksServer::Mode;

constexpr const char* kJwks = R"({"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"AQ","y":"AQ"}]})";

// Where a request stopped, and what came back before it did.
struct Outcome {
  std::string failed_at;  // "", "connect", "handshake", "write" or "read"
  error_code ec;
  http::response<http::string_body> res;
};

// One GET on a fresh connection. With `trusted_ca`, over TLS: that PEM is the only trust
// anchor, `host` is sent as SNI and must match the certificate.
struct Client {
  std::uint16_t port = 0;
  std::optional<std::string> trusted_ca;
  std::string host = "localhost";
  std::chrono::milliseconds timeout = 5s;
  std::size_t body_limit = 1 << 20;

  Outcome get(const std::string& target) const {
    net::io_context ioc;
    Outcome out;
    net::co_spawn(ioc, run(target, out), net::detached);
    ioc.run();
    return out;
  }

 private:
  awaitable<void> run(std::string target, Outcome& out) const {
    beast::tcp_stream tcp(co_await net::this_coro::executor);
    tcp.expires_after(timeout);
    auto [ec] = co_await tcp.async_connect({net::ip::make_address("127.0.0.1"), port}, use_tuple);
    if (ec) {
      out = {"connect", ec, {}};
      co_return;
    }
    if (!trusted_ca) co_return co_await exchange(tcp, target, out);
    ssl::context ctx(ssl::context::tls_client);
    ctx.add_certificate_authority(net::buffer(*trusted_ca));
    ctx.set_verify_mode(ssl::verify_peer);
    ssl::stream<beast::tcp_stream> stream(std::move(tcp), ctx);
    if (SSL_set_tlsext_host_name(stream.native_handle(), host.c_str()) != 1) throw std::runtime_error("SNI");
    stream.set_verify_callback(ssl::host_name_verification(host));
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
    if (hec) {
      out = {"handshake", hec, {}};
      co_return;
    }
    co_await exchange(stream, target, out);
  }

  template <typename Stream>
  awaitable<void> exchange(Stream& stream, const std::string& target, Outcome& out) const {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, host + ":" + std::to_string(port));
    auto [wec, w] = co_await http::async_write(stream, req, use_tuple);
    if (wec) {
      out = {"write", wec, {}};
      co_return;
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    auto [rec, r] = co_await http::async_read(stream, buffer, parser, use_tuple);
    out.res = parser.release();
    if (rec) out = {"read", rec, std::move(out.res)};
  }
};

Client https(const JwksServer& server, const TestCa& ca) { return {server.port(), ca.cert_pem()}; }
Client plain(const JwksServer& server) { return {server.port(), std::nullopt, "127.0.0.1"}; }

}  // namespace

TEST_CASE("over HTTPS the JWKS comes back with its Cache-Control", "[jwks_server]") {
  const TestCa ca;
  JwksServer server(ca.issue_localhost_cert());
  server.set_jwks(kJwks, 300);
  CHECK(server.tls());
  CHECK(server.base_url() == "https://localhost:" + std::to_string(server.port()));
  CHECK(server.jwks_url() == server.base_url() + "/jwks.json");

  const auto out = https(server, ca).get("/jwks.json");
  REQUIRE(out.failed_at == "");
  CHECK(out.res.result_int() == 200);
  CHECK(out.res.body() == kJwks);
  CHECK(out.res[http::field::content_type] == "application/json");
  CHECK(out.res[http::field::cache_control] == "max-age=300");
  CHECK(server.fetch_count() == 1);
  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].sni == "localhost");
  CHECK(server.requests()[0].host == "localhost:" + std::to_string(server.port()));

  server.set_jwks(R"({"keys":[]})");
  const auto again = https(server, ca).get("/jwks.json?x=1");
  CHECK(again.res.body() == R"({"keys":[]})");
  CHECK(again.res.count(http::field::cache_control) == 0);
  CHECK(server.fetch_count() == 2);
}

TEST_CASE("the certificate is refused without the test CA, for another name, or once expired",
          "[jwks_server]") {
  const TestCa ca;
  JwksServer server(ca.issue_localhost_cert());
  Client client = https(server, ca);

  SECTION("another CA, even with the same name") {
    client.trusted_ca = TestCa().cert_pem();
    const auto out = client.get("/jwks.json");
    CHECK(out.failed_at == "handshake");
    CHECK(out.ec.category() == net::error::get_ssl_category());
  }
  SECTION("a name the certificate does not carry") {
    client.host = "idp.example.test";
    CHECK(client.get("/jwks.json").failed_at == "handshake");
  }
  SECTION("the IP address it does carry") {
    client.host = "127.0.0.1";
    CHECK(client.get("/jwks.json").failed_at == "");
  }
  SECTION("an expired leaf") {
    JwksServer expired(ca.issue_server_cert({"localhost"}, {}, {-48h, -24h}));
    CHECK(https(expired, ca).get("/jwks.json").failed_at == "handshake");
    CHECK(expired.request_count() == 0);
  }
  CHECK(server.fetch_count() == (client.host == "127.0.0.1" ? 1u : 0u));
}

TEST_CASE("discovery is served at the root and under an issuer path", "[jwks_server]") {
  const TestCa ca;
  JwksServer server(ca.issue_localhost_cert());
  const auto client = https(server, ca);
  CHECK(client.get("/.well-known/openid-configuration").res.result_int() == 404);

  const std::string doc = R"({"issuer":")" + server.base_url() + R"(/realms/x","jwks_uri":")" + server.jwks_url() + "\"}";
  server.set_discovery(doc);
  CHECK(client.get("/.well-known/openid-configuration").res.body() == doc);
  const auto nested = client.get("/realms/x/.well-known/openid-configuration");
  CHECK(nested.res.body() == doc);
  CHECK(nested.res[http::field::content_type] == "application/json");
  CHECK(client.get("/realms/x/other").res.result_int() == 404);
  CHECK(server.fetch_count() == 0);
  CHECK(server.request_count() == 4);
}

TEST_CASE("each failure mode misbehaves as specified, and normal recovers", "[jwks_server]") {
  const TestCa ca;
  JwksServer server(ca.issue_localhost_cert());
  server.set_jwks(kJwks, 60);
  Client client = https(server, ca);

  SECTION("status_500") {
    server.set_mode(Mode::status_500);
    const auto out = client.get("/jwks.json");
    CHECK(out.failed_at == "");
    CHECK(out.res.result_int() == 500);
    CHECK(server.fetch_count() == 1);
  }
  SECTION("garbage") {
    server.set_mode(Mode::garbage);
    const auto out = client.get("/jwks.json");
    CHECK(out.res.result_int() == 200);
    CHECK(out.res[http::field::content_type] == "application/json");
    CHECK(out.res.body().front() == '<');  // no JSON value starts with '<'
  }
  SECTION("endless: more than any sane limit, and still going") {
    server.set_mode(Mode::endless);
    const auto out = client.get("/jwks.json");
    CHECK(out.failed_at == "read");
    CHECK(out.ec == http::error::body_limit);
    CHECK(out.res.result_int() == 200);
    CHECK(out.res.chunked());
  }
  SECTION("slow: the request is read, the answer never comes") {
    server.set_mode(Mode::slow);
    client.timeout = 300ms;
    const auto out = client.get("/jwks.json");
    CHECK(out.failed_at == "read");
    CHECK(out.ec == beast::error::timeout);
    CHECK(server.fetch_count() == 1);
  }
  SECTION("close: the connection ends before the handshake") {
    server.set_mode(Mode::close);
    CHECK(client.get("/jwks.json").failed_at == "handshake");
    CHECK(server.connection_count() == 1);
    CHECK(server.request_count() == 0);
  }
  server.set_mode(Mode::normal);
  const auto out = client.get("/jwks.json");
  CHECK(out.res.body() == kJwks);
  CHECK(out.res[http::field::cache_control] == "max-age=60");
}

TEST_CASE("over plain HTTP, close and redirects too", "[jwks_server]") {
  JwksServer server;
  server.set_jwks(kJwks);
  CHECK_FALSE(server.tls());
  CHECK(server.base_url() == "http://127.0.0.1:" + std::to_string(server.port()));
  const auto client = plain(server);
  CHECK(client.get("/jwks.json").res.body() == kJwks);
  CHECK(server.requests().back().sni == "");

  server.set_redirect("/old/jwks.json", server.jwks_url());
  const auto moved = client.get("/old/jwks.json");
  CHECK(moved.res.result_int() == 302);
  CHECK(moved.res[http::field::location] == server.jwks_url());
  server.clear_redirects();
  CHECK(client.get("/old/jwks.json").res.result_int() == 404);

  server.set_mode(Mode::close);
  // FIN or RST, depending on whether the request reached the socket before the close.
  const auto closed = client.get("/jwks.json");
  CHECK((closed.failed_at == "read" || closed.failed_at == "write"));
  CHECK((closed.ec == http::error::end_of_stream || closed.ec == net::error::connection_reset ||
         closed.ec == net::error::broken_pipe));
  CHECK(server.fetch_count() == 1);
}

TEST_CASE("stop refuses connections and drops held ones; restart serves on the same port",
          "[jwks_server]") {
  const TestCa ca;
  JwksServer server(ca.issue_localhost_cert());
  server.set_jwks(kJwks);
  const auto port = server.port();
  const auto client = https(server, ca);
  REQUIRE(client.get("/jwks.json").failed_at == "");

  // A held connection must end with stop(), not with the client's 10 s timeout.
  server.set_mode(Mode::slow);
  Client patient = client;
  patient.timeout = 10s;
  auto held = std::async(std::launch::async, [&] { return patient.get("/jwks.json"); });
  REQUIRE(server.wait_for_fetches(2));
  const auto before = std::chrono::steady_clock::now();
  server.stop();
  const auto dropped = held.get();
  CHECK(dropped.failed_at == "read");
  CHECK(dropped.ec != beast::error::timeout);
  CHECK(std::chrono::steady_clock::now() - before < 5s);

  CHECK_FALSE(server.running());
  const auto refused = client.get("/jwks.json");
  CHECK(refused.failed_at == "connect");
  CHECK(refused.ec == net::error::connection_refused);
  server.stop();  // idempotent

  server.set_mode(Mode::normal);
  server.restart();
  CHECK(server.running());
  CHECK(server.port() == port);
  CHECK(client.get("/jwks.json").res.body() == kJwks);
  CHECK(server.fetch_count() == 3);
}

TEST_CASE("wait_for_* return when the count is reached, or false at the timeout", "[jwks_server]") {
  JwksServer server;
  CHECK_FALSE(server.wait_for_fetches(1, 20ms));
  auto fetches = std::async(std::launch::async, [client = plain(server)] {
    for (int i = 0; i < 3; ++i) client.get("/jwks.json");
    client.get("/other");
  });
  CHECK(server.wait_for_fetches(3));
  CHECK(server.wait_for_requests(4));
  CHECK(server.wait_for_connections(4));
  fetches.get();
  CHECK(server.fetch_count() == 3);
  CHECK_FALSE(server.wait_for_fetches(4, 20ms));
}

TEST_CASE("write_cert_files leaves a CA file, a chain and a private key", "[jwks_server]") {
  const TestCa ca;
  const auto cert = ca.issue_server_cert({"localhost", "idp.local"}, {"127.0.0.1", "::1"});
  const TempDir dir;
  const auto files = write_cert_files(dir, ca, cert);
  auto read = [](const std::string& path) {
    std::ostringstream s;
    s << std::ifstream(path).rdbuf();
    return s.str();
  };
  CHECK(read(files.ca_file) == ca.cert_pem());
  CHECK(read(files.cert_file) == cert.cert_pem + ca.cert_pem());
  CHECK(read(files.key_file).rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
  const auto perms = std::filesystem::status(files.key_file).permissions();
  CHECK((perms & std::filesystem::perms::group_read) == std::filesystem::perms::none);
  CHECK((perms & std::filesystem::perms::others_read) == std::filesystem::perms::none);
}

}  // namespace jwt_sidecar::testing
