// Faults around the proxy, signals under load: SIGHUP reloads and SIGTERM drains while
// keep-alive clients keep sending; no request fails or is lost.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "tests/integration/faults_support.h"
#include "tests/integration/fixture.h"
#include "tests/support/jwks_server.h"

using namespace jwt_sidecar::testing;
using namespace jwt_sidecar::testing::faults;
using jwt_sidecar::policies::Algorithm;

// ---------------------------------------------------------------------------------------------
// Signals under load
// ---------------------------------------------------------------------------------------------

namespace {

// Keep-alive clients on their own threads, each cycling through requests whose answers are
// known, until stopped. Every unexpected answer is recorded.
class Load {
 public:
  Load(std::uint16_t port, std::string token_value, int threads) : port_(port), token_(std::move(token_value)) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this, i] { run(i); });
  }
  ~Load() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  std::size_t answered() const { return answered_; }
  std::size_t forwarded() const { return forwarded_; }
  std::size_t lost() const { return lost_; }
  std::size_t refused() const { return refused_; }
  std::vector<std::string> problems() const {
    std::lock_guard lock(mu_);
    return problems_;
  }
  bool wait_answered(std::size_t n) const {
    return eventually([&] { return answered_ >= n; }, std::chrono::seconds(20));
  }

 private:
  struct Step {
    std::string request;
    int status;
  };

  void run(int id) {
    const std::vector<Step> steps = {
        {get("/orders/" + std::to_string(id), token_), 200},
        {"GET /orders/1 HTTP/1.1\r\nHost: x\r\n\r\n", 401},
        {"GET /public/p HTTP/1.1\r\nHost: x\r\n\r\n", 200},
        {get("/admin/a", token_), 403},
        {get("/orders/1", token(R"("scope":"other")")), 403},
        {"POST /public/body HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody", 200},
    };
    std::unique_ptr<RawClient> c;
    for (std::size_t i = 0; !stop_; ++i) {
      if (!c) {
        try {
          c = std::make_unique<RawClient>(port_);
        } catch (const std::exception&) {
          ++refused_;  // the listener is closed: a draining proxy
          return;
        }
      }
      const auto& step = steps[i % steps.size()];
      const auto r = c->send(step.request) ? c->read_response() : std::nullopt;
      if (!r) {
        ++lost_;  // a keep-alive connection closed before the request was read
        c.reset();
        continue;
      }
      ++answered_;
      if (step.status == 200) ++forwarded_;
      if (r->status != step.status) {
        std::lock_guard lock(mu_);
        problems_.push_back("got " + std::to_string(r->status) + " for " + step.request.substr(0, 30));
      }
      if (r->header("Connection") == "close") c.reset();
    }
  }

  std::uint16_t port_;
  std::string token_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> answered_{0}, forwarded_{0}, lost_{0}, refused_{0};
  mutable std::mutex mu_;
  std::vector<std::string> problems_;
};

void rewrite(const std::string& path, const std::string& yaml) {
  const auto tmp = path + ".new";
  std::ofstream(tmp, std::ios::binary) << yaml;
  REQUIRE(std::rename(tmp.c_str(), path.c_str()) == 0);
}

}  // namespace

TEST_CASE("faults: SIGHUP reloads under load fail no request", "[integration][faults][reload]") {
  FaultFixture f;
  Load load(f.port(), token(), 4);
  REQUIRE(load.wait_answered(50));
  for (int i = 0; i < 5; ++i) {
    const auto before = load.answered();
    f.proxy.process().signal(SIGHUP);
    const auto line = f.proxy.process().wait_for_line("config reloaded");
    REQUIRE(line);
    CHECK(line->find("\"trigger\":\"SIGHUP\"") != std::string::npos);
    REQUIRE(load.wait_answered(before + 50));  // load went on across the reload
  }
  // A reload that changes the routes, under the same load.
  rewrite(f.proxy.config_path(),
          fault_config(f.upstream.port(), f.jwks_path) + "  - name: fresh\n    match: {prefix: /fresh}\n    auth: none\n");
  f.proxy.process().signal(SIGHUP);
  REQUIRE(f.proxy.process().wait_for_line("config reloaded"));
  CHECK(http_request(f.port(), "GET", "/fresh/1")->status == 200);
  const auto before = load.answered();
  REQUIRE(load.wait_answered(before + 50));
  load.stop();
  for (const auto& p : load.problems()) FAIL_CHECK(p);
  CHECK(load.lost() == 0);
  CHECK(load.refused() == 0);
  CHECK(f.upstream.request_count() == load.forwarded() + 1);
  CHECK(metric_or_zero(f.admin(), "jwt_sidecar_config_reloads_total{result=\"success\"}") == 6);
  CHECK(metric_or_zero(f.admin(), "jwt_sidecar_config_reloads_total{result=\"failure\"}") == 0);
}

TEST_CASE("faults: SIGTERM under load completes every request in flight, then refuses and exits 0",
          "[integration][faults][drain]") {
  FaultFixture f;
  const auto t = token();
  // An upload whose body is half sent, and three requests waiting at the upstream.
  RawClient upload(f.port());
  REQUIRE(upload.send("POST /orders/upload HTTP/1.1\r\nHost: x\r\nAuthorization: " + bearer(t) +
                      "\r\nContent-Length: 200000\r\n\r\n" + std::string(100000, 'a')));
  REQUIRE(eventually([&] { return f.upstream.connections_accepted() >= 1; }));
  Load load(f.port(), t, 3);
  REQUIRE(load.wait_answered(30));
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 3; ++i) {
    slow.push_back(std::make_unique<RawClient>(f.port()));
    REQUIRE(slow.back()->send(get("/slow?ms=1500", t)));
  }
  auto slow_at_upstream = [&] {
    std::size_t n = 0;
    for (const auto& s : f.upstream.requests()) n += s.target == "/slow?ms=1500";
    return n;
  };
  REQUIRE(eventually([&] { return slow_at_upstream() == 3; }));  // each now waits 1.5 s there

  f.proxy.process().signal(SIGTERM);
  REQUIRE(f.proxy.process().wait_for_line("\"msg\":\"draining\""));
  // New connections are refused once the listener has closed (at once after "draining").
  CHECK(eventually([&] {
    try {
      RawClient probe(f.port());
      return false;
    } catch (const std::exception&) {
      return true;
    }
  }, std::chrono::seconds(2)));
  REQUIRE(upload.send(std::string(100000, 'b')));
  auto r = upload.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("Connection") == "close");
  upload.shutdown_write();  // the proxy waits for the client's side to close as well
  for (auto& c : slow) {
    r = c->read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("Connection") == "close");
    c->shutdown_write();
  }
  CHECK(f.proxy.process().wait(std::chrono::seconds(20)) == 0);
  load.stop();
  for (const auto& p : load.problems()) FAIL_CHECK(p);
  CHECK(load.refused() == 3);  // each load client ended on a refused connection
  const auto seen = f.upstream.requests();
  const auto uploaded = std::find_if(seen.begin(), seen.end(), [](const SeenRequest& s) { return s.target == "/orders/upload"; });
  REQUIRE(uploaded != seen.end());
  CHECK(uploaded->body_bytes == 200000);
  CHECK(slow_at_upstream() == 3);
  const auto drained = f.proxy.process().wait_for_line("\"msg\":\"drained\"", std::chrono::seconds(1));
  REQUIRE(drained);
  CHECK(drained->find("\"connections_left\":0") != std::string::npos);
}
