#include "persist/rdb_save.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

#include "common/clock.h"
#include "common/logging.h"
#include "common/strutil.h"
#include "persist/snapshot.h"
#include "persist/status.h"
#include "server/server.h"

namespace basalt::persist {
namespace {

// Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failure, save points wait this
// long before trying again.
constexpr int64_t kRetryDelaySec = 5;

// Writes the image to a temporary file; on success fsyncs it and renames it
// over the dump. Buffers writes: pieces from command threads can be small.
class RdbFileSink : public SnapshotSink {
 public:
  RdbFileSink(server::Server& server, bool background) : server_(server), background_(background) {}

  bool Open(std::string* error) {
    dir_ = server_.config().dir();
    const std::string& dir = dir_;
    final_path_ = dir + "/" + server_.config().dbfilename();
    tmp_path_ = dir + "/temp-" + std::to_string(getpid()) + "-" +
                std::to_string(SystemClock().NowUs()) + ".rdb";
    fd_ = open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      *error = "Failed opening the temp RDB file " + tmp_path_ + " (in server root dir " + dir +
               ") for saving: " + strerror(errno);
      return false;
    }
    buf_.reserve(kBufBytes);
    return true;
  }

  bool Write(std::string_view bytes) override {
    if (buf_.size() + bytes.size() > kBufBytes && !Flush()) return false;
    if (bytes.size() >= kBufBytes) return WriteAll(bytes);
    buf_.append(bytes);
    return true;
  }

  void Done(bool ok, const std::string& error) override {
    std::string err = error;
    if (ok && !Flush()) ok = false, err = strerror(errno);
    if (ok && fsync(fd_) != 0) ok = false, err = strerror(errno);
    if (close(fd_) != 0 && ok) ok = false, err = strerror(errno);
    fd_ = -1;
    if (ok && rename(tmp_path_.c_str(), final_path_.c_str()) != 0) {
      ok = false;
      err = strerror(errno);
    }
    if (ok) {
      // The rename itself must survive a power loss too.
      int dfd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
      }
    } else {
      unlink(tmp_path_.c_str());
    }
    Finish(ok, err);
  }

  // The snapshot never started: just drop the temporary file.
  void Abandon() {
    close(fd_);
    fd_ = -1;
    unlink(tmp_path_.c_str());
  }

  bool ok() const { return ok_; }
  void set_dirty_at_t(uint64_t d) { dirty_at_t_ = d; }

 private:
  static constexpr size_t kBufBytes = 1 << 20;

  bool WriteAll(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  bool Flush() {
    bool ok = WriteAll(buf_);
    buf_.clear();
    return ok;
  }

  void Finish(bool ok, const std::string& err) {
    PersistStatus& st = Status(server_);
    int64_t now_ms = SystemClock().NowMs();
    if (ok) {
      st.dirty_at_last_save.store(dirty_at_t_);
      server_.lastsave_s.store(now_ms / 1000);
      st.last_bgsave_ok.store(true);
      st.rdb_saves.fetch_add(1);
      LOG_NOTICE(background_ ? "Background saving terminated with success" : "DB saved on disk");
    } else {
      LOG_WARNING("%s: %s", background_ ? "Background saving error" : "Error saving DB on disk",
                  err.c_str());
      // A failed SAVE leaves the background status alone, as in Redis.
      if (background_) st.last_bgsave_ok.store(false);
    }
    if (background_) {
      int64_t start = st.bgsave_start_ms.load();
      st.last_bgsave_time_sec.store((now_ms - start) / 1000);
      st.bgsave_in_progress.store(false);
    }
    ok_ = ok;
  }

  server::Server& server_;
  bool background_;
  std::string dir_, final_path_, tmp_path_;
  int fd_ = -1;
  std::string buf_;
  uint64_t dirty_at_t_ = 0;
  bool ok_ = false;
};

// The background sink lives until the next BGSAVE replaces it; the snapshot
// module guarantees the previous one finished first.
std::mutex g_bg_mu;
std::unique_ptr<RdbFileSink> g_bg_sink;

bool Start(server::Server& server, RdbFileSink* sink, bool background, std::string* error) {
  if (!sink->Open(error)) {
    LOG_WARNING("%s", error->c_str());
    if (background) {
      // Redis's child would have failed the same way after the fork: the
      // BGSAVE "started", and failed.
      PersistStatus& st = Status(server);
      st.last_bgsave_ok.store(false);
      st.last_bgsave_try_s.store(SystemClock().NowMs() / 1000);
      st.last_bgsave_time_sec.store(0);
      return true;
    }
    return false;
  }
  SnapshotOptions opt;
  opt.compress = server.config().rdbcompression.load();
  opt.checksum = server.config().rdbchecksum.load();
  opt.access_meta = true;
  PersistStatus& st = Status(server);
  opt.at_point_in_time = [&server, sink, background, &st] {
    // Every shard is locked: the dirty counter matches the snapshot exactly.
    sink->set_dirty_at_t(server.dirty());
    if (background) {
      st.bgsave_in_progress.store(true);
      st.bgsave_start_ms.store(SystemClock().NowMs());
      st.last_bgsave_try_s.store(SystemClock().NowMs() / 1000);
    }
  };
  if (!StartSnapshot(server, sink, std::move(opt), error)) {
    sink->Abandon();
    return false;
  }
  return true;
}

}  // namespace

