#include "proxy/runtime/clock.h"
#include "proxy/observability/admin.h"

#include "proxy/observability/metrics.h"

namespace jwt_sidecar::proxy {
namespace {

http::response<http::string_body> answer(const http::request<http::string_body>& req,
                                         const Runtime& rt, bool draining) {
  http::response<http::string_body> res{http::status::ok, req.version()};
  res.keep_alive(req.keep_alive());
  const auto path = req.target().substr(0, req.target().find('?'));
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    res.result(http::status::method_not_allowed);
    res.set(http::field::allow, "GET, HEAD");
    res.set(http::field::content_type, "application/json");
    res.body() = R"({"error":"method_not_allowed"})" "\n";
  } else if (path == "/healthz") {
    res.set(http::field::content_type, "application/json");
    res.body() = R"({"status":"ok"})" "\n";
  } else if (path == "/readyz") {
    // Draining: not ready, so that a load balancer still polling stops sending new requests.
    const bool ready = rt.engine->ready() && !draining;
    res.result(ready ? http::status::ok : http::status::service_unavailable);
    res.set(http::field::content_type, "application/json");
    std::string body = ready      ? R"({"status":"ready","providers":{)"
                       : draining ? R"({"status":"draining","providers":{)"
                                  : R"({"status":"not_ready","providers":{)";
    bool first = true;
    for (const auto& p : rt.engine->providers()) {
      if (!first) body += ',';
      first = false;
      body += '"' + p->name() + "\":" + (p->keys().loaded() ? "\"ready\"" : "\"no_keys\"");
    }
    body += '}';
    if (const auto& rev = rt.engine->authenticator().revocation()) {
      body += R"(,"revocation":{)";
      for (std::size_t i = 0; i < rev->source_count(); ++i) {
        if (i) body += ',';
        // Stale (down longer than max_stale) does not make the process unready: every replica
        // shares the source, and taking them all out of service would answer no better.
        const auto max_stale = std::chrono::duration_cast<std::chrono::seconds>(rt.config.revocation->max_stale);
        const char* state = rev->synced_at(i) < 0                              ? "\"not_read\""
                            : rev->stale(i, unix_seconds(), max_stale.count()) ? "\"stale\""
                                                                               : "\"ready\"";
        body += '"' + rev->source_name(i) + "\":" + state;
      }
      body += '}';
    }
    res.body() = body + "}\n";
  } else if (path == "/metrics") {
    std::vector<Metrics::ProviderGauge> gauges;
    for (const auto& p : rt.engine->providers()) {
      const auto keys = p->keys().current();
      const auto updated = p->keys().updated_ms();
      const double age = updated > 0 ? static_cast<double>(unix_ms() - updated) / 1000.0 : -1;
      gauges.push_back({p->name(), keys ? keys->size() : 0, age});
    }
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    std::vector<Metrics::RevocationGauge> revocation;
    if (const auto& rev = rt.engine->authenticator().revocation()) {
      const auto now = unix_seconds();
      for (std::size_t i = 0; i < rev->source_count(); ++i) {
        const auto synced = rev->synced_at(i);
        revocation.push_back({rev->source_name(i), rev->entries(i), synced >= 0 ? static_cast<double>(now - synced) : -1});
      }
    }
    res.body() = Metrics::instance().render(gauges, revocation);
  } else {
    res.result(http::status::not_found);
    res.set(http::field::content_type, "application/json");
    res.body() = R"({"error":"not_found"})" "\n";
  }
  res.prepare_payload();
  if (req.method() == http::verb::head) res.body().clear();
  return res;
}

}  // namespace

awaitable<void> run_admin_session(ServerState& state, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  while (true) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(8192);
    parser.body_limit(4096);
    stream.expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (ec) break;
    const auto rt = state.runtime.load();
    auto res = answer(parser.get(), *rt, state.draining.load());
    const bool keep = res.keep_alive();
    auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
    if (wec || !keep) break;
  }
  error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace jwt_sidecar::proxy
