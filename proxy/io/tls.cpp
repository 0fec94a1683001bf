#include "proxy/io/tls.h"

#include <fstream>
#include <iterator>

#include <boost/asio/ssl.hpp>

namespace jwt_sidecar::proxy {
namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2 suites with forward secrecy and AEAD only (the "intermediate" profile of Mozilla's
// server-side TLS guidelines, version 5); TLS 1.3 suites are OpenSSL's defaults.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

void harden(ssl::context& ctx, bool tls13_only) {
  error_code ec;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression,
                  ec);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), tls13_only ? TLS1_3_VERSION : TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(ctx.native_handle(), kTls12Ciphers);
}

// The server's ALPN choice (RFC 7301 3.2): the first of ours the client offers - "h2" only on
// connections marked by offer_h2() (the proxy listener with http2 on). A client that offers
// only protocols we do not speak gets no ALPN answer, and HTTP/1.1 as before.
int select_protocol(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                    unsigned inlen, void*) {
  static constexpr unsigned char kWithH2[] = "\x02h2\x08http/1.1";
  static constexpr unsigned char kHttp1[] = "\x08http/1.1";
  const bool h2 = SSL_get_ex_data(ssl, alpn_h2_index()) != nullptr;
  unsigned char* chosen = nullptr;
  const auto rv = h2 ? SSL_select_next_proto(&chosen, outlen, kWithH2, sizeof kWithH2 - 1, in, inlen)
                     : SSL_select_next_proto(&chosen, outlen, kHttp1, sizeof kHttp1 - 1, in, inlen);
  if (rv != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

std::string describe(const std::string& what, const std::string& file, const error_code& ec) {
  return "cannot load " + what + " " + file + ": " + ec.message();
}

}  // namespace

void offer_h2_alpn(SslContext& context) {
  static constexpr unsigned char kProtocols[] = "\x02h2\x08http/1.1";
  SSL_CTX_set_alpn_protos(context.native_handle(), kProtocols, sizeof kProtocols - 1);
}

int alpn_h2_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

std::shared_ptr<SslContext> make_server_tls(const config::TlsFiles& files, std::string& error) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  harden(*ctx, files.min_version == "1.3");
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  error_code ec;
  ctx->use_certificate_chain_file(files.cert_file, ec);
  if (ec) {
    error = describe("cert_file", files.cert_file, ec);
    return nullptr;
  }
  ctx->use_private_key_file(files.key_file, ssl::context::pem, ec);
  if (ec) {
    error = describe("key_file", files.key_file, ec);
    return nullptr;
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    error = "key_file " + files.key_file + " does not match the certificate in " + files.cert_file;
    return nullptr;
  }
  SSL_CTX_set_alpn_select_cb(ctx->native_handle(), select_protocol, nullptr);
  return ctx;
}

std::shared_ptr<SslContext> make_client_tls(const config::ClientTls& tls, std::string& error,
                                              const config::Mark** where) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  harden(*ctx, false);
  error_code ec;
  ctx->set_default_verify_paths(ec);
  if (!tls.ca_file.empty()) {
    ctx->load_verify_file(tls.ca_file, ec);
    if (ec) {
      error = describe("ca_file", tls.ca_file, ec);
      if (where) *where = &tls.ca_mark;
      return nullptr;
    }
  }
  if (!tls.cert_file.empty()) {
    ctx->use_certificate_chain_file(tls.cert_file, ec);
    if (ec) {
      error = describe("cert_file", tls.cert_file, ec);
      if (where) *where = &tls.cert_mark;
      return nullptr;
    }
    ctx->use_private_key_file(tls.key_file, ssl::context::pem, ec);
    if (ec || SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      error = ec ? describe("key_file", tls.key_file, ec)
                 : "key_file " + tls.key_file + " does not match the certificate in " + tls.cert_file;
      if (where) *where = &tls.key_mark;
      return nullptr;
    }
  }
  return ctx;
}

std::string read_tls_files(const config::TlsFiles& files) {
  std::string out;
  for (const auto* path : {&files.cert_file, &files.key_file}) {
    std::ifstream in(*path, std::ios::binary);
    out.append(std::istreambuf_iterator<char>(in), {});
    out.push_back('\0');
  }
  return out;
}

}  // namespace jwt_sidecar::proxy
