#include "tests/support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace jwt_sidecar::testing {

Process::Process(const std::string& binary, const std::vector<std::string>& args) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  // The test process holds listening sockets (upstreams, JWKS servers) without CLOEXEC; a
  // child inheriting them would keep them open after the test closes them.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  std::vector<std::string> argv_store{binary};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
  if (rc != 0) throw std::runtime_error("posix_spawn " + binary + " failed");
  fcntl(out_fd_, F_SETFL, O_NONBLOCK);
  fcntl(err_fd_, F_SETFL, O_NONBLOCK);
}

Process::~Process() {
  if (running()) {
    kill(pid_, SIGKILL);
    wait(std::chrono::seconds(10));
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

bool Process::read_some(int fd, std::string& buffer, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char buf[65536];
  const auto n = read(fd, buf, sizeof buf);
  if (n <= 0) return false;
  buffer.append(buf, static_cast<std::size_t>(n));
  return true;
}

void Process::drain_output() {
  while (read_some(out_fd_, out_buf_, std::chrono::milliseconds(0))) {
  }
  while (read_some(err_fd_, err_buf_, std::chrono::milliseconds(0))) {
  }
  std::size_t nl;
  while ((nl = out_buf_.find('\n')) != std::string::npos) {
    lines_.push_back(out_buf_.substr(0, nl));
    out_buf_.erase(0, nl + 1);
  }
}

std::optional<std::string> Process::wait_for_line(const std::string& needle,
                                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    drain_output();
    for (; consumed_lines_ < lines_.size(); ++consumed_lines_) {
      if (lines_[consumed_lines_].find(needle) != std::string::npos) return lines_[consumed_lines_++];
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 100))) < 0) return std::nullopt;
    if ((p.revents & POLLHUP) && !(p.revents & POLLIN)) {
      drain_output();
      for (; consumed_lines_ < lines_.size(); ++consumed_lines_) {
        if (lines_[consumed_lines_].find(needle) != std::string::npos) return lines_[consumed_lines_++];
      }
      return std::nullopt;
    }
  }
}

std::string Process::stderr_text() {
  drain_output();
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
    drain_output();
    // Polling the pipes doubles as the wait between checks.
    pollfd p{out_fd_, POLLIN, 0};
    poll(&p, 1, 20);
  }
  drain_output();
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

ProxyProcess::ProxyProcess(const std::string& yaml) {
  char tmpl[] = "/tmp/jwt-sidecar-proxy-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
  dir_ = tmpl;
  config_path_ = dir_ + "/config.yaml";
  std::ofstream(config_path_) << yaml;
  process_ = std::make_unique<Process>(binary_path(), std::vector<std::string>{"--config", config_path_});
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
}

ProxyProcess::~ProxyProcess() {
  process_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string binary_path() { return JWT_SIDECAR_BINARY; }
std::string test_data(const std::string& relative) { return std::string(JWT_SIDECAR_TEST_DATA) + "/" + relative; }

}  // namespace jwt_sidecar::testing
