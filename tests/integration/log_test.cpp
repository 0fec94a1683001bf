// The access log against a reader that never reads: requests are answered all the same, and
// the lines that could not be written are counted, not waited for.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/fixture.h"

extern char** environ;

using namespace jwt_sidecar::testing;

TEST_CASE("a stalled stdout never stalls requests; dropped access lines are counted", "[integration][log]") {
  TempDir dir;
  UpstreamServer upstream;
  const auto port = free_port(), admin = free_port();
  const auto config = dir.write("stalled.yaml", "listen: 127.0.0.1:" + std::to_string(port) +
                                                    "\nadmin: 127.0.0.1:" + std::to_string(admin) +
                                                    "\nupstream: http://127.0.0.1:" + std::to_string(upstream.port()) +
                                                    "\nthreads: 1\nroutes:\n  - {name: all, match: {prefix: /}, auth: none}\n");
  // stdout is a pipe whose read end the test holds and never reads: after 64 KiB, every
  // write(2) to it would block.
  int out[2];
  REQUIRE(::pipe(out) == 0);
  const int devnull = ::open("/dev/null", O_WRONLY);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, devnull, 2);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  const std::string bin = binary_path();
  std::vector<char*> argv{const_cast<char*>(bin.c_str()), const_cast<char*>("--config"),
                          const_cast<char*>(config.c_str()), nullptr};
  pid_t pid = -1;
  REQUIRE(posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(devnull);
  struct Reaper {
    pid_t pid;
    int fd;
    ~Reaper() {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      ::close(fd);
    }
  } reaper{pid, out[0]};

  REQUIRE(eventually([&] {
    try {
      const auto r = http_request(admin, "GET", "/healthz");
      return r && r->status == 200;
    } catch (const std::exception&) {
      return false;  // not listening yet
    }
  }));
  // About 300 bytes of access log per request: far more than the pipe holds.
  RawClient client(port, std::chrono::seconds(5));
  const int kRequests = 8000;
  int answered = 0;
  for (int i = 0; i < kRequests; ++i) {
    if (!client.send("GET /x/" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\n\r\n")) break;
    const auto r = client.read_response();
    if (!r || r->status != 200) break;
    ++answered;
  }
  CHECK(answered == kRequests);
  CHECK(upstream.request_count() == static_cast<std::size_t>(kRequests));
  const auto dropped = metric(admin, "jwt_sidecar_access_log_dropped_total");
  REQUIRE(dropped);
  CHECK(*dropped > 0);
}
