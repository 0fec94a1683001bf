// Shared by the config tests: load YAML text and compare errors as "line:column: message".
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "config/loader.h"

namespace jwt_sidecar::config::test {

using Errors = std::vector<std::string>;

// Every error of `yaml`, in the order load_config() reports them; the file name is left out
// because it is the same in every test (ConfigError::to_string has its own test).
inline Errors errors_of(std::string_view yaml) {
  const auto result = load_config(yaml, "test.yaml");
  Errors errors;
  for (const auto& error : result.errors) {
    errors.push_back(std::to_string(error.mark.line) + ":" + std::to_string(error.mark.column) +
                     ": " + error.message);
  }
  CHECK(result.config.has_value() == errors.empty());
  return errors;
}

inline Config load_ok(std::string_view yaml) {
  auto result = load_config(yaml, "test.yaml");
  for (const auto& error : result.errors) UNSCOPED_INFO(error.to_string());
  REQUIRE(result.errors.empty());
  REQUIRE(result.config.has_value());
  return std::move(*result.config);
}

}  // namespace jwt_sidecar::config::test
