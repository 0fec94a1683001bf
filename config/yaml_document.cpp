#include "config/yaml_document.h"

#include <yaml-cpp/eventhandler.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace jwt_sidecar::config::detail {
namespace {

// Records where documents start and nothing else.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;

  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Counts documents with a bounded loop. yaml-cpp 0.7 can report a document without consuming
// any input when the stream starts with a token no node can begin with (a leading ','), so
// YAML::LoadAll() loops forever and YAML::Load() returns an empty document. A document that
// starts where the previous one did is that case, and a syntax error.
bool check_documents(const std::string& text, YamlReader& reader) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentStarts handler;
  while (handler.starts.size() < 2 && parser.HandleNextDocument(handler)) {
  }
  if (handler.starts.size() < 2) return true;
  const auto& second = handler.starts[1];
  if (second.pos == handler.starts[0].pos) {
    const auto pos = static_cast<std::size_t>(second.pos);
    const std::string token = pos < text.size() ? " '" + text.substr(pos, 1) + "'" : "";
    reader.error(reader.mark(second), "YAML syntax error: unexpected" + token);
  } else {
    reader.error(reader.mark(second),
                 "a config file holds one YAML document; this is a second one");
  }
  return false;
}

}  // namespace

std::optional<YAML::Node> parse_document(std::string_view text, YamlReader& reader) {
  const std::string copy(text);
  try {
    if (!check_documents(copy, reader)) return std::nullopt;
    return YAML::Load(copy);
  } catch (const YAML::Exception& e) {
    reader.error(reader.mark(e.mark), "YAML syntax error: " + e.msg);
    return std::nullopt;
  }
}

std::optional<std::string> read_file_text(const std::string& path, std::size_t max_bytes, std::string& problem) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    problem = "is a directory";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problem = std::string("cannot open: ") + std::strerror(errno);
    return std::nullopt;
  }
  // Read as it comes, never more than one byte past the limit: a buffer of the limit's size
  // up front would cost a list reader 64 MiB of memory for a 1 MiB file.
  std::string text;
  char chunk[64 * 1024];
  while (text.size() <= max_bytes && in.read(chunk, sizeof chunk).gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) {
    problem = "cannot read the file";
    return std::nullopt;
  }
  if (text.size() > max_bytes) {
    problem = "the file is larger than " + std::to_string(max_bytes >> 20) + " MiB";
    return std::nullopt;
  }
  return text;
}

}  // namespace jwt_sidecar::config::detail
