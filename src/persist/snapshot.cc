#include "persist/snapshot.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/logging.h"
#include "common/memory.h"
#include "db/keyspace.h"
#include "persist/crc64.h"
#include "persist/rdb_writer.h"
#include "server/server.h"

namespace basalt::persist {
namespace {

// A piece is written once it holds this much; it also bounds how long the
// snapshot thread holds one shard's lock (a few hundred microseconds).
constexpr size_t kPieceBytes = 64 * 1024;
// Captured bytes that a command writes out itself rather than queue more.
constexpr size_t kQueueFlushBytes = 256 * 1024;
// Buckets captured per CaptureSome call between piece-size checks.
constexpr size_t kBucketsPerStep = 64;

class ShardCapture;

struct State {
  std::mutex control_mu;  // running/thread transitions
  std::condition_variable idle_cv;
  bool running = false;
  std::thread thread;

  // Fixed while running.
  db::Keyspace* ks = nullptr;
  int64_t t_ms = 0;
  rdb::WriteOptions wopt;
  bool checksum = true;
  SnapshotSink* sink = nullptr;
  std::vector<std::unique_ptr<ShardCapture>> captures;

  // What commands captured, waiting for the snapshot thread to write it:
  // only that thread touches the sink, so no command ever waits on the disk.
  // One buffer for all shards, so idle shards hold no memory.
  std::mutex queue_mu;
  std::string queued;  // GUARDED_BY(queue_mu)
  int queued_db = -1;  // GUARDED_BY(queue_mu): the SELECTDB in force at its end

  // Output, in file order. The snapshot thread writes; a command thread
  // writes the queue itself only when it has grown large (the snapshot thread
  // starved of CPU) and the writer is free.
  std::mutex write_mu;
  uint64_t crc = 0;     // GUARDED_BY(write_mu)
  bool failed = false;  // GUARDED_BY(write_mu)
  std::string error;    // GUARDED_BY(write_mu)
};

// Never destroyed: a snapshot thread may still run while the process exits.
State& S() {
  static State* s = new State;
  return *s;
}

// With write_mu held.
void Emit(std::string_view bytes) {
  State& s = S();
  if (s.failed || bytes.empty()) return;
  s.crc = Crc64(s.crc, bytes.data(), bytes.size());
  if (!s.sink->Write(bytes)) {
    s.failed = true;
    s.error = "write error";
  }
}

// With write_mu held. `spare` keeps one buffer's capacity between calls.
void EmitQueued(std::string* spare) {
  State& s = S();
  spare->clear();
  {
    std::lock_guard lock(s.queue_mu);
    spare->swap(s.queued);
    s.queued_db = -1;
  }
  Emit(*spare);
}

// One shard's table as of T. Take runs with the shard's lock held, on the
// snapshot thread or on whichever command thread reached a bucket first.
class ShardCapture final : public db::Table::Capture {
 public:
  ShardCapture(int db, db::Shard* shard) : db_(db), shard_(shard) {}
  db::Shard& shard() { return *shard_; }

  void Take(const db::Entry* chain) override {
    State& s = S();
    if (step_out_) {
      // RDB allows SELECTDB to repeat: each piece carries its own.
      if (step_out_->empty()) rdb::WriteSelectDb(db_, step_out_);
      Serialize(chain, step_out_);
      return;
    }
    thread_local std::string scratch;
    scratch.clear();
    Serialize(chain, &scratch);
    if (scratch.empty()) return;
    {
      std::lock_guard lock(s.queue_mu);
      if (s.queued_db != db_) {
        rdb::WriteSelectDb(db_, &s.queued);
        s.queued_db = db_;
      }
      s.queued += scratch;
      if (s.queued.size() < kQueueFlushBytes) return;
    }
    std::unique_lock writer(s.write_mu, std::try_to_lock);
    if (writer.owns_lock()) EmitQueued(&scratch);
  }

  // Snapshot thread, shard lock held: captures the next buckets up to about
  // one piece. True once the whole table is captured (or a FLUSH/SWAPDB
  // finished it); *out gets the bytes to write after unlocking.
  bool Step(std::string* out) {
    bool done = true;
    db::Table& table = shard_->table;
    if (table.capturing()) {
      step_out_ = out;
      do {
        done = table.CaptureSome(kBucketsPerStep);
      } while (!done && out->size() < kPieceBytes);
      step_out_ = nullptr;
    }
    return done;
  }

 private:
  static void Serialize(const db::Entry* chain, std::string* out) {
    State& s = S();
    for (const db::Entry* e = chain; e; e = e->next) {
      // Already expired at T: a loader would drop it anyway.
      if (e->expire_ms != 0 && e->expire_ms <= s.t_ms) continue;
      if (!rdb::CanSerialize(*e)) continue;
      rdb::SerializeKeyValue(*e, s.wopt, out);
    }
  }

