#include "proxy/revocation/sources.h"

#include "proxy/revocation/list_source.h"
#include "proxy/runtime/runtime.h"

namespace jwt_sidecar::proxy {

RevocationSources::~RevocationSources() { stop(); }

void RevocationSources::adopt(const Runtime& runtime) {
  const auto& next = runtime.engine->authenticator().revocation();
  if (next == state_) return;
  stop();
  state_ = next;
  if (!state_) return;
  const auto& cfg = *runtime.config.revocation;
  // The slots were made in this order by the Authenticator: "file" first, then "redis".
  for (std::size_t i = 0; i < state_->source_count(); ++i) {
    if (state_->source_name(i) == "file") {
      sources_.push_back(make_file_source(control_, *cfg.file, state_, i));
    } else {
      sources_.push_back(make_redis_source(control_, *cfg.redis, state_, i));
    }
    sources_.back()->start();
  }
}

void RevocationSources::reread() {
  for (auto& s : sources_) s->reread();
}

void RevocationSources::stop() {
  for (auto& s : sources_) s->stop();
  sources_.clear();
}

}  // namespace jwt_sidecar::proxy
