// An HTTP/2 client byte stream fed to a real HTTP/2 server session (proxy/http2) over an
// in-memory ByteStream: nghttp2's framing and HPACK, the stream limits and flood rules, the
// per-stream decisions, JSON and gRPC answers all run as in production; only the socket is
// replaced. The input follows the client connection preface; its first byte sets how it is
// cut into reads (1..256 bytes each). Allowed streams go to upstreams on 127.0.0.1:1 (HTTP/1.1
// and h2c), which refuse: they end as 502 / UNAVAILABLE.
//
// Invariants: no crash, leak, sanitizer report or hang (libFuzzer -timeout); whatever the
// session writes begins with its SETTINGS frame (RFC 9113 3.4: the server connection preface).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "config/loader.h"
#include "proxy/http1/worker.h"
#include "proxy/http2/server_session.h"
#include "proxy/io/net.h"
#include "proxy/io/stream.h"
#include "proxy/keys/key_loading.h"
#include "proxy/observability/log.h"
#include "proxy/runtime/runtime.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/session_fixture.h"

namespace jwt_sidecar::fuzz {
namespace {

namespace net = boost::asio;

const char* kConfig = R"(listen: 127.0.0.1:0
upstream: http://127.0.0.1:1
threads: 1
log_level: error
access_log: false
limits: {max_header_bytes: 4096, max_body_bytes: 1024, max_token_bytes: 2048, max_concurrent_streams: 8}
providers:
  corp:
    issuer: https://idp.example.test
    audiences: [orders-api]
    jwks_file: )" JWT_SIDECAR_SOURCE_DIR R"(/config/examples/jwks.json
    token_from: [{header: Authorization}, {cookie: access_token}, {query: access_token}]
    forward_claims: {sub: x-user-id}
routes:
  - {name: public, match: {prefix: /public}, auth: none}
  - {name: grpc, match: {prefix: /test.}, auth: none, upstream: "h2c://127.0.0.1:1"}
  - {name: orders, match: {prefix: /orders}, claims: {scope: {all: [orders:read]}}}
)";

std::shared_ptr<const proxy::Runtime> runtime() {
  static const auto rt = build_runtime(kConfig);
  return rt;
}

void one_input(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return;
  const std::size_t chunk = 1 + data[0];
  proxy::ServerState state;
  state.publish(runtime());
  proxy::Worker worker(state);
  std::string written;
  std::string input = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  input.append(reinterpret_cast<const char*>(data + 1), size - 1);
  auto stream = std::make_unique<MemoryStream>(worker.ioc.get_executor(), std::move(input), chunk, written);
  net::co_spawn(worker.ioc, proxy::h2::run_server_session(worker, std::move(stream), "127.0.0.1", {}), net::detached);
  worker.ioc.run();
  // The first frame: 3 bytes of length, then type 0x4 (SETTINGS) on stream 0.
  FUZZ_CHECK(written.empty() || (written.size() >= 9 && written[3] == 0x04), printable(written.substr(0, 64)));
}

}  // namespace
}  // namespace jwt_sidecar::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  jwt_sidecar::proxy::Logger::instance().configure(jwt_sidecar::config::LogLevel::error, false);
  (void)jwt_sidecar::fuzz::runtime();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return jwt_sidecar::fuzz::guarded([&] { jwt_sidecar::fuzz::one_input(data, size); });
}
