// A configured identity provider, compiled: verification options and its key store.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "policies/key_store.h"
#include "policies/verify.h"

namespace jwt_sidecar::policies {

// Whether two providers (of two configs) take their keys from the same place, so that the
// keys already loaded, and the key store holding them, carry over a reload.
bool same_key_source(const config::Provider& a, const config::Provider& b);

class Provider {
 public:
  // `keys`: the store of the same key source under the previous config, or null for a new one.
  Provider(config::Provider cfg, VerifyOptions options, std::shared_ptr<KeyStore> keys = nullptr)
      : cfg_(std::move(cfg)), options_(std::move(options)),
        keys_(keys ? std::move(keys) : std::make_shared<KeyStore>()) {}

  const std::string& name() const { return cfg_.name; }
  const std::string& issuer() const { return cfg_.issuer; }
  const config::Provider& config() const { return cfg_; }
  const VerifyOptions& options() const { return options_; }
  const std::vector<config::TokenSource>& token_from() const { return cfg_.token_from; }
  bool forward_token() const { return cfg_.forward_token; }
  // The store is filled by the key publisher while the provider itself stays immutable. It is
  // shared with the providers of later configs that keep the same key source, so a reload
  // keeps the keys fetched so far without copying them, and a fetch lands in every config
  // that still has requests in flight.
  KeyStore& keys() const { return *keys_; }
  const std::shared_ptr<KeyStore>& key_store() const { return keys_; }

 private:
  config::Provider cfg_;
  VerifyOptions options_;
  std::shared_ptr<KeyStore> keys_;
};

}  // namespace jwt_sidecar::policies
