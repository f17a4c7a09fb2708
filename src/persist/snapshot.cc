#include "persist/snapshot.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "common/logging.h"
#include "common/memory.h"
#include "db/keyspace.h"
#include "persist/crc64.h"
#include "persist/rdb_writer.h"
#include "server/server.h"

namespace basalt::persist {
namespace {

// A piece is flushed to the sink once it holds this much, so a shard's
// serialization never buffers much more than one large value.
constexpr size_t kPieceBytes = 256 * 1024;

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

  // Output, in file order.
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

void Emit(std::string_view bytes) {
  State& s = S();
  std::lock_guard lock(s.write_mu);
  if (s.failed || bytes.empty()) return;
  s.crc = Crc64(s.crc, bytes.data(), bytes.size());
  if (!s.sink->Write(bytes)) {
    s.failed = true;
    s.error = "write error";
  }
}

// Serializes one shard as of T. Runs with the shard's lock held, by whichever
// thread locked it first.
void SerializeShard(int db, db::Shard& sh) {
  State& s = S();
  thread_local std::string piece;
  std::string prefix;
  rdb::WriteSelectDb(db, &prefix);
  piece = prefix;
  sh.table.ForEach([&](db::Entry* e) {
    // Already expired at T: a loader would drop it anyway.
    if (e->expire_ms != 0 && e->expire_ms <= s.t_ms) return;
    if (!rdb::CanSerialize(*e)) return;
    rdb::SerializeKeyValue(*e, s.wopt, &piece);
    if (piece.size() >= kPieceBytes) {
      Emit(piece);
      piece = prefix;
    }
  });
  if (piece.size() > prefix.size()) Emit(piece);
  // Don't let one huge value pin memory in every thread that ever hit a hook.
  if (piece.capacity() > 4 * kPieceBytes) std::string().swap(piece);
  sh.mu.set_snapshot_pending(false);
}

void OnPendingShardLocked(db::ShardMutex* mu) {
  State& s = S();
  if (!s.ks) return;
  const auto* p = reinterpret_cast<const char*>(mu);
  for (int d = 0; d < s.ks->size(); ++d) {
    db::Database& database = s.ks->db(d);
    const auto* first = reinterpret_cast<const char*>(&database.shard(0).mu);
    const auto* last = reinterpret_cast<const char*>(&database.shard(db::kShardCount - 1).mu);
    if (p < first || p > last) continue;
    size_t idx = static_cast<size_t>(p - first) / sizeof(db::Shard);
    SerializeShard(d, database.shard(static_cast<unsigned>(idx)));
    return;
  }
  mu->set_snapshot_pending(false);  // not a keyspace shard: nothing to do
}

void RunSnapshot() {
  State& s = S();
  int64_t start = SystemClock().MonotonicUs();
  for (int d = 0; d < s.ks->size(); ++d) {
    db::Database& database = s.ks->db(d);
    for (unsigned i = 0; i < db::kShardCount; ++i) {
      db::Shard& sh = database.shard(i);
      if (!sh.mu.snapshot_pending()) continue;  // a command got there first
      std::lock_guard lock(sh.mu);              // the hook serializes it
    }
  }
  std::string tail;
  rdb::WriteEof(&tail);
  bool ok;
  std::string error;
  {
    std::lock_guard lock(s.write_mu);
    uint64_t crc = s.checksum ? Crc64(s.crc, tail.data(), tail.size()) : 0;
    tail.append(reinterpret_cast<const char*>(&crc), 8);
    if (!s.failed && !s.sink->Write(tail)) {
      s.failed = true;
      s.error = "write error";
    }
    ok = !s.failed;
    error = s.error;
  }
  LOG_VERBOSE("Snapshot serialized in %.3f seconds",
              static_cast<double>(SystemClock().MonotonicUs() - start) / 1e6);
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

  db::ShardMutex::SetHook(&OnPendingShardLocked);
  s.ks = &server.keyspace();
  s.sink = sink;
  s.wopt.compress = opt.compress;
  s.checksum = opt.checksum;
  {
    std::lock_guard lock(s.write_mu);
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
      sh.mu.set_snapshot_pending(true);
    }
    if (keys == 0) continue;
    // Sizing hints for the loader, as Redis writes them per database.
    rdb::WriteSelectDb(d, &head);
    rdb::WriteResizeDb(keys, expires, &head);
  }
  Emit(head);
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
