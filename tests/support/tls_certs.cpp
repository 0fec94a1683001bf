#include "tests/support/tls_certs.h"

#include <cstdint>
#include <filesystem>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "policies/openssl_ptr.h"
#include "tests/support/process.h"

namespace jwt_sidecar::testing {

namespace {

using policies::EvpPkeyPtr;
using policies::OpenSslDeleter;
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509_free>>;
using X509ExtPtr = std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free>>;

// Throws with OpenSSL's queued reasons, which also leaves the queue empty for the next caller.
[[noreturn]] void fail(const std::string& what) {
  std::string detail;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    detail += "; ";
    detail += buf;
  }
  throw std::runtime_error("tls_certs: " + what + detail);
}

void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

EvpPkeyPtr generate_p256_key() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EVP_EC_gen(P-256)");
  return key;
}

// A random positive serial: two certificates from one CA must never share one, and a fixed
// serial would make a re-generated CA look like the same issuer to a caching client.
void set_random_serial(X509* cert) {
  std::uint64_t serial = 0;
  check(RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) == 1, "RAND_bytes");
  serial = (serial >> 1) | 1;  // positive and non-zero
  check(ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert), serial) == 1, "ASN1_INTEGER_set_uint64");
}

void set_common_name(X509_NAME* name, const std::string& cn) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(cn.c_str());
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, bytes, -1, -1, 0) == 1, "X509_NAME_add_entry_by_txt");
}

// The fields every certificate here shares; the issuer name and extensions come after.
X509Ptr new_cert(EVP_PKEY* subject_key, const std::string& cn, CertValidity validity) {
  X509Ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), X509_VERSION_3) == 1, "X509_set_version");
  set_random_serial(cert.get());
  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), validity.not_before.count()) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), validity.not_after.count()) != nullptr, "notAfter");
  check(X509_set_pubkey(cert.get(), subject_key) == 1, "X509_set_pubkey");
  set_common_name(X509_get_subject_name(cert.get()), cn);
  return cert;
}

// Extensions are built from their openssl.cnf text form, so each reads like the config a
// human would write; the context gives AKI/SKI access to the issuer and subject.
void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx{};
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()));
  check(ext != nullptr, ("extension " + value).c_str());
  check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

void sign(X509* cert, EVP_PKEY* issuer_key) {
  check(X509_sign(cert, issuer_key, EVP_sha256()) > 0, "X509_sign");
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  check(size > 0 && data != nullptr, "BIO_get_mem_data");
  return std::string(data, static_cast<std::size_t>(size));
}

BioPtr memory_bio() {
  BioPtr bio(BIO_new(BIO_s_mem()));
  check(bio != nullptr, "BIO_new");
  return bio;
}

std::string cert_to_pem(X509* cert) {
  auto bio = memory_bio();
  check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  return bio_text(bio.get());
}

std::string key_to_pem(EVP_PKEY* key) {
  auto bio = memory_bio();
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  return bio_text(bio.get());
}

std::string subject_alt_names(const std::vector<std::string>& dns_names, const std::vector<std::string>& ips) {
  std::string san;
  for (const auto& d : dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + d;
  for (const auto& ip : ips) san += (san.empty() ? "IP:" : ",IP:") + ip;
  return san;
}

}  // namespace

struct TestCa::Impl {
  EvpPkeyPtr key;
  X509Ptr cert;
  std::string cert_pem;
};

TestCa::TestCa(const std::string& common_name, CertValidity validity) : impl_(std::make_unique<Impl>()) {
  impl_->key = generate_p256_key();
  impl_->cert = new_cert(impl_->key.get(), common_name, validity);
  X509* cert = impl_->cert.get();
  check(X509_set_issuer_name(cert, X509_get_subject_name(cert)) == 1, "X509_set_issuer_name");
  add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
  add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  // SKI first: the self-signed AKI is copied from it.
  add_ext(cert, cert, NID_subject_key_identifier, "hash");
  add_ext(cert, cert, NID_authority_key_identifier, "keyid:always");
  sign(cert, impl_->key.get());
  impl_->cert_pem = cert_to_pem(cert);
}

TestCa::~TestCa() = default;
TestCa::TestCa(TestCa&&) noexcept = default;
TestCa& TestCa::operator=(TestCa&&) noexcept = default;

const std::string& TestCa::cert_pem() const { return impl_->cert_pem; }

ServerCert TestCa::issue_server_cert(const std::vector<std::string>& dns_names,
                                     const std::vector<std::string>& ip_addresses, CertValidity validity) const {
  const std::string san = subject_alt_names(dns_names, ip_addresses);
  if (san.empty()) throw std::invalid_argument("tls_certs: a server certificate needs a DNS name or an IP");
  const std::string& cn = dns_names.empty() ? ip_addresses.front() : dns_names.front();
  auto key = generate_p256_key();
  X509Ptr cert = new_cert(key.get(), cn, validity);
  X509* ca = impl_->cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(ca)) == 1, "X509_set_issuer_name");
  add_ext(cert.get(), ca, NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), ca, NID_key_usage, "critical,digitalSignature");
  // Both purposes: the same kind of certificate serves a TLS server and an mTLS client.
  add_ext(cert.get(), ca, NID_ext_key_usage, "serverAuth,clientAuth");
  add_ext(cert.get(), ca, NID_subject_alt_name, san);
  add_ext(cert.get(), ca, NID_subject_key_identifier, "hash");
  add_ext(cert.get(), ca, NID_authority_key_identifier, "keyid:always");
  sign(cert.get(), impl_->key.get());

  ServerCert out;
  out.cert_pem = cert_to_pem(cert.get());
  out.chain_pem = out.cert_pem + impl_->cert_pem;
  out.key_pem = key_to_pem(key.get());
  return out;
}

ServerCert TestCa::issue_localhost_cert() const { return issue_server_cert({"localhost"}, {"127.0.0.1"}); }

CertFiles write_cert_files(const TempDir& dir, const TestCa& ca, const ServerCert& server) {
  CertFiles files;
  files.ca_file = dir.write("ca.pem", ca.cert_pem());
  files.cert_file = dir.write("server.pem", server.chain_pem);
  files.key_file = dir.write("server.key", server.key_pem);
  // Servers and linters alike object to a world-readable private key.
  std::filesystem::permissions(files.key_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace);
  for (const auto* path : {&files.ca_file, &files.cert_file, &files.key_file}) {
    if (std::filesystem::file_size(*path) == 0) throw std::runtime_error("tls_certs: cannot write " + *path);
  }
  return files;
}

}  // namespace jwt_sidecar::testing
