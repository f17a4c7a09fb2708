#include "persist/aof.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "common/clock.h"
#include "common/logging.h"
#include "common/strutil.h"
#include "db/keyspace.h"
#include "persist/aof_loader.h"
#include "persist/aof_rewrite.h"
#include "persist/crc64.h"
#include "persist/rdb_reader.h"
#include "persist/rdb_save.h"
#include "persist/rdb_writer.h"
#include "persist/snapshot.h"
#include "persist/status.h"
#include "server/client.h"
#include "server/server.h"

namespace basalt::persist {
namespace {

thread_local uint64_t t_last_ticket = 0;

// Under everysec/no the writer wakes every kBatchMs, or when kWakeBytes wait.
constexpr int kBatchMs = 2;
constexpr size_t kWakeBytes = 1 << 20;
std::atomic<Aof*> g_aof{nullptr};
std::mutex g_aof_mu;

int64_t NowMs() { return SystemClock().NowMs(); }

void AppendHeader(std::string* out, char c, size_t n) {
  out->push_back(c);
  out->append(Int64ToString(static_cast<int64_t>(n)));
  out->append("\r\n");
}

void AppendBulk(std::string* out, std::string_view s) {
  AppendHeader(out, '$', s.size());
  out->append(s);
  out->append("\r\n");
}

void AppendSelectCmd(std::string* out, int db) { AppendSelect(out, db); }

void AppendSimpleCmd(std::string* out, std::string_view name) {
  AppendHeader(out, '*', 1);
  AppendBulk(out, name);
}

// errno of a failed write (ENOSPC for a write of 0 bytes), 0 when all went out.
int WriteFully(int fd, const char* p, size_t n, size_t* written = nullptr) {
  size_t off = 0;
  int err = 0;
  while (off < n) {
    ssize_t r = write(fd, p + off, n - off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      err = r < 0 ? errno : ENOSPC;
      break;
    }
    off += static_cast<size_t>(r);
  }
  if (written) *written = off;
  return err;
}

// The rewrite's RDB base. The snapshot hands over bytes from whichever thread
// serializes a shard, possibly a worker holding a shard lock, so Write only
// queues them; the rewrite thread, waiting in Wait(), writes them to the
// temp file. Only the snapshot's own thread is made to wait when the queue
// grows large; workers never wait for the disk.
class FileSink : public SnapshotSink {
 public:
  explicit FileSink(const std::string& path) : path_(path) {
    fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) error_ = "Can't open " + path + ": " + strerror(errno);
  }
  ~FileSink() override {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }
  int64_t bytes() const { return bytes_; }
  void Discard() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    unlink(path_.c_str());
  }

  bool Write(std::string_view bytes) override {
    std::unique_lock lock(mu_);
    if (write_error_ != 0) return false;
    if (server::Worker::Current() == nullptr) {
      cv_.wait(lock, [this] { return queued_ < kMaxQueued || write_error_ != 0; });
    }
    queue_.emplace_back(bytes);
    queued_ += bytes.size();
    cv_.notify_all();
    return true;
  }
  void Done(bool ok, const std::string& error) override {
    std::lock_guard lock(mu_);
    done_ = true;
    done_ok_ = ok;
    done_error_ = error;
    cv_.notify_all();
  }
  // Writes what the snapshot queues until it is done; then fsyncs.
  bool Wait(std::string* error) {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return done_ || !queue_.empty(); });
      if (queue_.empty() && done_) break;
      std::vector<std::string> work;
      work.swap(queue_);
      lock.unlock();
      int err = 0;
      size_t n = 0;
      for (const std::string& chunk : work) {
        if (err == 0) err = WriteFully(fd_, chunk.data(), chunk.size());
        n += chunk.size();
      }
      lock.lock();
      queued_ -= n;
      if (err == 0) bytes_ += static_cast<int64_t>(n);
      if (err != 0 && write_error_ == 0) write_error_ = err;
      cv_.notify_all();
    }
    bool ok = done_ok_ && write_error_ == 0;
    std::string why = done_error_;
    if (write_error_ != 0) why = strerror(write_error_);
    lock.unlock();
    if (ok && fsync(fd_) != 0) {
      ok = false;
      why = "fsync: " + std::string(strerror(errno));
    }
    if (!ok) *error = "Error writing the AOF base: " + why;
    return ok;
  }

 private:
  static constexpr size_t kMaxQueued = 8 << 20;
  std::string path_;
  int fd_ = -1;
  std::string error_;
  int64_t bytes_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> queue_;  // GUARDED_BY(mu_)
  size_t queued_ = 0;               // GUARDED_BY(mu_)
  int write_error_ = 0;             // GUARDED_BY(mu_)
  bool done_ = false, done_ok_ = false;
  std::string done_error_;
};

}  // namespace

