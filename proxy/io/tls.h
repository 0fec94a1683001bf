// OpenSSL contexts for the listener (`tls:`) and for clients (https:// upstreams, IdPs). TLS 1.2 or newer
// only; certificate and key problems come back as messages, never as exceptions.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "proxy/io/stream.h"

namespace jwt_sidecar::proxy {

// The listener's context: certificate chain and private key from PEM files, checked to match.
// ALPN (RFC 7301) answers "http/1.1", or "h2" on a connection made with offer_h2 (stream.h).
std::shared_ptr<SslContext> make_server_tls(const config::TlsFiles& files, std::string& error);
// The SSL ex_data slot that marks a server connection as offering h2.
int alpn_h2_index();

// The one client context builder, for https:// upstreams and for IdPs (JWKS, discovery):
// the system CA bundle plus `ca_file`, and the client certificate when `cert_file`/`key_file`
// are set. On failure `where` (when given) points at the key whose file was bad.
std::shared_ptr<SslContext> make_client_tls(const config::ClientTls& tls, std::string& error,
                                            const config::Mark** where = nullptr);

// An https:// upstream's context offers ALPN "h2" and "http/1.1"; the upstream chooses.
void offer_h2_alpn(SslContext& context);
// The bytes of the listener's certificate and key files, to notice when either changes.
std::string read_tls_files(const config::TlsFiles& files);

}  // namespace jwt_sidecar::proxy
