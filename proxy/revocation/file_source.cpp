// The file source: a YAML list (a ConfigMap in Kubernetes), re-read when it changes (checked
// once a second; a ConfigMap update swaps a symlink, which changes the inode) and on SIGHUP. A
// file that cannot be read or parsed keeps the previous list and says where the problem is.
#include <sys/stat.h>

#include "config/revocation_list.h"
#include "proxy/observability/log.h"
#include "proxy/observability/metrics.h"
#include "proxy/revocation/list_source.h"
#include "proxy/runtime/clock.h"

namespace jwt_sidecar::proxy {
namespace {

struct FileStamp {
  bool exists = false;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  timespec mtime{};
  bool operator==(const FileStamp& o) const {
    return exists == o.exists && dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
           mtime.tv_nsec == o.mtime.tv_nsec;
  }
};

FileStamp stamp_of(const std::string& path) {
  struct stat st {};
  FileStamp s;
  if (::stat(path.c_str(), &st) != 0) return s;
  s.exists = true;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = st.st_size;
  s.mtime = st.st_mtim;
  return s;
}

class FileSource : public ListSource, public std::enable_shared_from_this<FileSource> {
 public:
  FileSource(net::io_context& ioc, std::string path, std::shared_ptr<policies::Revocation> state, std::size_t index)
      : timer_(ioc), path_(std::move(path)), state_(std::move(state)), index_(index) {}

  void start() override {
    check(true);
    schedule();
  }
  void reread() override { check(true); }
  void stop() override {
    stopped_ = true;
    timer_.cancel();
  }

 private:
  void schedule() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (ec || self->stopped_) return;
      self->check(false);
      self->schedule();
    });
  }

  void check(bool force) {
    const auto stamp = stamp_of(path_);
    if (!force && stamp == applied_) {
      if (last_ok_) state_->mark_synced(index_, unix_seconds());
      return;
    }
    applied_ = stamp;
    auto list = config::load_revocation_file(path_);
    if (!list.errors.empty()) {
      fail(list.errors);
      return;
    }
    const auto snapshot = std::make_shared<const policies::RevocationSnapshot>(list.entries);
    state_->publish(index_, snapshot, unix_seconds());
    state_->set_live(index_, true, unix_seconds());
    last_ok_ = true;
    log_info("revocation list read", {{"source", "file"}, {"file", path_}, {"entries", snapshot->size()}});
  }

  void fail(const std::vector<config::ConfigError>& errors) {
    last_ok_ = false;
    Metrics::instance().revocation_sync_failure("file");
    std::string all;
    for (std::size_t i = 0; i < errors.size() && i < 5; ++i) all += (i ? "; " : "") + errors[i].to_string();
    if (errors.size() > 5) all += "; and " + std::to_string(errors.size() - 5) + " more";
    const bool have_list = state_->synced_at(index_) >= 0;
    log_error(have_list ? "revocation file rejected; the previous list still applies"
                        : "revocation file rejected; authenticated routes answer 503 until it can be read",
              {{"source", "file"}, {"file", path_}, {"errors", errors.size()}, {"error", all}});
  }

  net::steady_timer timer_;
  std::string path_;
  std::shared_ptr<policies::Revocation> state_;
  std::size_t index_;
  FileStamp applied_;
  bool last_ok_ = false;
  bool stopped_ = false;
};

}  // namespace

std::shared_ptr<ListSource> make_file_source(net::io_context& ioc, std::string path,
                                             std::shared_ptr<policies::Revocation> state, std::size_t index) {
  return std::make_shared<FileSource>(ioc, std::move(path), std::move(state), index);
}

}  // namespace jwt_sidecar::proxy
