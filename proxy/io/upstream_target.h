// An upstream as the config names it, compiled: where to connect and how (TLS).
#pragma once

#include <memory>
#include <string>

#include "proxy/io/stream.h"

namespace jwt_sidecar::proxy {

// Where to connect. Names are resolved when a connection is opened, not at startup: in
// Kubernetes a Service name may not resolve yet when the sidecar starts.
struct UpstreamTarget {
  std::string key;   // "host:port", "h2c://host:port" or "https://host:port#N", also the pool key
  std::string host;
  std::string port;
  std::shared_ptr<SslContext> tls;  // https:// only
  std::string server_name;           // https://: SNI and the certificate name
  bool h2 = false;                   // h2c://: HTTP/2 with prior knowledge (proxy/http2's client)
};

}  // namespace jwt_sidecar::proxy
