// The HTTP/2 flood rules on their own, frame by frame (RFC 9113 frame type codes: DATA 0,
// HEADERS 1, PRIORITY 2, SETTINGS 4, PING 6, WINDOW_UPDATE 8, CONTINUATION 9; flag 0x1 is
// END_STREAM on DATA and HEADERS, ACK on SETTINGS and PING).
#include <catch2/catch.hpp>

#include "proxy/http2/flood_guard.h"

using jwt_sidecar::proxy::h2::FloodGuard;

namespace {
constexpr std::uint8_t kData = 0, kHeaders = 1, kPriority = 2, kSettings = 4, kPing = 6, kWindowUpdate = 8,
                       kContinuation = 9, kEndStream = 1, kAck = 1;
}

TEST_CASE("flood guard: control frames spend a budget that useful frames refill", "[h2][flood]") {
  FloodGuard g(16384, 100);
  for (std::uint64_t i = 0; i < FloodGuard::kControlBurst; ++i) {
    const std::uint8_t type = i % 4 == 0 ? kPing : i % 4 == 1 ? kSettings : i % 4 == 2 ? kPriority : kWindowUpdate;
    REQUIRE(g.frame_begins(type, 0, 8).empty());
  }
  CHECK(g.frame_begins(kPing, 0, 8) == "control_frame_flood");
  // ACKs and non-empty DATA are free; a HEADERS frame buys two more control frames.
  FloodGuard h(16384, 100);
  for (std::uint64_t i = 0; i < FloodGuard::kControlBurst; ++i) REQUIRE(h.frame_begins(kPing, 0, 8).empty());
  CHECK(h.frame_begins(kPing, kAck, 8).empty());
  CHECK(h.frame_begins(kSettings, kAck, 0).empty());
  CHECK(h.frame_begins(kHeaders, 0, 100).empty());
  CHECK(h.frame_begins(kData, 0, 0).empty());
  CHECK(h.frame_begins(kData, 0, 0).empty());
  CHECK(h.frame_begins(kData, 0, 0) == "control_frame_flood");  // empty DATA without END_STREAM
  FloodGuard d(16384, 100);
  for (std::uint64_t i = 0; i < FloodGuard::kControlBurst; ++i) REQUIRE(d.frame_begins(kWindowUpdate, 0, 4).empty());
  d.data_sent();  // the proxy's own DATA refills it too (+2)
  CHECK(d.frame_begins(kData, kEndStream, 0).empty());  // an empty DATA that ends a stream is useful (+2)
  for (int i = 0; i < 4; ++i) CHECK(d.frame_begins(kWindowUpdate, 0, 4).empty());
  CHECK(d.frame_begins(kWindowUpdate, 0, 4) == "control_frame_flood");
}

TEST_CASE("flood guard: a header block of too many or too large CONTINUATION frames", "[h2][flood]") {
  FloodGuard g(16384, 100);
  REQUIRE(g.frame_begins(kHeaders, 0, 10).empty());
  for (std::uint32_t i = 0; i < FloodGuard::kMaxContinuations; ++i) REQUIRE(g.frame_begins(kContinuation, 0, 10).empty());
  CHECK(g.frame_begins(kContinuation, 0, 10) == "continuation_flood");
  // A new header block starts the count again.
  FloodGuard h(16384, 100);
  for (int block = 0; block < 3; ++block) {
    REQUIRE(h.frame_begins(kHeaders, 0, 10).empty());
    for (std::uint32_t i = 0; i < FloodGuard::kMaxContinuations; ++i) REQUIRE(h.frame_begins(kContinuation, 0, 10).empty());
  }
  // Bytes: twice the header limit plus 16 KiB, however few frames carry them.
  FloodGuard b(1000, 100);
  REQUIRE(b.frame_begins(kHeaders, 0, 16384).empty());
  REQUIRE(b.frame_begins(kContinuation, 0, 2000).empty());  // 18,384 = 2 * 1000 + 16,384
  CHECK(b.frame_begins(kContinuation, 0, 1) == "continuation_flood");
}

TEST_CASE("flood guard: rapid reset needs both the floor and half of the streams", "[h2][flood]") {
  FloodGuard g(16384, 100);
  for (int i = 0; i < 99; ++i) {
    g.stream_opened();
    REQUIRE(g.stream_reset(true).empty());
  }
  g.stream_opened();
  CHECK(g.stream_reset(true) == "rapid_reset");  // the 100th premature reset of 100 streams
  // Resets after the response ended are not premature, and a connection whose resets are under
  // half of its streams is a busy client, not an attacker.
  FloodGuard busy(16384, 100);
  for (int i = 0; i < 1000; ++i) {
    busy.stream_opened();
    busy.stream_opened();
    busy.stream_opened();
    REQUIRE(busy.stream_reset(i % 2 == 0).empty());
  }
  // The floor follows max_concurrent_streams when it is above 100.
  FloodGuard wide(16384, 500);
  for (int i = 0; i < 499; ++i) {
    wide.stream_opened();
    REQUIRE(wide.stream_reset(true).empty());
  }
  wide.stream_opened();
  CHECK(wide.stream_reset(true) == "rapid_reset");
}
