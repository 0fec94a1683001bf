// A certificate authority generated at test time, and server certificates it signs, for
// HTTPS tests (the JWKS server, a TLS upstream). Nothing here is ever read from disk: each
// test process makes its own CA, so no test depends on the machine's trust store and no key
// ever lands in the repository. Keys are EC P-256; certificates are X.509 v3 with SHA-256.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace jwt_sidecar::testing {

class TempDir;

// Offsets from now. The defaults (now-1h .. now+1d) leave room for clock skew; tests of an
// expired or not-yet-valid certificate move them.
struct CertValidity {
  std::chrono::seconds not_before{-std::chrono::hours(1)};
  std::chrono::seconds not_after{std::chrono::hours(24)};
};

// What a TLS server needs, in PEM.
struct ServerCert {
  std::string cert_pem;   // the leaf certificate alone
  std::string chain_pem;  // the leaf followed by its issuing CA certificate
  std::string key_pem;    // the leaf's private key, PKCS#8, unencrypted
};

// A self-signed CA: basicConstraints CA:TRUE (critical), keyUsage keyCertSign and cRLSign.
class TestCa {
 public:
  explicit TestCa(const std::string& common_name = "jwt-sidecar test CA", CertValidity validity = {});
  ~TestCa();
  TestCa(TestCa&&) noexcept;
  TestCa& operator=(TestCa&&) noexcept;

  const std::string& cert_pem() const;

  // A server certificate whose subjectAltName lists `dns_names` (DNS:) and `ip_addresses`
  // (IP:, v4 or v6 text form), with extendedKeyUsage serverAuth. Its CN is the first name.
  ServerCert issue_server_cert(const std::vector<std::string>& dns_names,
                               const std::vector<std::string>& ip_addresses = {},
                               CertValidity validity = {}) const;

  // issue_server_cert({"localhost"}, {"127.0.0.1"}): what a loopback test server presents.
  ServerCert issue_localhost_cert() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Paths of the files written by write_cert_files.
struct CertFiles {
  std::string ca_file;    // ca.pem: the CA certificate (a provider's `ca_file`)
  std::string cert_file;  // server.pem: the chain
  std::string key_file;   // server.key: the private key, mode 0600
};

CertFiles write_cert_files(const TempDir& dir, const TestCa& ca, const ServerCert& server);

}  // namespace jwt_sidecar::testing
