// A configured identity provider, compiled: verification options and its key store.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "policies/key_store.h"
#include "policies/verify.h"

namespace jwt_sidecar::policies {

class Provider {
 public:
  Provider(config::Provider cfg, VerifyOptions options)
      : cfg_(std::move(cfg)), options_(std::move(options)) {}

  const std::string& name() const { return cfg_.name; }
  const std::string& issuer() const { return cfg_.issuer; }
  const config::Provider& config() const { return cfg_; }
  const VerifyOptions& options() const { return options_; }
  const std::vector<config::TokenSource>& token_from() const { return cfg_.token_from; }
  bool forward_token() const { return cfg_.forward_token; }
  // The store is filled by loaders and fetchers while the provider itself stays immutable.
  KeyStore& keys() const { return keys_; }

 private:
  config::Provider cfg_;
  VerifyOptions options_;
  mutable KeyStore keys_;
};

}  // namespace jwt_sidecar::policies
