#include "server/transaction.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "common/strutil.h"
#include "db/database.h"
#include "server/client.h"
#include "server/effects.h"
#include "server/server.h"

namespace basalt::server {
namespace {

constexpr std::string_view kExecAbortPrevious =
    "EXECABORT Transaction discarded because of previous errors.";

// ---------------------------------------------------------------- registry

struct KeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view k) const { return std::hash<std::string_view>()(k); }
};

// The watchers of one shard's keys, in WATCH order. Guarded by the shard lock.
struct ShardWatches {
  std::unordered_map<std::string, std::vector<WatchedKey*>, KeyHash, std::equal_to<>> by_key;
};

struct DbWatches {
  std::unique_ptr<ShardWatches> shards[db::kShardCount];  // created under the shard lock
};

// Sized by the number of databases at the first WATCH and kept for the
// process's life; published with release so every thread sees it built.
std::once_flag g_registry_once;
std::atomic<DbWatches*> g_registry{nullptr};

void EnsureRegistry(int databases) {
  std::call_once(g_registry_once, [databases] {
    g_registry.store(new DbWatches[static_cast<size_t>(databases)], std::memory_order_release);
  });
}

ShardWatches* WatchesOf(int db, std::string_view key, bool create) {
  DbWatches* dbs = g_registry.load(std::memory_order_acquire);
  if (!dbs) return nullptr;
  std::unique_ptr<ShardWatches>& sw = dbs[db].shards[db::Database::ShardOf(key)];
  if (!sw && create) sw = std::make_unique<ShardWatches>();
  return sw.get();
}

// Redis's keyIsExpired: present in the table (not yet removed) and past its time.
bool EntryExpired(const db::Entry* e, int64_t now_ms) {
  return e && e->expire_ms != 0 && e->expire_ms < now_ms;
}

db::Entry* RawFind(db::Database& d, std::string_view key) {
  return d.shard(db::Database::ShardOf(key)).table.Find(key);
}

TxnState& EnsureTxn(Client& c) {
  if (!c.txn) c.txn = std::make_unique<TxnState>();
  return *c.txn;
}

// Removes every watch of `t`; the caller holds the watched keys' shard locks.
void UnwatchAllLocked(TxnState& t) {
  for (const auto& wk : t.watched) {
    ShardWatches* sw = WatchesOf(wk->db, wk->key, false);
    if (!sw) continue;
    auto it = sw->by_key.find(std::string_view(wk->key));
    if (it == sw->by_key.end()) continue;
    std::vector<WatchedKey*>& list = it->second;
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i] == wk.get()) {
        list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
    }
    if (list.empty()) sw->by_key.erase(it);
    g_watched_key_count.fetch_sub(1, std::memory_order_relaxed);
  }
  t.watched.clear();
}

// Locks the watched keys' shards itself: call with no shard lock held.
void UnwatchAll(Client& c) {
  if (!c.txn || c.txn->watched.empty()) return;
  db::LockSet locks(&c.worker()->server()->keyspace());
  for (const auto& wk : c.txn->watched) locks.AddKey(wk->db, wk->key);
  locks.Lock();
  UnwatchAllLocked(*c.txn);
}

void ResetMultiState(Client& c) {
  c.multi = false;
  if (!c.txn) return;
  TxnState& t = *c.txn;
  t.queue.clear();
  t.queue.shrink_to_fit();
  t.queued_flags = 0;
  t.argv_bytes = 0;
  t.dirty_exec = false;
  t.dirty_cas.store(false, std::memory_order_relaxed);
}

// isWatchedKeyExpired: a watched key that was alive at WATCH and is now
// logically expired (not yet removed) fails the EXEC. Shard locks held.
bool WatchedKeyExpired(TxnState& t, db::Keyspace& ks, int64_t now_ms) {
  for (const auto& wk : t.watched) {
    if (wk->expired) continue;
    if (EntryExpired(RawFind(ks.db(wk->db), wk->key), now_ms)) return true;
  }
  return false;
}

// StopTheWorld's state (defined below).
std::mutex g_stw_mu;                      // one stopper at a time
std::atomic<Worker*> g_stopper{nullptr};  // the worker that parked the others

}  // namespace

