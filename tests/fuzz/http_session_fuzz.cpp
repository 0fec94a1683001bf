// A whole client byte stream fed to a real proxy session (proxy/session.cpp) over an
// in-memory ByteStream: the header reader, framing checks, routing, token decisions, error
// responses and pipelining all run as in production; only the socket is replaced. The first
// input byte sets how the rest is cut into reads (1..256 bytes each), so that every parser
// state meets a read boundary. Allowed requests go to an upstream on 127.0.0.1:1, which
// refuses: they end as 502.
//
// Invariants: no crash, leak, sanitizer report or hang (libFuzzer -timeout); whatever the
// session writes is a sequence of HTTP/1.1 responses (it starts with "HTTP/1.1 ").
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "config/loader.h"
#include "proxy/keys/key_loading.h"
#include "proxy/observability/log.h"
#include "proxy/io/net.h"
#include "proxy/runtime/runtime.h"
#include "proxy/http1/proxy_handler.h"
#include "proxy/http1/session.h"
#include "proxy/io/stream.h"
#include "proxy/http1/worker.h"
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
limits: {max_header_bytes: 4096, max_body_bytes: 1024, max_token_bytes: 2048}
providers:
  corp:
    issuer: https://idp.example.test
    audiences: [orders-api]
    jwks_file: )" JWT_SIDECAR_SOURCE_DIR R"(/config/examples/jwks.json
    token_from: [{header: Authorization}, {cookie: access_token}, {query: access_token}]
    forward_claims: {sub: x-user-id}
routes:
  - name: public
    match: {prefix: /public}
    auth: none
  - name: admin
    match: {path: /admin, host: api.example.test}
    auth: deny
  - name: maybe
    match: {prefix: /maybe, methods: [GET, HEAD]}
    auth: optional
  - name: orders
    match: {prefix: /orders}
    claims:
      scope: {all: [orders:read]}
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
  auto stream = std::make_unique<MemoryStream>(
      worker.ioc.get_executor(), std::string(reinterpret_cast<const char*>(data + 1), size - 1), chunk, written);
  net::co_spawn(worker.ioc, proxy::run_session(worker, std::move(stream), "127.0.0.1", proxy::handle_proxy_request, {},
                                                 std::chrono::milliseconds(0)),
                net::detached);
  worker.ioc.run();
  FUZZ_CHECK(written.empty() || written.starts_with("HTTP/1.1 "), printable(written));
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