uint64_t TakeAppendTicket() {
  uint64_t t = t_last_ticket;
  t_last_ticket = 0;
  return t;
}

Aof& GetAof(server::Server& server) {
  Aof* a = g_aof.load(std::memory_order_acquire);
  if (a) return *a;
  std::lock_guard lock(g_aof_mu);
  a = g_aof.load(std::memory_order_acquire);
  if (!a) {
    // Lives as long as the process: workers may still hold it as their sink.
    a = new Aof(&server);
    g_aof.store(a, std::memory_order_release);
  }
  return *a;
}

Aof* FindAof() { return g_aof.load(std::memory_order_acquire); }

Aof::Aof(server::Server* server) : server_(server) {}

Aof::~Aof() {
  Shutdown();
  if (rewrite_thread_.joinable()) rewrite_thread_.join();
}

std::string Aof::dir() const { return server_->config().appenddirname(); }
std::string Aof::filename() const { return server_->config().appendfilename(); }

int64_t Aof::FileSize(const std::string& name) const {
  struct stat st;
  if (stat(JoinPath(dir(), name).c_str(), &st) != 0) return 0;
  return st.st_size;
}

// ------------------------------------------------------------------ loading

int Aof::Load(std::string* error) {
  std::lock_guard lock(manifest_mu_);
  std::string d = dir();
  AofManifest m;
  int r = ReadManifest(d, ManifestName(filename()), &m, error);
  if (r < 0) return r;
  if (r == 0) {
    // A Redis 6 style single file in `dir`: moved into the directory as
    // the base, as Redis 7's aofUpgradePrepare does.
    struct stat st;
    if (stat(filename().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    if (mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) {
      *error = "Can't create the AOF directory " + d + ": " + strerror(errno);
      return -1;
    }
    m.base = {filename(), 1, AofFileType::kBase};
    m.curr_base_seq = 1;
    if (rename(filename().c_str(), JoinPath(d, filename()).c_str()) != 0) {
      *error =
          "Error moving the old AOF file " + filename() + " into " + d + ": " + strerror(errno);
      return -1;
    }
    if (!WriteManifest(d, ManifestName(filename()), m, error)) return -1;
    LOG_NOTICE("Successfully migrated an old-style AOF into the AOF directory %s.", d.c_str());
  }
  AofLoadOptions opt;
  opt.truncate_ok = server_->config().aof_load_truncated.load();
  AofLoadResult res;
  if (!LoadAofFiles(*server_, d, m, opt, &res, error)) return -1;
  manifest_ = m;
  base_size_ = m.has_base() ? FileSize(m.base.name) : 0;
  int64_t total = 0;
  for (const std::string& name : m.LoadOrder()) total += FileSize(name);
  rewrite_base_size_ = total;
  LOG_NOTICE("DB loaded from append only file: %.3f seconds", res.seconds);
  return 1;
}

// ------------------------------------------------------------------ opening

bool Aof::CreateInitial(std::string* error) {
  // REQUIRES(manifest_mu_). A base of the current data (what an RDB load
  // left, or nothing) and an empty incremental file, then the manifest.
  std::string d = dir();
  if (mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) {
    *error = "Can't create the AOF directory " + d + ": " + strerror(errno);
    return false;
  }
  AofManifest m = manifest_;
  bool rdb = server_->config().aof_use_rdb_preamble.load();
  int64_t base_seq = m.curr_base_seq + 1;
  std::string base_name = BaseName(filename(), base_seq, rdb);
  std::string data = SnapshotAsCommands(nullptr);
  if (!WriteFileDurably(d, "temp-rewriteaof-" + std::to_string(getpid()) + ".aof", base_name, data,
                        error)) {
    return false;
  }
  int64_t incr_seq = m.curr_incr_seq + 1;
  std::string incr_name = IncrName(filename(), incr_seq);
  int fd = open(JoinPath(d, incr_name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = "Can't create the AOF file " + incr_name + ": " + strerror(errno);
    return false;
  }
  close(fd);
  std::vector<AofFileInfo> old;
  if (m.has_base()) old.push_back(m.base);
  for (const AofFileInfo& f : m.incrs) old.push_back(f);
  for (const AofFileInfo& f : m.history) old.push_back(f);
  m.base = {base_name, base_seq, AofFileType::kBase};
  m.curr_base_seq = base_seq;
  m.incrs = {{incr_name, incr_seq, AofFileType::kIncr}};
  m.curr_incr_seq = incr_seq;
  m.history.clear();
  if (!WriteManifest(d, ManifestName(filename()), m, error)) return false;
  manifest_ = m;
  DeleteFiles(old);
  base_size_ = static_cast<int64_t>(data.size());
  rewrite_base_size_ = base_size_.load();
  LOG_NOTICE("Creating AOF base file %s on server start", base_name.c_str());
  LOG_NOTICE("Creating AOF incr file %s on server start", incr_name.c_str());
  return true;
}

void Aof::DeleteFiles(const std::vector<AofFileInfo>& files) {
  std::string d = dir();
  for (const AofFileInfo& f : files) {
    if (unlink(JoinPath(d, f.name).c_str()) == 0) {
      LOG_NOTICE("Removing the history file %s in the background", f.name.c_str());
    }
  }
}

bool Aof::Open(std::string* error) {
  std::lock_guard lock(manifest_mu_);
  std::string d = dir();
  if (manifest_.incrs.empty() && !manifest_.has_base()) {
    AofManifest m;
    std::string why;
    int r = ReadManifest(d, ManifestName(filename()), &m, &why);
    if (r < 0) {
      *error = why;
      return false;
    }
    if (r > 0) manifest_ = m;
  }
  if (!manifest_.has_base() && manifest_.incrs.empty()) {
    if (!CreateInitial(error)) return false;
  } else {
    if (!manifest_.history.empty()) {
      std::vector<AofFileInfo> old = manifest_.history;
      AofManifest m = manifest_;
      m.history.clear();
      if (WriteManifest(d, ManifestName(filename()), m, error)) {
        manifest_ = m;
        DeleteFiles(old);
      }
    }
    if (manifest_.incrs.empty()) {
      AofManifest m = manifest_;
      int64_t seq = m.curr_incr_seq + 1;
      m.incrs.push_back({IncrName(filename(), seq), seq, AofFileType::kIncr});
      m.curr_incr_seq = seq;
      int fd = open(JoinPath(d, m.incrs.back().name).c_str(),
                    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) {
        *error = "Can't create the AOF file " + m.incrs.back().name + ": " + strerror(errno);
        return false;
      }
      close(fd);
      if (!WriteManifest(d, ManifestName(filename()), m, error)) return false;
      manifest_ = m;
    }
  }
  const std::string& last = manifest_.incrs.back().name;
  int fd = open(JoinPath(d, last).c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = "Can't open the append-only file " + last + ": " + strerror(errno);
    return false;
  }
  int64_t other = 0;
  if (manifest_.has_base()) other += FileSize(manifest_.base.name);
  for (size_t i = 0; i + 1 < manifest_.incrs.size(); ++i)
    other += FileSize(manifest_.incrs[i].name);
  other_size_ = other;
  incr_size_ = FileSize(last);
  base_size_ = manifest_.has_base() ? FileSize(manifest_.base.name) : 0;
  if (rewrite_base_size_ == 0) rewrite_base_size_ = other + incr_size_;
  fd_ = fd;
  {
    std::lock_guard l(mu_);
    accepting_ = true;
    cur_db_ = -1;
  }
  StartWriter();
  enabled_ = true;
  server_->SetEffectSink(this);
  return true;
}

// ------------------------------------------------------------------ appending

uint64_t Aof::Append(const server::EffectBatch& batch) {
  if (batch.records.empty()) return 0;
  // Read before taking the lock: the worker holds mu_ (which the writer
  // needs for its swap) as briefly as possible.
  const bool always = server_->config().appendfsync.load(std::memory_order_relaxed) ==
                      static_cast<int64_t>(server::AppendFsync::kAlways);
  std::lock_guard lock(mu_);
  if (!accepting_) return 0;
  bool was_empty = buf_.empty();
  size_t before = buf_.size();
  if (server_->config().aof_timestamp_enabled.load(std::memory_order_relaxed)) {
    int64_t now_s = NowMs() / 1000;
    if (now_s != last_ts_) {
      last_ts_ = now_s;
      buf_ += "#TS:" + Int64ToString(now_s) + "\r\n";
    }
  }
  bool multi = batch.transaction;
  if (multi) {
    if (batch.records.front().db != cur_db_) {
      cur_db_ = batch.records.front().db;
      AppendSelectCmd(&buf_, cur_db_);
    }
    AppendSimpleCmd(&buf_, "MULTI");
  }
  for (const server::EffectRecord& r : batch.records) {
    if (r.db != cur_db_) {
      cur_db_ = r.db;
      AppendSelectCmd(&buf_, cur_db_);
    }
    buf_.append(r.resp);
  }
  if (multi) AppendSimpleCmd(&buf_, "EXEC");
  // Only written under mu_ (here and at the writer's swap): a plain store,
  // no locked read-modify-write per command.
  buffered_.store(static_cast<int64_t>(buf_.size()), std::memory_order_relaxed);
  uint64_t ticket = ++issued_;
  if (always) {
    // Replies wait for this: the writer starts the next group commit now.
    if (was_empty) cv_.notify_one();
    t_last_ticket = ticket;
    return ticket;
  }
  // Otherwise the writer collects a few milliseconds of appends per write()
  // (Redis writes once per event loop iteration), unless they pile up.
  if (writer_idle_ || (before < kWakeBytes && buf_.size() >= kWakeBytes)) cv_.notify_one();
  return 0;
}

void Aof::Hold(int worker, uint64_t client_id, uint64_t ticket) {
  if (worker < 0 || worker >= static_cast<int>(held_.size())) return;
  {
    std::lock_guard lock(held_[worker].mu);
    held_[worker].ids.push_back(client_id);
  }
  held_any_[worker].store(true, std::memory_order_release);
  // The fsync may have completed between the caller's check and the push.
  if (Durable(ticket)) ReleaseHeld();
}

void Aof::ReleaseHeld() {
  auto& workers = server_->workers();
  for (size_t i = 0; i < workers.size() && i < held_.size(); ++i) {
    if (!held_any_[i].exchange(false, std::memory_order_acq_rel)) continue;
    server::Worker* w = workers[i].get();
    HeldList* list = &held_[i];
    w->loop().Post([w, list] {
      std::vector<uint64_t> ids;
      {
        std::lock_guard lock(list->mu);
        ids.swap(list->ids);
      }
      for (uint64_t id : ids) {
        if (server::Client* c = w->FindClient(id)) c->ReleaseHeldOutput();
      }
    });
  }
}

// ------------------------------------------------------------------ the writer thread

int Aof::WriteAll(int fd, std::string* data) {
  size_t written = 0;
  int err = WriteFully(fd, data->data(), data->size(), &written);
  data->erase(0, written);
  return err;
}

void Aof::StartWriter() {
  if (writer_.joinable()) writer_.join();  // one that Disable() stopped
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  writer_ = std::thread([this] { WriterMain(); });
}

void Aof::StopWriter() {
  {
    std::lock_guard lock(mu_);
    if (!writer_.joinable()) return;
    stop_ = true;
    cv_.notify_all();
  }
  writer_.join();
}

void Aof::WriterMain() {
  struct Target {
    int fd;
    std::string out;
  };
  std::vector<Target> targets;
  targets.push_back({fd_, {}});
  int64_t last_fsync_ms = NowMs();
  int64_t last_error_log_ms = 0;
  bool unsynced = false;
  int stop_attempts = 0;
  std::string data;
  std::unique_lock lk(mu_);
  while (true) {
    bool pending_out = false;
    for (const Target& t : targets) pending_out |= !t.out.empty();
    bool always_now =
        server_->config().appendfsync.load() == static_cast<int64_t>(server::AppendFsync::kAlways);
    if (pending_out && !write_ok_.load()) {
      // Retrying after a failed write: once a second, as Redis does.
      cv_.wait_for(lk, std::chrono::milliseconds(1000), [this] { return stop_; });
    } else if (!stop_ && !switch_pending_) {
      if (always_now) {
        if (buf_.empty()) cv_.wait_for(lk, std::chrono::milliseconds(100));
      } else if (buf_.empty() && !pending_out &&
                 !(unsynced && server_->config().appendfsync.load() ==
                                   static_cast<int64_t>(server::AppendFsync::kEverySec))) {
        // Idle: the next Append wakes us.
        writer_idle_ = true;
        cv_.wait_for(lk, std::chrono::milliseconds(100));
        writer_idle_ = false;
        if (!buf_.empty()) cv_.wait_for(lk, std::chrono::milliseconds(kBatchMs));
      } else if (buf_.size() < kWakeBytes) {
        cv_.wait_for(lk, std::chrono::milliseconds(kBatchMs));
      }
    }
    bool stopping = stop_;
    data.clear();
    data.swap(buf_);
    buffered_.store(0, std::memory_order_relaxed);
    uint64_t ticket = issued_;
    if (switch_pending_) {
      targets.back().out += switch_tail_;
      switch_tail_.clear();
      targets.push_back({switch_fd_, {}});
      switch_fd_ = -1;
      // The new file starts empty; the old one counts with the other files.
      other_size_.fetch_add(incr_size_.exchange(0) +
                            static_cast<int64_t>(targets[targets.size() - 2].out.size()));
      switch_pending_ = false;
    }
    lk.unlock();
    size_t batch_bytes = data.size();
    if (targets.back().out.empty()) {
      targets.back().out.swap(data);
    } else {
      targets.back().out += data;
    }
    // `data` becomes buf_ at the next swap: give it room for a batch like
    // this one now, off the lock, so Append never reallocates (and copies)
    // buf_ while a worker holds mu_ with its shard locks.
    data.clear();
    if (data.capacity() < batch_bytes + batch_bytes / 2) {
      data.reserve(std::min(batch_bytes + batch_bytes / 2, kWakeBytes * 2));
    }

    int64_t policy = server_->config().appendfsync.load(std::memory_order_relaxed);
    bool always = policy == static_cast<int64_t>(server::AppendFsync::kAlways);
    int err = 0;
    // Files replaced by a rewrite's new incremental file: finish them first.
    while (targets.size() > 1) {
      Target& old = targets.front();
      err = WriteAll(old.fd, &old.out);
      if (err == 0 && fdatasync(old.fd) != 0) err = errno;
      if (err != 0) break;
      close(old.fd);
      targets.erase(targets.begin());
    }
    if (err == 0 && !targets.back().out.empty()) {
      size_t n = targets.back().out.size();
      err = WriteAll(targets.back().fd, &targets.back().out);
      incr_size_.fetch_add(static_cast<int64_t>(n - targets.back().out.size()),
                           std::memory_order_relaxed);
      unsynced = true;
    }
    int64_t now = NowMs();
    // no-appendfsync-on-rewrite: while a rewrite writes its base, leave the
    // disk to it (a write counts as done then, as in Redis).
    bool skip_fsync = !stopping && rewrite_running_.load() &&
                      server_->config().no_appendfsync_on_rewrite.load(std::memory_order_relaxed);
    if (err == 0 && unsynced && !skip_fsync &&
        (always || stopping ||
         (policy == static_cast<int64_t>(server::AppendFsync::kEverySec) &&
          now - last_fsync_ms >= 1000))) {
      if (fdatasync(targets.back().fd) != 0) {
        err = errno;
      } else {
        unsynced = false;
        last_fsync_ms = now;
      }
    }
    if (err == 0) {
      if (!write_ok_.load()) {
        LOG_WARNING("AOF write error looks solved, Redis can write again.");
        write_ok_ = true;
        Status(*server_).aof_write_errno.store(0);
      }
      // Under everysec/no a reply never waits: written is enough.
      if ((!unsynced || !always || skip_fsync) && durable_.load() < ticket) {
        durable_.store(ticket, std::memory_order_release);
        ReleaseHeld();
      }
    } else {
      write_ok_ = false;
      Status(*server_).aof_write_errno.store(err);
      if (now - last_error_log_ms > 30000) {
        LOG_WARNING("Error writing to the AOF file: %s", strerror(err));
        last_error_log_ms = now;
      }
    }
    lk.lock();
    if (stopping && buf_.empty() && !switch_pending_) {
      bool left = false;
      for (const Target& t : targets) left |= !t.out.empty();
      if ((!left && !unsynced) || ++stop_attempts >= 3) break;
    }
  }
  // Nothing more will be written: every held reply may go.
  durable_.store(issued_, std::memory_order_release);
  lk.unlock();
  for (Target& t : targets) close(t.fd);
  fd_ = -1;
  write_ok_ = true;
  Status(*server_).aof_write_errno.store(0);
  ReleaseHeld();
}

// ------------------------------------------------------------------ rewrite

std::string Aof::SnapshotAsCommands(const std::function<void()>& at_t) {
  return SerializeKeyspace(server_->keyspace(), server_->config().aof_use_rdb_preamble.load(),
                           at_t);
}

std::string Aof::SerializeKeyspace(db::Keyspace& ks, bool rdb_format,
                                   const std::function<void()>& at_t) {
  server::Config& cfg = server_->config();
  std::string out;
  ks.LockAll();
  if (at_t) at_t();
  if (rdb_format) {
    rdb::HeaderInfo h;
    h.ctime_s = NowMs() / 1000;
    h.aof_base = true;
    rdb::WriteHeader(h, &out);
  }
  rdb::WriteOptions wo;
  wo.compress = cfg.rdbcompression.load();
  for (int d = 0; d < ks.size(); ++d) {
    db::Database& database = ks.db(d);
    uint64_t keys = 0, expires = 0;
    for (unsigned s = 0; s < db::kShardCount; ++s) {
      database.shard(s).table.ForEach([&](const db::Entry* e) {
        ++keys;
        expires += e->expire_ms != 0;
      });
    }
    if (keys == 0) continue;
    if (rdb_format) {
      rdb::WriteSelectDb(d, &out);
      rdb::WriteResizeDb(keys, expires, &out);
    } else {
      AppendSelect(&out, d);
    }
    for (unsigned s = 0; s < db::kShardCount; ++s) {
      database.shard(s).table.ForEach([&](const db::Entry* e) {
        if (rdb_format) {
          if (rdb::CanSerialize(*e)) rdb::SerializeKeyValue(*e, wo, &out);
        } else {
          AppendEntryCommands(&out, *e);
        }
      });
    }
  }
  ks.UnlockAll();
  if (rdb_format) {
    rdb::WriteEof(&out);
    uint64_t crc = cfg.rdbchecksum.load() ? Crc64(0, out.data(), out.size()) : 0;
    char le[8];
    for (int i = 0; i < 8; ++i) le[i] = static_cast<char>((crc >> (8 * i)) & 0xff);
    out.append(le, 8);
  }
  return out;
}

Aof::RewriteStart Aof::StartRewrite(std::string* error) {
  std::lock_guard lock(rewrite_mu_);
  if (rewrite_running_.load()) {
    *error = "ERR Background append only file rewriting already in progress";
    return RewriteStart::kAlreadyRunning;
  }
  if (rewrite_thread_.joinable()) rewrite_thread_.join();
  rewrite_running_ = true;
  rewrite_scheduled_ = false;
  rewrite_start_ms_ = NowMs();
  bool enabling = !enabled_.load();
  bool aof_on = server_->config().appendonly.load();
  rewrite_thread_ = std::thread([this, enabling, aof_on] { RewriteMain(enabling && aof_on); });
  return RewriteStart::kStarted;
}

void Aof::RewriteMain(bool enabling) {
  std::unique_lock mlock(manifest_mu_);
  std::string d = dir();
  std::string fname = filename();
  std::string mname = ManifestName(fname);
  std::string error;
  bool ok = true;
  bool aof_on = enabling || enabled_.load();
  if (enabling) {
    // The files of an earlier enabled period are history: the new base replaces them.
    AofManifest m;
    std::string why;
    if (ReadManifest(d, mname, &m, &why) > 0) manifest_ = m;
  }
  if (mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) {
    error = "Can't create the AOF directory " + d + ": " + strerror(errno);
    ok = false;
  }
  AofManifest m = manifest_;
  int new_fd = -1;
  AofFileInfo new_incr;
  if (ok && aof_on) {
    // 1. A new, empty incremental file, in the manifest before anything goes to it.
    int64_t seq = m.curr_incr_seq + 1;
    new_incr = {IncrName(fname, seq), seq, AofFileType::kIncr};
    new_fd =
        open(JoinPath(d, new_incr.name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (new_fd < 0) {
      error = "Can't open the append-only file " + new_incr.name + ": " + strerror(errno);
      ok = false;
    } else {
      AofManifest with_new = m;
      if (enabling) {
        // Nothing loads from the old files any more; the new base will hold it all.
        with_new.history.clear();
        if (with_new.has_base()) with_new.history.push_back(with_new.base);
        for (const AofFileInfo& f : with_new.incrs) with_new.history.push_back(f);
        with_new.base = {};
        with_new.incrs.clear();
      }
      with_new.incrs.push_back(new_incr);
      with_new.curr_incr_seq = seq;
      // Until the first base exists (enabling, or after that failed) the
      // manifest on disk stays the old one.
      if (!enabling && m.has_base()) {
        ok = WriteManifest(d, mname, with_new, &error);
      }
      if (ok) m = with_new;
    }
  }
  // 2. T: every shard locked; the writer switches to the new file at exactly this point.
  auto at_t = [&] {
    if (!aof_on) return;
    {
      std::lock_guard l(mu_);
      if (enabling) {
        fd_ = new_fd;
        accepting_ = true;
        buf_.clear();
        other_size_ = 0;
        incr_size_ = 0;
      } else {
        switch_tail_.append(buf_);
        buf_.clear();
        switch_fd_ = new_fd;
        switch_pending_ = true;
        cv_.notify_one();
      }
      cur_db_ = -1;
    }
    if (enabling) {
      // Every write after T is recorded from here on, into the new file.
      StartWriter();
      enabled_ = true;
      server_->SetEffectSink(this);
    }
  };
  bool rdb = server_->config().aof_use_rdb_preamble.load();
  int64_t base_seq = m.curr_base_seq + 1;
  std::string base_name = BaseName(fname, base_seq, rdb);
  std::string tmp = "temp-rewriteaof-bg-" + std::to_string(getpid()) + ".aof";
  int64_t base_bytes = 0;
  bool switched = false;
  if (ok) {
    // The base comes from the fork-less snapshot (an RDB): no command waits for it.
    FileSink sink(JoinPath(d, tmp));
    SnapshotOptions so;
    so.compress = server_->config().rdbcompression.load();
    so.checksum = server_->config().rdbchecksum.load();
    so.aof_base = true;
    so.at_point_in_time = [&] {
      at_t();
      switched = true;
    };
    if (!sink.ok()) {
      error = sink.error();
      ok = false;
    } else if (!StartSnapshot(*server_, &sink, std::move(so), &error)) {
      ok = false;
      sink.Discard();
    } else {
      ok = sink.Wait(&error);
      base_bytes = sink.bytes();
      if (ok && !rdb) {
        // aof-use-rdb-preamble no: the snapshot, loaded into a private
        // keyspace off every lock, is written out again as commands.
        ok = ConvertBaseToResp(JoinPath(d, tmp), &base_bytes, &error);
      }
      if (ok && rename(JoinPath(d, tmp).c_str(), JoinPath(d, base_name).c_str()) != 0) {
        error = "Can't rename the temporary AOF base file: " + std::string(strerror(errno));
        ok = false;
      }
      if (ok) FsyncDir(d);
      if (!ok) unlink(JoinPath(d, tmp).c_str());
    }
  }
  if (ok) {
    // 4. The manifest: the new base and the new incremental file only.
    AofManifest final_m = m;
    std::vector<AofFileInfo> old = m.history;
    if (final_m.has_base()) old.push_back(final_m.base);
    final_m.history.clear();
    final_m.base = {base_name, base_seq, AofFileType::kBase};
    final_m.curr_base_seq = base_seq;
    if (aof_on) {
      for (const AofFileInfo& f : final_m.incrs) {
        if (f.name != new_incr.name) old.push_back(f);
      }
      final_m.incrs = {new_incr};
    } else {
      for (const AofFileInfo& f : final_m.incrs) old.push_back(f);
      final_m.incrs.clear();
    }
    ok = WriteManifest(d, mname, final_m, &error);
    if (ok) {
      manifest_ = final_m;
      DeleteFiles(old);
      base_size_ = base_bytes;
      other_size_ = base_bytes;
      rewrite_base_size_ = base_bytes + incr_size_.load();
    } else {
      unlink(JoinPath(d, base_name).c_str());
    }
  }
  if (!switched && new_fd >= 0) {
    close(new_fd);
    unlink(JoinPath(d, new_incr.name).c_str());
    new_fd = -1;
  }
  if (!ok && aof_on && switched) {
    manifest_ = m;                                         // the new incr file stays in use
    if (!manifest_.has_base()) rewrite_scheduled_ = true;  // retried: the AOF needs a base
  }
  int64_t now = NowMs();
  last_rewrite_time_sec_ = (now - rewrite_start_ms_.load()) / 1000;
  rewrite_start_ms_ = 0;
  if (!ok) last_failure_ms_ = now;
  last_rewrite_ok_ = ok;
  if (ok) {
    rewrites_.fetch_add(1);
    rewrite_failures_ = 0;
    LOG_NOTICE("Background AOF rewrite finished successfully");
  } else {
    rewrite_failures_.fetch_add(1);
    LOG_WARNING("Background AOF rewrite failed: %s", error.c_str());
  }
  rewrite_running_ = false;
}

bool Aof::ConvertBaseToResp(const std::string& path, int64_t* size, std::string* error) {
  std::string rdb;
  {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    rdb = ss.str();
  }
  db::Keyspace copy(server_->keyspace().size());
  rdb::LoadStats stats;
  std::string why;
  if (!rdb::LoadRdb(rdb, copy, LoadLimitsFor(*server_), NowMs(), false, &stats, &why)) {
    *error = "Can't convert the AOF base snapshot: " + why;
    return false;
  }
  std::string().swap(rdb);
  std::string resp = SerializeKeyspace(copy, false, nullptr);
  *size = static_cast<int64_t>(resp.size());
  std::string tmp_name = path.substr(path.rfind('/') + 1);
  std::string d = path.substr(0, path.rfind('/'));
  return WriteFileDurably(d, tmp_name + ".resp", tmp_name, resp, error);
}

void Aof::MaybeAutoRewrite() {
  if (rewrite_running_.load() || SnapshotRunning()) return;
  if (rewrite_scheduled_.load()) {
    if (NowMs() - last_failure_ms_.load() < 1000) return;
    std::string err;
    StartRewrite(&err);
    return;
  }
  if (!enabled_.load()) return;
  server::Config& cfg = server_->config();
  int64_t pct = cfg.auto_aof_rewrite_percentage.load();
  if (pct <= 0) return;
  int64_t size = other_size_.load() + incr_size_.load();
  if (size < cfg.auto_aof_rewrite_min_size.load()) return;
  int64_t base = rewrite_base_size_.load();
  if (base <= 0) base = 1;
  int64_t growth = (size * 100 / base) - 100;
  if (growth < pct) return;
  // Don't loop on a rewrite that keeps failing: Redis waits too.
  if (rewrite_failures_.load() > 0 && NowMs() - last_failure_ms_.load() < 60000) return;
  LOG_NOTICE("Starting automatic rewriting of AOF on %lld%% growth",
             static_cast<long long>(growth));
  std::string err;
  StartRewrite(&err);
}

// ------------------------------------------------------------------ on/off

void Aof::Enable() {
  if (enabled_.load() || rewrite_running_.load()) return;
  if (NowMs() - last_failure_ms_.load() < 1000) return;  // retried once a second
  if (SnapshotRunning()) {  // a BGSAVE: the first base starts after it, as Redis schedules it
    rewrite_scheduled_ = true;
    return;
  }
  LOG_NOTICE("Background append only file rewriting started");
  std::string err;
  StartRewrite(&err);
}

std::string Aof::BgRewrite(bool* is_error) {
  *is_error = false;
  if (rewrite_running_.load()) {
    *is_error = true;
    return "ERR Background append only file rewriting already in progress";
  }
  if (SnapshotRunning()) {
    rewrite_scheduled_ = true;
    return "Background append only file rewriting scheduled";
  }
  std::string err;
  if (StartRewrite(&err) != RewriteStart::kStarted) {
    *is_error = true;
    return err.empty() ? "ERR Can't execute an AOF background rewriting. Please check the server "
                         "logs for more information."
                       : err;
  }
  return "Background append only file rewriting started";
}

void Aof::Cron() {
  bool want = server_->config().appendonly.load();
  if (want && !enabled_.load() && !rewrite_running_.load()) {
    Enable();
  } else if (!want && enabled_.load() && !rewrite_running_.load()) {
    Disable();
  }
  MaybeAutoRewrite();
}

void AofCron(server::Server& server) {
  Aof* aof = FindAof();
  if (!aof) {
    if (!server.config().appendonly.load(std::memory_order_relaxed)) return;
    aof = &GetAof(server);
  }
  aof->Cron();
}

bool LoadAofAtStartup(server::Server& server, std::string* error) {
  Aof& aof = GetAof(server);
  PersistStatus& st = Status(server);
  st.loading.store(true);
  int r = aof.Load(error);
  st.loading.store(false);
  if (r < 0) return false;
  return aof.Open(error);
}

void Aof::Disable() {
  if (!enabled_.load()) return;
  server_->SetEffectSink(nullptr);
  {
    // The writer finishes the queue, fsyncs and releases held replies on its
    // own thread: the worker running this never waits for the disk.
    std::lock_guard lock(mu_);
    accepting_ = false;
    stop_ = true;
    cv_.notify_all();
  }
  enabled_ = false;
}

void Aof::Shutdown() {
  {
    // A running rewrite finishes first (the snapshot would be waited for anyway).
    std::lock_guard lock(rewrite_mu_);
    if (rewrite_thread_.joinable()) rewrite_thread_.join();
  }
  {
    std::lock_guard lock(mu_);
    accepting_ = false;
  }
  if (enabled_.load()) LOG_NOTICE("Calling fsync() on the AOF file.");
  StopWriter();  // also waits for a writer Disable() stopped
}

// ------------------------------------------------------------------ INFO

void Aof::AppendInfoFields(std::string* out) {
  auto field = [out](const char* name, const std::string& v) {
    out->append(name);
    out->push_back(':');
    out->append(v);
    out->append("\r\n");
  };
  auto num = [&](const char* name, int64_t v) { field(name, Int64ToString(v)); };
  bool on = enabled_.load() || (rewrite_running_.load() && server_->config().appendonly.load());
  num("aof_enabled", on ? 1 : 0);
  num("aof_rewrite_in_progress", rewrite_running_.load() ? 1 : 0);
  num("aof_rewrite_scheduled", rewrite_scheduled_.load() ? 1 : 0);
  num("aof_last_rewrite_time_sec", last_rewrite_time_sec_.load());
  int64_t start = rewrite_start_ms_.load();
  num("aof_current_rewrite_time_sec", start ? (NowMs() - start) / 1000 : -1);
  field("aof_last_bgrewrite_status", last_rewrite_ok_.load() ? "ok" : "err");
  num("aof_rewrites", static_cast<int64_t>(rewrites_.load()));
  num("aof_rewrites_consecutive_failures", static_cast<int64_t>(rewrite_failures_.load()));
  field("aof_last_write_status", write_ok_.load() ? "ok" : "err");
  num("aof_last_cow_size", 0);
  num("module_fork_in_progress", 0);
  num("module_fork_last_cow_size", 0);
  if (on) {
    num("aof_current_size", other_size_.load() + incr_size_.load());
    num("aof_base_size", base_size_.load());
    num("aof_pending_rewrite", rewrite_scheduled_.load() ? 1 : 0);
    num("aof_buffer_length", buffered_.load());
    num("aof_pending_bio_fsync", 0);
    num("aof_delayed_fsync", delayed_fsync_.load());
  }
}

}  // namespace basalt::persist