rdb::LoadLimits LoadLimitsFor(server::Server& server) {
  server::Config& cfg = server.config();
  rdb::LoadLimits lim;
  lim.list_fill = static_cast<int>(cfg.list_max_listpack_size.load());
  lim.hash.max_entries =
      static_cast<size_t>(std::max<int64_t>(cfg.hash_max_listpack_entries.load(), 0));
  lim.hash.max_value =
      static_cast<size_t>(std::max<int64_t>(cfg.hash_max_listpack_value.load(), 0));
  lim.set_max_intset_entries =
      static_cast<size_t>(std::max<int64_t>(cfg.set_max_intset_entries.load(), 0));
  lim.zset.max_entries =
      static_cast<size_t>(std::max<int64_t>(cfg.zset_max_listpack_entries.load(), 0));
  lim.zset.max_value =
      static_cast<size_t>(std::max<int64_t>(cfg.zset_max_listpack_value.load(), 0));
  return lim;
}

bool SaveRdb(server::Server& server, std::string* error) {
  RdbFileSink sink(server, /*background=*/false);
  if (!Start(server, &sink, false, error)) return false;
  WaitForSnapshot();
  if (!sink.ok()) *error = "Error saving DB on disk";
  return sink.ok();
}

bool StartBgsave(server::Server& server, std::string* error) {
  std::lock_guard lock(g_bg_mu);
  if (SnapshotRunning()) {
    *error = "Background save already in progress";
    return false;
  }
  Status(server).bgsave_scheduled.store(false);
  g_bg_sink = std::make_unique<RdbFileSink>(server, /*background=*/true);
  LOG_NOTICE("Background saving started");
  return Start(server, g_bg_sink.get(), true, error);
}

std::vector<std::pair<int64_t, int64_t>> SavePoints(server::Server& server) {
  std::vector<std::pair<int64_t, int64_t>> out;
  std::string spec;
  if (!server.config().Get("save", &spec)) return out;
  std::vector<int64_t> nums;
  size_t pos = 0;
  while (pos < spec.size()) {
    size_t sp = spec.find(' ', pos);
    if (sp == std::string::npos) sp = spec.size();
    int64_t v;
    if (sp > pos && ParseInt64(std::string_view(spec).substr(pos, sp - pos), &v)) nums.push_back(v);
    pos = sp + 1;
  }
  for (size_t i = 0; i + 1 < nums.size(); i += 2) out.emplace_back(nums[i], nums[i + 1]);
  return out;
}

bool HasSavePoints(server::Server& server) { return !SavePoints(server).empty(); }

void RdbCron(server::Server& server, int64_t now_ms) {
  if (SnapshotRunning()) return;
  PersistStatus& st = Status(server);
  const int64_t now_s = now_ms / 1000;
  const bool may_retry =
      st.last_bgsave_ok.load() || now_s - st.last_bgsave_try_s.load() > kRetryDelaySec;
  if (!may_retry) return;
  bool start = st.bgsave_scheduled.load();
  if (!start) {
    uint64_t changes = ChangesSinceLastSave(server);
    int64_t since = now_s - server.lastsave_s.load();
    for (const auto& [seconds, min_changes] : SavePoints(server)) {
      if (changes >= static_cast<uint64_t>(min_changes) && since > seconds) {
        LOG_NOTICE("%d changes in %d seconds. Saving...", static_cast<int>(min_changes),
                   static_cast<int>(seconds));
        start = true;
        break;
      }
    }
  }
  if (!start) return;
  std::string error;
  if (!StartBgsave(server, &error)) LOG_WARNING("Can't save in background: %s", error.c_str());
}

}  // namespace basalt::persist
