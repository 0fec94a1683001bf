#include "tests/support/redis_server.h"

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace jwt_sidecar::testing {
namespace {

constexpr const char* kServer = "/usr/bin/redis-server";
constexpr const char* kCli = "/usr/bin/redis-cli";

}  // namespace

bool redis_available() { return access(kServer, X_OK) == 0 && access(kCli, X_OK) == 0; }

RedisServer::RedisServer(RedisOptions options) : options_(std::move(options)) {
  char tmpl[] = "/tmp/jwt-sidecar-redis-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
  dir_ = tmpl;
  port_ = free_port();
  std::ofstream conf(dir_ + "/redis.conf");
  conf << "bind 127.0.0.1\n"
       << "protected-mode no\n"
       << "daemonize no\n"
       << "save \"\"\nappendonly no\n"
       << "dir " << dir_ << "\n"
       << "logfile \"\"\n";
  if (options_.tls_cert_file.empty()) {
    conf << "port " << port_ << "\n";
  } else {
    conf << "port 0\ntls-port " << port_ << "\ntls-cert-file " << options_.tls_cert_file << "\ntls-key-file "
         << options_.tls_key_file << "\ntls-auth-clients no\n";
  }
  if (!options_.username.empty()) {
    conf << "user default off\nuser " << options_.username << " on >" << options_.password << " ~* &* +@all\n";
  } else if (!options_.password.empty()) {
    conf << "requirepass " << options_.password << "\n";
  }
  if (!options_.keyspace_events.empty()) conf << "notify-keyspace-events " << options_.keyspace_events << "\n";
  conf.close();
  start();
}

RedisServer::~RedisServer() {
  process_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string RedisServer::url() const {
  return options_.tls_cert_file.empty() ? "redis://127.0.0.1:" + std::to_string(port_) + "/0"
                                        : "rediss://localhost:" + std::to_string(port_) + "/0";
}

void RedisServer::start() {
  process_ = std::make_unique<Process>(kServer, std::vector<std::string>{dir_ + "/redis.conf"});
  if (!process_->wait_for_line("Ready to accept connections")) {
    const auto err = process_->stderr_text();
    process_.reset();
    throw std::runtime_error("redis-server did not start: " + err);
  }
}

void RedisServer::kill() {
  if (process_) process_->stop(SIGKILL);
  process_.reset();
}

std::vector<std::string> RedisServer::cli(const std::vector<std::string>& args, const std::string& ca_file) const {
  std::vector<std::string> argv{"-h", options_.tls_cert_file.empty() ? "127.0.0.1" : "localhost", "-p",
                                std::to_string(port_), "--no-auth-warning"};
  if (!options_.tls_cert_file.empty()) argv.insert(argv.end(), {"--tls", "--cacert", ca_file});
  if (!options_.username.empty()) argv.insert(argv.end(), {"--user", options_.username});
  if (!options_.password.empty()) argv.insert(argv.end(), {"--pass", options_.password});
  argv.insert(argv.end(), args.begin(), args.end());
  Process p(kCli, argv);
  p.wait(std::chrono::seconds(10));
  p.drain_output();
  return p.stdout_lines();
}

}  // namespace jwt_sidecar::testing
