#include "proxy/http2/flood_guard.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>

namespace jwt_sidecar::proxy::h2 {

std::string_view FloodGuard::frame_begins(std::uint8_t type, std::uint8_t flags, std::size_t length) {
  const bool ack = (flags & NGHTTP2_FLAG_ACK) != 0;
  switch (type) {
    case NGHTTP2_HEADERS:
      continuation_frames_ = 0;
      header_block_bytes_ = length;
      control_budget_ += 2;
      return {};
    case NGHTTP2_CONTINUATION:
      header_block_bytes_ += length;
      if (++continuation_frames_ > kMaxContinuations || header_block_bytes_ > 2 * max_header_bytes_ + 16384) {
        return "continuation_flood";
      }
      return {};
    case NGHTTP2_DATA:
      if (length > 0 || (flags & NGHTTP2_FLAG_END_STREAM)) {
        control_budget_ += 2;
        return {};
      }
      break;  // empty DATA that does not end the stream
    case NGHTTP2_SETTINGS:
    case NGHTTP2_PING:
      if (ack) return {};
      break;
    case NGHTTP2_PRIORITY:
    case NGHTTP2_WINDOW_UPDATE:
      break;
    default:
      return {};
  }
  if (control_budget_ == 0) return "control_frame_flood";
  --control_budget_;
  return {};
}

std::string_view FloodGuard::stream_reset(bool premature) {
  if (premature) ++premature_resets_;
  const auto floor = std::max<std::uint64_t>(100, max_concurrent_streams_);
  if (premature_resets_ >= floor && premature_resets_ * 2 >= streams_opened_) return "rapid_reset";
  return {};
}

}  // namespace jwt_sidecar::proxy::h2