struct StopTheWorld::ParkState {
  std::mutex mu;
  std::condition_variable cv;
  size_t parked = 0;
  bool released = false;
};

namespace {

bool IsSelect(const CommandSpec* spec) { return spec->name == "select"; }

}  // namespace

// ---------------------------------------------------------------- dispatcher side

bool RunsInsideMulti(const CommandSpec* spec) {
  const std::string& n = spec->name;
  return n == "exec" || n == "discard" || n == "multi" || n == "watch" || n == "quit" ||
         n == "reset";
}

void QueueCommand(Client& c, const CommandSpec* spec, const ArgList& args) {
  TxnState& t = EnsureTxn(c);
  // An aborted transaction keeps answering QUEUED without keeping anything.
  if (!t.dirty_exec && !t.dirty_cas.load(std::memory_order_relaxed)) {
    QueuedCommand q{spec, {}};
    q.argv.reserve(args.size());
    for (std::string_view a : args) {
      q.argv.emplace_back(a);
      t.argv_bytes += a.size() + sizeof(void*);  // as Redis's argv_len_sums
    }
    t.queue.push_back(std::move(q));
    t.queued_flags |= spec->flags;
  }
  c.rb().SimpleString("QUEUED");
}

bool OnCommandRejected(Client& c, const CommandSpec* spec, std::string_view msg) {
  if (c.multi) EnsureTxn(c).dirty_exec = true;
  if (!spec || spec->name != "exec") return false;
  // Redis's execCommandAbort: even outside MULTI, a rejected EXEC answers so.
  DiscardTransaction(c);
  if (msg.substr(0, 4) == "ERR ") msg.remove_prefix(4);
  std::string text = "EXECABORT Transaction discarded because of: ";
  text.append(msg);
  c.rb().Error(text);
  return true;
}

uint32_t EffectiveFlags(const Client& c, const CommandSpec* spec) {
  uint32_t f = spec->flags;
  if (!c.multi) return f;
  const std::string& n = spec->name;
  if (n == "exec") {
    if (c.txn) f |= c.txn->queued_flags;
  } else if (n != "discard" && n != "quit" && n != "reset") {
    f |= kDenyOom;  // queueing takes memory: refused under OOM like a write
  }
  return f;
}

// ---------------------------------------------------------------- client state

void DiscardTransaction(Client& c) {
  // Unwatch first: until then another worker may still mark us dirty.
  UnwatchAll(c);
  ResetMultiState(c);
}

int64_t QueuedCount(const Client& c) {
  if (!c.multi) return -1;
  return c.txn ? static_cast<int64_t>(c.txn->queue.size()) : 0;
}

bool DirtyCas(const Client& c) { return c.txn && c.txn->dirty_cas.load(std::memory_order_relaxed); }

size_t MultiMemory(const Client& c) {
  if (!c.txn) return 0;
  // Redis 7.0 counts the queued arguments only.
  return c.txn->argv_bytes;
}

// ---------------------------------------------------------------- touching

void TouchWatchedKey(db::Database& db, std::string_view key, bool removed) {
  if (!AnyWatchedKeys()) return;
  ShardWatches* sw = WatchesOf(db.index(), key, false);
  if (!sw) return;
  auto it = sw->by_key.find(key);
  if (it == sw->by_key.end()) return;
  for (WatchedKey* wk : it->second) {
    TxnState* owner = wk->owner;
    // Redis drops a dirty client's watches at once; here they stay until its
    // EXEC/UNWATCH, so they must not count.
    if (owner->dirty_cas.load(std::memory_order_relaxed)) continue;
    if (wk->expired) {
      // Watched while already expired: its removal is no logical change.
      if (removed || !RawFind(db, key)) {
        wk->expired = false;
        continue;
      }
      break;  // as Redis 7.0 does: the remaining watchers are left untouched
    }
    owner->dirty_cas.store(true, std::memory_order_relaxed);
  }
}

