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

}  // namespace jwt_sidecar::proxy::h2
