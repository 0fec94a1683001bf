// Fuzz target: config::load_config (YAML text -> Config, config/loader.h), then
// policies::PolicyEngine::compile on what it accepted (routes, providers, inline key sets), as
// `jwt-sidecar check-config` does.
//
// The input is the YAML text. Checked on every input:
//  - nothing throws out of load_config or compile (loader.h promises no throw for bad input);
//  - a config is returned exactly when there are no errors;
//  - every error names the file, has a 1-based line and column inside the text, and a
//    message, and to_string() is "file:line:column: message"; errors are in file order;
//  - compile() returns an engine exactly when it added no errors, and its errors have a
//    position in the text too.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "config/loader.h"
#include "policies/engine.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using jwt_sidecar::config::ConfigError;
using jwt_sidecar::fuzz::printable;

constexpr const char* kFile = "fuzz.yaml";

// Upper bounds for a position in `text`, generous on purpose: yaml-cpp counts lines at '\n',
// and may also at '\r' or the Unicode line breaks (NEL, LS, PS); a mark may sit one past the
// end of the text.
struct Bounds {
  int lines = 1;
  int columns = 1;
};

Bounds bounds(std::string_view text) {
  Bounds b;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n' || c == '\r' || c == 0x85 || c == 0xe2) ++b.lines;
  }
  // yaml-cpp counts columns in its own UTF-8 copy of the text, where each byte that is not
  // valid UTF-8 became U+FFFD (3 bytes): a column can exceed the line's length in bytes.
  b.lines += 1;
  b.columns = 3 * static_cast<int>(text.size()) + 2;
  return b;
}

void check_error(const ConfigError& e, const Bounds& b, const char* stage) {
  const std::string what = std::string(stage) + " error \"" + printable(e.to_string()) + "\"";
  FUZZ_CHECK(e.mark.file == kFile, what);
  FUZZ_CHECK(e.mark.line >= 1 && e.mark.column >= 1, "no position: " + what);
  FUZZ_CHECK(e.mark.line <= b.lines && e.mark.column <= b.columns,
             "position outside the text (" + std::to_string(b.lines) + " lines): " + what);
  FUZZ_CHECK(!e.message.empty(), what);
  const std::string prefix = std::string(kFile) + ":" + std::to_string(e.mark.line) + ":" +
                             std::to_string(e.mark.column) + ": ";
  FUZZ_CHECK(e.to_string() == prefix + e.message, what);
}

void one_input(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = jwt_sidecar::config::load_config(text, kFile);
  FUZZ_CHECK(result.config.has_value() == result.errors.empty(),
             std::to_string(result.errors.size()) + " errors, config " +
                 (result.config ? "set" : "unset"));
  const Bounds b = bounds(text);
  for (std::size_t i = 0; i < result.errors.size(); ++i) {
    check_error(result.errors[i], b, "load_config");
    if (i > 0) {
      const auto& p = result.errors[i - 1].mark;
      const auto& q = result.errors[i].mark;
      FUZZ_CHECK(p.line < q.line || (p.line == q.line && p.column <= q.column),
                 "errors out of file order");
    }
  }
  if (!result.config) return;
  FUZZ_CHECK(result.config->file == kFile);
  FUZZ_CHECK(result.config->threads <= 1024, "threads " + std::to_string(result.config->threads));

  std::vector<ConfigError> errors;
  const auto engine = jwt_sidecar::policies::PolicyEngine::compile(*result.config, errors);
  FUZZ_CHECK((engine != nullptr) == errors.empty(),
             std::to_string(errors.size()) + " compile errors, engine " +
                 (engine ? "set" : "unset"));
  for (const auto& e : errors) check_error(e, b, "compile");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return jwt_sidecar::fuzz::guarded([&] { one_input(data, size); });
}
