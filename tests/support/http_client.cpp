#include "tests/support/http_client.h"

#include "common/ascii.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace jwt_sidecar::testing {
namespace {


}  // namespace

std::string Response::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (common::equals_ignore_case(n, name)) return v;
  }
  return "";
}

std::size_t Response::count(std::string_view name) const {
  return static_cast<std::size_t>(std::count_if(headers.begin(), headers.end(),
                                                [&](const auto& h) { return common::equals_ignore_case(h.first, name); }));
}

RawClient::RawClient(std::uint16_t port, std::chrono::milliseconds timeout) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket");
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd_);
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
  }
}

RawClient::~RawClient() {
  if (fd_ >= 0) close(fd_);
}

bool RawClient::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void RawClient::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

bool RawClient::fill() {
  char buf[65536];
  while (true) {
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      buffer_.append(buf, static_cast<std::size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

std::string RawClient::read_exact(std::size_t n) {
  while (buffer_.size() < n) {
    if (!fill()) return "";
  }
  auto out = buffer_.substr(0, n);
  buffer_.erase(0, n);
  return out;
}

bool RawClient::read_line(std::string& line) {
  std::size_t nl;
  while ((nl = buffer_.find("\r\n")) == std::string::npos) {
    if (!fill()) return false;
  }
  line = buffer_.substr(0, nl);
  buffer_.erase(0, nl + 2);
  return true;
}

std::optional<Response> RawClient::read_response(bool head_request) {
  Response r;
  std::string line;
  do {
    if (!read_line(line)) return std::nullopt;
    if (line.size() < 12 || line.rfind("HTTP/1.", 0) != 0) return std::nullopt;
    r.status = std::stoi(line.substr(9, 3));
    r.headers.clear();
    while (true) {
      if (!read_line(line)) return std::nullopt;
      if (line.empty()) break;
      const auto colon = line.find(':');
      if (colon == std::string::npos) return std::nullopt;
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      r.headers.emplace_back(line.substr(0, colon), value);
    }
  } while (r.status >= 100 && r.status < 200 && r.status != 101);

  if (head_request || r.status == 204 || r.status == 304 || r.status == 101) return r;
  if (common::equals_ignore_case(r.header("Transfer-Encoding"), "chunked")) {
    while (true) {
      if (!read_line(line)) return std::nullopt;
      const auto size = std::stoul(line.substr(0, line.find(';')), nullptr, 16);
      while (buffer_.size() < size + 2) {
        if (!fill()) return std::nullopt;
      }
      r.body.append(buffer_, 0, size);
      buffer_.erase(0, size + 2);
      if (size == 0) break;
    }
    return r;
  }
  if (const auto cl = r.header("Content-Length"); !cl.empty()) {
    const auto size = std::stoull(cl);
    while (buffer_.size() < size) {
      if (!fill()) return std::nullopt;
    }
    r.body = buffer_.substr(0, size);
    buffer_.erase(0, size);
    return r;
  }
  while (fill()) {
  }
  r.body = std::move(buffer_);
  buffer_.clear();
  return r;
}

bool RawClient::closed_by_peer(std::chrono::milliseconds wait) {
  timeval tv{static_cast<time_t>(wait.count() / 1000), static_cast<suseconds_t>((wait.count() % 1000) * 1000)};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  while (true) {
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
  }
}

std::optional<Response> http_request(std::uint16_t port, std::string_view method, std::string_view target,
                                     const std::vector<std::pair<std::string, std::string>>& headers,
                                     std::string_view body) {
  RawClient client(port);
  std::string req = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [n, v] : headers) req += n + ": " + v + "\r\n";
  if (!body.empty()) req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "Connection: close\r\n\r\n";
  req += body;
  if (!client.send(req)) return std::nullopt;
  return client.read_response(method == "HEAD");
}

}  // namespace jwt_sidecar::testing
