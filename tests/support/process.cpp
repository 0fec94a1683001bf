#include "tests/support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>


namespace jwt_sidecar::testing {

Process::Process(const std::string& binary, const std::vector<std::string>& args, LineFilter keep,
                 const std::vector<std::string>& extra_env)
    : keep_(std::move(keep)) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  std::vector<std::string> argv_store{binary};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store(extra_env);
  std::vector<char*> envp;
  // `extra_env` replaces an inherited variable of the same name (getenv takes the first).
  const auto overridden = [&](std::string_view entry) {
    const auto name = entry.substr(0, entry.find('=') + 1);
    return std::any_of(env_store.begin(), env_store.end(), [&](const std::string& e) { return e.rfind(name, 0) == 0; });
  };
  for (char** e = environ; *e != nullptr; ++e) {
    if (!overridden(*e)) envp.push_back(*e);
  }
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Only async-signal-safe calls until exec (the test process has threads). The child dies
    // with the test process, however that ends (a crash or a ctest timeout included).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(out[1], 1);
    dup2(err[1], 2);
    // The test process holds listening sockets (upstreams, JWKS servers) without CLOEXEC; a
    // child inheriting them would keep them open after the test closes them.
    close_range(3, ~0U, 0);
    ::signal(SIGPIPE, SIG_DFL);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
  reader_ = std::thread([this] { pump(); });
}

Process::~Process() {
  if (running()) {
    kill(pid_, SIGKILL);
    wait(std::chrono::seconds(10));
  }
  if (reader_.joinable()) reader_.join();  // ends at EOF on both pipes
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

void Process::pump() {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const auto n = read(fds[i].fd, buf, sizeof buf);
      std::lock_guard lock(mu_);
      if (n <= 0) {
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      if (i == 1) {
        err_buf_.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      out_buf_.append(buf, static_cast<std::size_t>(n));
      std::size_t start = 0, nl;
      while ((nl = out_buf_.find('\n', start)) != std::string::npos) {
        const std::string_view line(out_buf_.data() + start, nl - start);
        if (!keep_ || keep_(line)) lines_.emplace_back(line);
        start = nl + 1;
      }
      out_buf_.erase(0, start);
    }
    cv_.notify_all();
  }
  std::lock_guard lock(mu_);
  eof_ = true;
  cv_.notify_all();
}

void Process::drain_output() {
  std::lock_guard lock(mu_);
  snapshot_ = lines_;
}

std::optional<std::string> Process::wait_for_line(const std::string& needle,
                                                  std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    for (; consumed_lines_ < lines_.size(); ++consumed_lines_) {
      if (lines_[consumed_lines_].find(needle) != std::string::npos) {
        snapshot_ = lines_;
        return lines_[consumed_lines_++];
      }
    }
    if (eof_) break;
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) break;
  }
  snapshot_ = lines_;
  return std::nullopt;
}

std::string Process::stderr_text() {
  std::lock_guard lock(mu_);
  return err_buf_;
}

bool Process::running() {
  if (exited_ || pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exited_ = true;
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

int Process::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    // The pipes close when the child exits: waiting on them is the wait between checks.
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(20));
  }
  // The child is gone; let the reader take what is left in the pipes, so that output
  // written just before exit is in stdout_lines() and stderr_text().
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::seconds(5), [this] { return eof_; });
  return status_;
}

void Process::signal(int signo) {
  if (running()) kill(pid_, signo);
}

int Process::stop(int signo, std::chrono::milliseconds timeout) {
  if (running()) kill(pid_, signo);
  return wait(timeout);
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/jwt-sidecar-it-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  const auto p = path_ + "/" + name;
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

ProxyProcess::ProxyProcess(const std::string& yaml, const std::vector<std::string>& extra_env) {
  char tmpl[] = "/tmp/jwt-sidecar-proxy-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
  dir_ = tmpl;
  config_path_ = dir_ + "/config.yaml";
  std::ofstream(config_path_) << yaml;
  process_ = std::make_unique<Process>(binary_path(), std::vector<std::string>{"--config", config_path_},
                                       Process::LineFilter{}, extra_env);
  const auto line = process_->wait_for_line("\"msg\":\"listening\"");
  if (!line) {
    throw std::runtime_error("jwt-sidecar did not start: " + process_->stderr_text());
  }
  auto port_after = [&](const std::string& key) -> std::uint16_t {
    const auto at = line->find("\"" + key + "\":\"");
    if (at == std::string::npos) return 0;
    const auto colon = line->find("\"", at + key.size() + 4);
    const auto value = line->substr(at + key.size() + 4, colon - at - key.size() - 4);
    const auto p = value.rfind(':');
    return p == std::string::npos ? 0 : static_cast<std::uint16_t>(std::stoi(value.substr(p + 1)));
  };
  port_ = port_after("address");
  admin_port_ = port_after("admin");
  auth_port_ = port_after("auth_service");
}

ProxyProcess::~ProxyProcess() {
  process_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::uint16_t free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("free_port");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

std::string binary_path() { return JWT_SIDECAR_BINARY; }
std::string test_data(const std::string& relative) { return std::string(JWT_SIDECAR_TEST_DATA) + "/" + relative; }

}  // namespace jwt_sidecar::testing
