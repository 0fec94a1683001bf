// Header fields as nghttp2 takes them. nghttp2 copies the fields when a frame is submitted, so
// the array only lives for the submit call. Included by proxy/http2's .cpp files only.
#pragma once

#include <vector>

#include <nghttp2/nghttp2.h>

#include "proxy/http2/stream.h"

namespace jwt_sidecar::proxy::h2 {

inline nghttp2_nv nv_of(const std::string& name, const std::string& value) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

inline std::vector<nghttp2_nv> make_nv(const std::vector<Field>& fields) {
  std::vector<nghttp2_nv> out;
  out.reserve(fields.size());
  for (const auto& f : fields) out.push_back(nv_of(f.name, f.value));
  return out;
}

// Appends the frames nghttp2 has ready, until about `max` bytes: one write for many frames.
inline void take_output(nghttp2_session* session, std::string& out, std::size_t max) {
  while (out.size() < max) {
    const std::uint8_t* data = nullptr;
    const auto n = nghttp2_session_mem_send(session, &data);
    if (n <= 0) break;
    out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  }
}

// A DATA source over one direction's pipe (nghttp2_data_source_read_callback's work): copies
// what is buffered, says EOF once the pipe ended and drained - submitting its trailers, if
// any, so that they end the stream - and defers while it is empty. `n` gets the bytes copied.
inline ssize_t read_pipe(nghttp2_session* session, std::int32_t id, Pipe& pipe, std::uint8_t* buf,
                         std::size_t length, std::uint32_t* flags, std::size_t& n) {
  n = pipe.take(buf, length);
  if (pipe.size == 0 && pipe.ended) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (!pipe.trailers.empty()) {
      const auto nva = make_nv(pipe.trailers);
      if (nghttp2_submit_trailer(session, id, nva.data(), nva.size()) == 0) *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    }
    return static_cast<ssize_t>(n);
  }
  if (n == 0) return NGHTTP2_ERR_DEFERRED;
  return static_cast<ssize_t>(n);
}

}  // namespace jwt_sidecar::proxy::h2