void TouchAllWatchedKeysInDb(db::Keyspace& ks, int emptied, int replaced_with, int64_t now_ms) {
  if (!AnyWatchedKeys()) return;
  DbWatches* dbs = g_registry.load(std::memory_order_acquire);
  if (!dbs) return;
  db::Database& from = ks.db(emptied);
  db::Database* with = replaced_with >= 0 ? &ks.db(replaced_with) : nullptr;
  for (unsigned s = 0; s < db::kShardCount; ++s) {
    ShardWatches* sw = dbs[emptied].shards[s].get();
    if (!sw) continue;
    for (auto& [key, list] : sw->by_key) {
      bool exists_in_emptied = from.shard(s).table.Find(key) != nullptr;
      db::Entry* replacement = with ? with->shard(s).table.Find(key) : nullptr;
      if (!exists_in_emptied && !replacement) continue;
      for (WatchedKey* wk : list) {
        TxnState* owner = wk->owner;
        if (owner->dirty_cas.load(std::memory_order_relaxed)) continue;
        if (wk->expired) {
          if (!replacement) {
            wk->expired = false;  // the expired key is gone: no logical change
            continue;
          }
          if (EntryExpired(replacement, now_ms)) continue;  // still expired
        } else if (!exists_in_emptied && EntryExpired(replacement, now_ms)) {
          wk->expired = true;  // a missing key became an expired one
          continue;
        }
        owner->dirty_cas.store(true, std::memory_order_relaxed);
      }
    }
  }
}

// ---------------------------------------------------------------- handlers' side

void WatchKeys(Client& c, db::Database& db, const ArgList& args, int64_t now_ms) {
  TxnState& t = EnsureTxn(c);
  if (t.dirty_cas.load(std::memory_order_relaxed)) return;  // EXEC fails anyway
  EnsureRegistry(c.worker()->server()->keyspace().size());
  int dbi = db.index();
  for (size_t i = 1; i < args.size(); ++i) {
    std::string_view key = args[i];
    bool already = false;
    for (const auto& wk : t.watched) {
      if (wk->db == dbi && wk->key == key) {
        already = true;
        break;
      }
    }
    if (already) continue;
    auto wk = std::make_unique<WatchedKey>(
        WatchedKey{&t, dbi, std::string(key), EntryExpired(RawFind(db, key), now_ms)});
    WatchesOf(dbi, key, true)->by_key[std::string(key)].push_back(wk.get());
    // Counted under the shard lock: a writer of this key that runs after us
    // (under the same lock) sees the count.
    g_watched_key_count.fetch_add(1, std::memory_order_relaxed);
    t.watched.push_back(std::move(wk));
  }
}

