// What the session fuzz targets share: a client connection from memory (reads hand out the
// input in fixed-size pieces, then EOF; writes are appended to a string the target inspects),
// and the Runtime built once from the target's config.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>

#include "config/loader.h"
#include "proxy/io/net.h"
#include "proxy/io/stream.h"
#include "proxy/keys/key_loading.h"
#include "proxy/runtime/runtime.h"
#include "tests/fuzz/fuzz_check.h"

namespace jwt_sidecar::fuzz {

using proxy::ByteStream;
using proxy::Deadline;
using proxy::IoResult;

class MemoryStream final : public ByteStream {
 public:
  // What the session writes goes to `sink`, which outlives the stream (the session owns it).
  MemoryStream(boost::asio::any_io_executor ex, std::string input, std::size_t chunk, std::string& sink)
      : input_(std::move(input)), chunk_(chunk), written_(sink), socket_(std::move(ex)) {}

  proxy::awaitable<IoResult> read_some(boost::asio::mutable_buffer buffer, Deadline) override {
    if (at_ >= input_.size()) co_return IoResult{boost::asio::error::eof, 0};
    const auto n = std::min({buffer.size(), chunk_, input_.size() - at_});
    std::memcpy(buffer.data(), input_.data() + at_, n);
    at_ += n;
    co_return IoResult{{}, n};
  }
  proxy::awaitable<IoResult> write(std::span<const boost::asio::const_buffer> buffers, Deadline) override {
    std::size_t total = 0;
    for (const auto& b : buffers) {
      written_.append(static_cast<const char*>(b.data()), b.size());
      total += b.size();
    }
    co_return IoResult{{}, total};
  }
  using ByteStream::write;
  proxy::awaitable<void> shutdown_send(Deadline) override { co_return; }
  proxy::awaitable<boost::system::error_code> handshake(Deadline) override { co_return boost::system::error_code{}; }
  proxy::tcp::socket& socket() override { return socket_; }
  bool is_tls() const override { return false; }

 private:
  std::string input_;
  std::size_t chunk_;
  std::size_t at_ = 0;
  std::string& written_;
  proxy::tcp::socket socket_;  // never opened
};

// The Runtime of `yaml` (which must load and compile), with its static keys loaded.
inline std::shared_ptr<const proxy::Runtime> build_runtime(const char* yaml) {
  auto loaded = config::load_config(yaml, "fuzz.yaml");
  FUZZ_CHECK(loaded.errors.empty() && loaded.config, "the fuzz config must load");
  std::vector<config::ConfigError> errors;
  auto built = proxy::build_runtime(std::move(*loaded.config), errors);
  FUZZ_CHECK(built != nullptr, "the fuzz config must compile");
  proxy::load_static_keys(*built, /*log=*/false);
  return built;
}

}  // namespace jwt_sidecar::fuzz
