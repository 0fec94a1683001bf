// The flood rules of one HTTP/2 client connection. Each returns the reason (the label of
// jwt_sidecar_h2_flood_goaways_total) when a frame makes the connection a flood, which the
// session answers with GOAWAY ENHANCE_YOUR_CALM; an empty view otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace jwt_sidecar::proxy::h2 {

class FloodGuard {
 public:
  // Frames that carry no request or data (SETTINGS, PING, PRIORITY, WINDOW_UPDATE, empty DATA)
  // spend a budget that starts here and grows by 2 per useful frame either way; a client that
  // runs it out is flooding (CVE-2019-9512/9515/9518 class).
  static constexpr std::uint64_t kControlBurst = 1000;
  // A header block of more CONTINUATION frames than this is a flood (CVE-2024-27316): a real
  // client needs one or two at the largest header list we accept.
  static constexpr std::uint32_t kMaxContinuations = 16;

  FloodGuard(std::size_t max_header_bytes, std::uint32_t max_concurrent_streams)
      : max_header_bytes_(max_header_bytes), max_concurrent_streams_(max_concurrent_streams) {}

  // A frame's header has arrived (RFC 9113 4.1: its type, flags and payload length).
  std::string_view frame_begins(std::uint8_t type, std::uint8_t flags, std::size_t length);
  void stream_opened() { ++streams_opened_; }
  // The client reset a stream; `premature`: before its response ended, so the work was wasted
  // (CVE-2023-44487, rapid reset): a connection made mostly of those is an attack.
  std::string_view stream_reset(bool premature);
  void data_sent() { control_budget_ += 2; }

 private:
  std::size_t max_header_bytes_;
  std::uint32_t max_concurrent_streams_;
  std::uint64_t control_budget_ = kControlBurst;
  std::uint32_t continuation_frames_ = 0;  // of the header block being received
  std::uint64_t header_block_bytes_ = 0;
  std::uint64_t streams_opened_ = 0;
  std::uint64_t premature_resets_ = 0;
};

}  // namespace jwt_sidecar::proxy::h2
