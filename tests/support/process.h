// Starts the real jwt-sidecar binary for integration tests, reads its log lines, and stops it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <string_view>
#include <cstdint>
#include <mutex>
#include <thread>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace jwt_sidecar::testing {

class Process {
 public:
  // Sees each stdout line first (on the reader thread); the line is kept for wait_for_line()
  // and stdout_lines() only when it returns true. A long run (the soak test) counts its access
  // lines this way instead of keeping millions of them.
  using LineFilter = std::function<bool(std::string_view line)>;

  // Starts `binary args...` with stdout and stderr captured through pipes, in this process's
  // environment plus `extra_env` ("NAME=value" each).
  Process(const std::string& binary, const std::vector<std::string>& args, LineFilter keep = {},
          const std::vector<std::string>& extra_env = {});
  ~Process();  // SIGKILL if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // The next stdout line containing `needle`, waiting at most `timeout`; every line read is
  // kept in stdout_lines(). nullopt on timeout or EOF.
  std::optional<std::string> wait_for_line(const std::string& needle,
                                           std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Refreshes stdout_lines() with everything read so far.
  void drain_output();
  // A copy taken at the last drain_output() or wait_for_line().
  const std::vector<std::string>& stdout_lines() const { return snapshot_; }
  std::string stderr_text();

  // SIGTERM (or another signal) and wait for exit; returns the exit status, or -1 on timeout.
  int stop(int signo, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void signal(int signo);
  // Waits for exit without signalling.
  int wait(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }
  bool running();

 private:
  // A thread drains both pipes all the time: a child blocked on a full pipe would stall.
  void pump();
  LineFilter keep_;
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string out_buf_, err_buf_;
  std::vector<std::string> lines_;
  std::vector<std::string> snapshot_;
  bool eof_ = false;
  std::size_t consumed_lines_ = 0;
  int status_ = -1;
  bool exited_ = false;
};

// A proxy process started from a YAML config written to a temporary file.
class ProxyProcess {
 public:
  explicit ProxyProcess(const std::string& yaml, const std::vector<std::string>& extra_env = {});
  ~ProxyProcess();
  std::uint16_t port() const { return port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  std::uint16_t auth_port() const { return auth_port_; }  // 0 without auth_service
  Process& process() { return *process_; }
  const std::string& config_path() const { return config_path_; }

 private:
  std::string dir_, config_path_;
  std::unique_ptr<Process> process_;
  std::uint16_t port_ = 0, admin_port_ = 0, auth_port_ = 0;
};

// A temporary directory removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

std::string binary_path();  // JWT_SIDECAR_BINARY
// A port that was free on 127.0.0.1 a moment ago, for servers that must know their port
// before they start (an OpenID provider's issuer URL contains it).
std::uint16_t free_port();
std::string test_data(const std::string& relative);

}  // namespace jwt_sidecar::testing
