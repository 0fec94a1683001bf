// Real HTTP/2 clients and servers for the integration tests: curl, nghttp, and the Python
// tools under tests/support/h2/ (a gRPC server and client on python3-grpcio, a raw HTTP/2
// attacker on python3-h2), each run as a child process and read from its stdout.
#pragma once

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace jwt_sidecar::testing {

struct ToolResult {
  int exit_code = -1;
  std::string output;  // stdout, lines joined with '\n'
};

inline ToolResult run_tool(const std::string& binary, const std::vector<std::string>& args,
                           std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  // http_proxy and friends would send curl and grpc elsewhere.
  Process p(binary, args, {}, {"http_proxy=", "https_proxy=", "HTTP_PROXY=", "HTTPS_PROXY=", "no_proxy=*",
                               "grpc_proxy="});
  ToolResult r;
  r.exit_code = p.wait(timeout);
  p.drain_output();
  for (const auto& line : p.stdout_lines()) r.output += line + "\n";
  return r;
}

inline std::string h2c_url(std::uint16_t port, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(port) + path;
}

struct CurlH2 {
  int exit_code = -1;
  int status = 0;
  std::string version;  // "2", "1.1"
  std::string output;
};

inline CurlH2 curl_result(const ToolResult& t) {
  CurlH2 r;
  r.exit_code = t.exit_code;
  r.output = t.output;
  const auto at = t.output.rfind("STATUS ");
  if (at != std::string::npos) {
    const auto line = t.output.substr(at + 7);
    const auto space = line.find(' ');
    r.version = line.substr(0, space);
    r.status = std::atoi(line.c_str() + space + 1);
  }
  return r;
}

// curl --http2-prior-knowledge; the body goes to stdout unless `extra` says otherwise.
inline CurlH2 curl_h2(std::uint16_t port, const std::string& path, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"-sS", "--http2-prior-knowledge", "--max-time", "20"};
  bool has_w = false;
  for (std::size_t i = 0; i + 1 < extra.size(); ++i) {
    if (extra[i] == "-w") {
      extra[i + 1] += "\nSTATUS %{http_version} %{http_code}\n";  // the caller's, then ours
      has_w = true;
    }
  }
  args.insert(args.end(), extra.begin(), extra.end());
  if (!has_w) args.insert(args.end(), {"-w", "\nSTATUS %{http_version} %{http_code}\n"});
  args.push_back(h2c_url(port, path));
  return curl_result(run_tool("/usr/bin/curl", args));
}

// curl over TLS to the listener (certificate for "localhost", trusted through `ca_file`).
inline CurlH2 curl_tls(std::uint16_t port, const std::string& ca_file, const std::string& path,
                       std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"-sS", "-o", "/dev/null", "--max-time", "20", "--cacert", ca_file,
                                   "--resolve", "localhost:" + std::to_string(port) + ":127.0.0.1", "-w",
                                   "\nSTATUS %{http_version} %{http_code}\n"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("https://localhost:" + std::to_string(port) + path);
  return curl_result(run_tool("/usr/bin/curl", args));
}

inline std::string h2_tool(const std::string& name) { return test_data("../support/h2/" + name); }

// A Python test server from tests/support/h2/ on a free port: it prints "listening PORT",
// then lines the test counts.
class ToolServer {
 public:
  explicit ToolServer(const std::string& script, std::vector<std::string> args = {})
      : process_("/usr/bin/python3", with_script(script, std::move(args))) {
    const auto line = process_.wait_for_line("listening ");
    if (line) port_ = static_cast<std::uint16_t>(std::stoi(line->substr(line->find("listening ") + 10)));
  }
  ~ToolServer() { process_.stop(15); }
  std::uint16_t port() const { return port_; }
  // Lines exactly equal to `line` seen so far.
  std::size_t count(const std::string& line) {
    process_.drain_output();
    std::size_t n = 0;
    for (const auto& l : process_.stdout_lines()) n += l == line;
    return n;
  }
  // Waits (up to 10 s) until `line` has been seen `n` times; returns how often it was seen. The
  // server prints before it answers, but the test reads its output on another thread: a line
  // printed before an answer may be read after it.
  std::size_t count_when(const std::string& line, std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::size_t seen = count(line);
    while (seen < n && std::chrono::steady_clock::now() < deadline) {
      process_.wait_for_line(line, std::chrono::milliseconds(100));
      seen = count(line);
    }
    return seen;
  }
  // Calls of `method` ("Unary", "Bidi", ...) the gRPC server has seen so far.
  std::size_t calls(const std::string& method) { return count("rpc " + method); }
  bool saw_line(const std::string& text) {
    process_.drain_output();
    for (const auto& l : process_.stdout_lines()) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }
  Process& process() { return process_; }

 private:
  static std::vector<std::string> with_script(const std::string& script, std::vector<std::string> args) {
    args.insert(args.begin(), {h2_tool(script), "--port", "0"});
    return args;
  }
  Process process_;
  std::uint16_t port_ = 0;
};

// tests/support/h2/grpc_server.py: "rpc METHOD" for every call that reached it.
struct GrpcServer : ToolServer {
  GrpcServer() : ToolServer("grpc_server.py") {}
};

// One call by the Python gRPC client; its JSON answer line.
inline std::string grpc_call(std::uint16_t port, const std::string& call, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {h2_tool("grpc_client.py"), "--target", "127.0.0.1:" + std::to_string(port), "--call",
                                   call};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_tool("/usr/bin/python3", args, std::chrono::seconds(120)).output;
}

// One attack by the raw HTTP/2 client; its JSON report line.
inline std::string h2_attack(std::uint16_t port, const std::string& attack, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {h2_tool("h2_attack.py"), "--port", std::to_string(port), "--attack", attack};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_tool("/usr/bin/python3", args, std::chrono::seconds(60)).output;
}

inline bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

// Resident memory of a process, in KiB (VmRSS), or 0.
inline long rss_kib(int pid) {
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
  if (!f) return 0;
  char line[256];
  long kib = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
  }
  std::fclose(f);
  return kib;
}

}  // namespace jwt_sidecar::testing