void ExecTransaction(CommandContext& ctx) {
  Client& c = *ctx.client;
  Server& server = *ctx.server;
  db::Keyspace& ks = server.keyspace();
  protocol::ReplyBuilder& rb = *ctx.rb;
  if (!c.multi) {
    rb.Error("ERR EXEC without MULTI");
    return;
  }
  TxnState& t = EnsureTxn(c);
  if (t.dirty_exec) {
    rb.Error(kExecAbortPrevious);
    DiscardTransaction(c);
    return;
  }
  if (t.dirty_cas.load(std::memory_order_relaxed)) {
    rb.NullArray();
    DiscardTransaction(c);
    return;
  }
  // Left in place while it runs: CLIENT LIST inside EXEC still counts it.
  const std::vector<QueuedCommand>& queue = t.queue;

  // Where each command runs (a queued SELECT moves the ones after it), and
  // whether the transaction needs every shard or the other workers parked.
  std::vector<int> dbs(queue.size());
  bool all_shards = false;
  int cur = c.db_index;
  for (size_t i = 0; i < queue.size(); ++i) {
    const CommandSpec* spec = queue[i].spec;
    dbs[i] = cur;
    // Keyspace-wide commands lock shards themselves; keyless slow ones (INFO,
    // CLIENT, CONFIG, DEBUG, scripts through redis.call ...) may read any
    // shard or ask every worker for its part.
    bool keyless = spec->keys.first <= 0 && !spec->key_finder;
    if ((spec->flags & kKeyspaceWide) || (keyless && !(spec->flags & kFast))) all_shards = true;
    if (IsSelect(spec)) {
      int64_t idx;
      if (ParseInt64(queue[i].argv[1], &idx) && idx >= 0 && idx < ks.size()) {
        cur = static_cast<int>(idx);
      }
    }
  }

  // Holding every shard, we must not wait on a worker that waits on a shard:
  // park them all first (their share of RunOnAllWorkers then runs here).
  std::optional<StopTheWorld> stop;
  if (all_shards && server.workers().size() > 1) stop.emplace(server);
  db::LockSet locks(&ks);
  std::optional<db::HoldAllShards> hold;
  std::vector<int> key_idx;
  if (all_shards) {
    ks.LockAll();
    hold.emplace();
  } else {
    for (size_t i = 0; i < queue.size(); ++i) {
      ArgList argv(queue[i].argv.begin(), queue[i].argv.end());
      key_idx.clear();
      queue[i].spec->GetKeys(argv, &key_idx);
      for (int k : key_idx) locks.AddKey(dbs[i], argv[static_cast<size_t>(k)]);
    }
    for (const auto& wk : t.watched) locks.AddKey(wk->db, wk->key);
    locks.Lock();
  }

  bool dirty = t.dirty_cas.load(std::memory_order_relaxed) || WatchedKeyExpired(t, ks, ctx.now_ms);
  UnwatchAllLocked(t);
  if (dirty) {
    rb.NullArray();
  } else {
    c.deny_blocking = true;
    rb.ArrayHeader(queue.size());
    for (size_t i = 0; i < queue.size(); ++i) {
      const QueuedCommand& q = queue[i];
      ArgList argv(q.argv.begin(), q.argv.end());
      if (c.db_index != dbs[i]) {
        // Cannot happen (SELECT is simulated exactly); never run unlocked.
        if (!all_shards) {
          rb.Error("ERR database changed unexpectedly inside the transaction");
          continue;
        }
      }
      if (all_shards) {
        // Our locks were taken before any command ran; a snapshot started
        // by an earlier command (BGSAVE) must still see each shard before
        // it changes: "locking" it again under HoldAllShards runs that hook.
        key_idx.clear();
        q.spec->GetKeys(argv, &key_idx);
        for (int k : key_idx) {
          db::ShardMutex& mu =
              ks.db(c.db_index).shard(db::Database::ShardOf(argv[static_cast<size_t>(k)])).mu;
          mu.lock();
          mu.unlock();
        }
      }
      CommandContext cctx{&c, &server, &rb, &ks.db(c.db_index), ctx.now_ms, q.spec};
      server.Call(cctx, argv);
    }
    c.deny_blocking = false;
    // Replicas and the AOF receive the writes as one MULTI/EXEC block.
    EffectBatch& batch = PendingEffects();
    if (batch.records.size() > 1) batch.transaction = true;
    FlushEffects(server);
    // EXEC succeeded even if a queued command failed.
    rb.ResetErrorState();
  }
  hold.reset();
  if (all_shards) ks.UnlockAll();
  locks.Clear();
  ResetMultiState(c);
}

// ---------------------------------------------------------------- stop the world

StopTheWorld::StopTheWorld(Server& server) {
  Worker* self = Worker::Current();
  // Another worker may be stopping the world: serve our inbox so it can
  // park us meanwhile.
  while (!g_stw_mu.try_lock()) {
    if (self) self->loop().DrainInbox();
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  state_ = std::make_shared<ParkState>();
  size_t others = 0;
  for (auto& w : server.workers()) {
    if (w.get() == self) continue;
    ++others;
    w->loop().Post([st = state_] {
      std::unique_lock lock(st->mu);
      ++st->parked;
      st->cv.notify_all();
      st->cv.wait(lock, [&] { return st->released; });
    });
  }
  // No need to serve our own inbox here: a worker only waits for us in
  // RunOnAllWorkers or in the loop above, and both serve their inbox.
  std::unique_lock lock(state_->mu);
  state_->cv.wait(lock, [&] { return state_->parked == others; });
  g_stopper.store(self, std::memory_order_release);
}

StopTheWorld::~StopTheWorld() {
  g_stopper.store(nullptr, std::memory_order_release);
  {
    std::lock_guard lock(state_->mu);
    state_->released = true;
  }
  state_->cv.notify_all();
  g_stw_mu.unlock();
}

bool WorldStoppedByCurrentThread() {
  Worker* self = Worker::Current();
  return self && g_stopper.load(std::memory_order_acquire) == self;
}

}  // namespace basalt::server