  int db_;
  db::Shard* shard_;
  std::string* step_out_ = nullptr;  // GUARDED_BY(shard_->mu): set during Step
};

void RunSnapshot() {
  State& s = S();
  // Below the workers, so that on a shared core a command waits for a short
  // slice of this thread at most; but not idle-class: a saturated server
  // must still finish its snapshot.
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
  int64_t start = SystemClock().MonotonicUs();
  int64_t longest_hold_us = 0;
  std::string out, queued;
  for (const std::unique_ptr<ShardCapture>& cap : s.captures) {
    bool done = false;
    while (!done) {
      out.clear();
      {
        std::lock_guard lock(cap->shard().mu);
        int64_t held = SystemClock().MonotonicUs();
        done = cap->Step(&out);
        longest_hold_us = std::max(longest_hold_us, SystemClock().MonotonicUs() - held);
      }
      std::lock_guard writer(s.write_mu);
      EmitQueued(&queued);
      Emit(out);
    }
  }
  s.captures.clear();  // every table is captured: no command adds to the queue now
  bool ok;
  std::string error;
  {
    std::lock_guard writer(s.write_mu);
    EmitQueued(&queued);
    {
      std::lock_guard lock(s.queue_mu);
      std::string().swap(s.queued);
    }
    std::string tail;
    rdb::WriteEof(&tail);
    uint64_t crc = s.checksum ? Crc64(s.crc, tail.data(), tail.size()) : 0;
    tail.append(reinterpret_cast<const char*>(&crc), 8);
    if (!s.failed && !s.sink->Write(tail)) {
      s.failed = true;
      s.error = "write error";
    }
    ok = !s.failed;
    error = s.error;
  }
  LOG_VERBOSE("Snapshot serialized in %.3f seconds (longest shard hold %lld us)",
              static_cast<double>(SystemClock().MonotonicUs() - start) / 1e6,
              static_cast<long long>(longest_hold_us));
  SnapshotSink* sink = s.sink;
  sink->Done(ok, error);
  std::lock_guard lock(s.control_mu);
  s.running = false;
  s.idle_cv.notify_all();
}

}  // namespace

bool StartSnapshot(server::Server& server, SnapshotSink* sink, SnapshotOptions opt,
                   std::string* error) {
  State& s = S();
  std::unique_lock control(s.control_mu);
  if (s.running) {
    *error = "Background save already in progress";
    return false;
  }
  if (s.thread.joinable()) s.thread.join();  // finished: it only had to return
  s.running = true;
  control.unlock();

  s.ks = &server.keyspace();
  s.sink = sink;
  s.wopt.compress = opt.compress;
  s.checksum = opt.checksum;
  {
    std::lock_guard writer(s.write_mu);
    s.crc = 0;
    s.failed = false;
    s.error.clear();
  }

  s.ks->LockAll();
  s.t_ms = SystemClock().NowMs();
  s.wopt.now_ms = s.t_ms;
  s.wopt.access_meta = rdb::WriteOptions::AccessMeta::kNone;
  if (opt.access_meta) {
    std::string policy = server.config().maxmemory_policy();
    if (policy.find("lru") != std::string::npos) {
      s.wopt.access_meta = rdb::WriteOptions::AccessMeta::kIdle;
    } else if (policy.find("lfu") != std::string::npos) {
      s.wopt.access_meta = rdb::WriteOptions::AccessMeta::kFreq;
    }
  }
  std::string head;
  rdb::HeaderInfo info;
  info.ctime_s = s.t_ms / 1000;
  info.used_mem = AllocatedBytes();
  info.aof_base = opt.aof_base;
  rdb::WriteHeader(info, &head);
  for (int d = 0; d < s.ks->size(); ++d) {
    db::Database& database = s.ks->db(d);
    uint64_t keys = 0, expires = 0;
    for (unsigned i = 0; i < db::kShardCount; ++i) {
      db::Shard& sh = database.shard(i);
      if (sh.table.size() == 0) continue;
      keys += sh.table.size();
      expires += sh.expires;
      s.captures.push_back(std::make_unique<ShardCapture>(d, &sh));
      sh.table.StartCapture(s.captures.back().get());
    }
    if (keys == 0) continue;
    // Sizing hints for the loader, as Redis writes them per database.
    rdb::WriteSelectDb(d, &head);
    rdb::WriteResizeDb(keys, expires, &head);
  }
  {
    std::lock_guard writer(s.write_mu);
    Emit(head);
  }
  if (opt.at_point_in_time) opt.at_point_in_time();
  s.ks->UnlockAll();

  control.lock();
  s.thread = std::thread(RunSnapshot);
  return true;
}

bool SnapshotRunning() {
  State& s = S();
  std::lock_guard lock(s.control_mu);
  return s.running;
}

void WaitForSnapshot() {
  State& s = S();
  std::unique_lock lock(s.control_mu);
  s.idle_cv.wait(lock, [&] { return !s.running; });
  if (s.thread.joinable()) s.thread.join();
}

}  // namespace basalt::persist
