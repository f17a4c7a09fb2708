// One logical database (SELECT index): a fixed array of shards, each a hash
// table guarded by its own mutex. A key's shard comes from its Redis Cluster
// hash slot, so keys sharing a {tag} share a shard.
//
// Locking contract: every method that takes a key requires the caller to hold
// that key's shard lock (the dispatcher takes it before the handler runs).
// Methods named *AllShards lock shard by shard themselves and must be called
// with no shard lock held.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "db/entry.h"
#include "db/table.h"

namespace basalt::db {

inline constexpr unsigned kShardBits = 8;
inline constexpr unsigned kShardCount = 1u << kShardBits;

// What happened to a key, for watchers, notifications and the AOF.
// kAdded: a key was created (Redis's dbAdd), for the "new" notification.
enum class KeyEvent { kExpired, kDeleted, kEvicted, kAdded };

// A client blocked on keys (BLPOP, BZPOPMIN ...) as the keyspace sees it:
// queued FIFO on each key in that key's shard. The server implements Signal.
class KeyWaiter {
 public:
  explicit KeyWaiter(ObjType wants) : wants_(wants) {}
  virtual ~KeyWaiter() = default;
  ObjType wants() const { return wants_; }
  // `key` now holds a value of wants(). Called with the key's shard lock
  // held, from any thread: must not block or take shard locks.
  virtual void Signal(std::string_view key) = 0;

 private:
  ObjType wants_;
};

struct WaitQueues {
  std::unordered_map<std::string, std::deque<KeyWaiter*>> by_key;
};

// Set on a thread that holds every shard lock of every database (an EXEC
// that runs keyspace-wide commands, server/transaction.h): locking a shard is
// then a no-op on that thread, so the commands that lock shards themselves
// (FLUSHALL, KEYS, SWAPDB ...) can run inside it.
inline thread_local bool t_hold_all_shards = false;

// Scope of t_hold_all_shards; the caller has locked every shard before.
class HoldAllShards {
 public:
  HoldAllShards() { t_hold_all_shards = true; }
  ~HoldAllShards() { t_hold_all_shards = false; }
  HoldAllShards(const HoldAllShards&) = delete;
  HoldAllShards& operator=(const HoldAllShards&) = delete;
};

// A shard's mutex. Unlocking is where effects recorded under the lock reach
// the AOF; under HoldAllShards, locking and unlocking are no-ops on the
// thread that holds every shard. (A snapshot needs no hook here: it captures
// at the table, db/table.h.)
class ShardMutex {
 public:
  void lock() {
    if (!t_hold_all_shards) [[likely]]
      mu_.lock();
  }
  bool try_lock() { return t_hold_all_shards || mu_.try_lock(); }
  void unlock() {
    if (!t_hold_all_shards) [[likely]] {
      // Effects recorded under this lock go to the AOF before anyone else
      // can change the shard (the server installs it with an effect sink).
      if (UnlockHook u = unlock_hook_.load(std::memory_order_relaxed)) [[unlikely]]
        u();
      mu_.unlock();
    }
  }
  using UnlockHook = void (*)();
  static void SetUnlockHook(UnlockHook h) { unlock_hook_.store(h, std::memory_order_release); }

 private:
  static inline std::atomic<UnlockHook> unlock_hook_{nullptr};
  std::mutex mu_;
};

struct alignas(64) Shard {
  ShardMutex mu;
  Table table;
  size_t expires = 0;                   // entries with a TTL
  uint64_t expire_cursor = 0;           // active-expiry scan position
  std::unique_ptr<WaitQueues> waiters;  // allocated on first use
};

class Database {
 public:
  explicit Database(int index) : index_(index) {}
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  int index() const { return index_; }
  static unsigned ShardOf(std::string_view key) { return KeyHashSlot(key) & (kShardCount - 1); }
  Shard& shard(unsigned i) { return shards_[i]; }

  // --- Lookups (shard lock held). Expired keys are deleted on the way. ---
  Entry* Find(std::string_view key, int64_t now_ms);

  // Starts loading the memory a lookup of `key` will touch. No lock needed:
  // the request loop calls it for the next pipelined command while running this one.
  void Prefetch(std::string_view key) const {
    shards_[ShardOf(key)].table.PrefetchBucket(HashKey(key));
  }

  // --- Mutations (shard lock held). Returned entries replace any pointer the
  // caller held to the key's previous entry. ---
  // Stores `fresh` under its key, replacing (and freeing) any existing entry.
  // With `keep_ttl` the key keeps the old entry's TTL (none if it was new);
  // otherwise it gets fresh->expire_ms (0: none).
  Entry* Put(Entry* fresh, bool keep_ttl);
  // Adds an entry whose key is known to be absent.
  void Add(Entry* fresh);
  bool Delete(std::string_view key);
  // Removes a key to free memory (maxmemory), telling the key listener.
  void Evict(std::string_view key);
  // Unlinks without freeing (RENAME, MOVE); the caller owns the result.
  Entry* Take(std::string_view key);
  void SetExpire(Entry* e, int64_t at_ms);
  void ClearExpire(Entry* e);

  // --- Blocked clients' waiter queues (shard lock of `key` held). ---
  // Appends `w` to key's queue unless already queued (a re-run keeps its place).
  void AddWaiter(std::string_view key, KeyWaiter* w);
  void RemoveWaiter(std::string_view key, KeyWaiter* w);
  // Signals the first waiter of `key` wanting the type `key` now holds.
  void SignalIfReady(std::string_view key, int64_t now_ms);
  bool HasWaiters(std::string_view key) {
    // Most databases have no blocked client: skip hashing the key then.
    if (waited_keys_.load(std::memory_order_relaxed) == 0) return false;
    const Shard& sh = shards_[ShardOf(key)];
    return sh.waiters && !sh.waiters->by_key.empty();
  }

  // --- Whole-database operations; they lock shard by shard. ---
  size_t SizeAllShards();
  size_t ExpiresAllShards();
  void FlushAllShards();  // requires no locks held

  // With every shard of both databases locked by the caller (Keyspace::SwapDb).
  void SwapContentsLocked(Database& other);
  // With every shard locked by the caller.
  void ClearLocked();

  // Removes expired keys from one shard, visiting at most `max_buckets`
  // buckets. Requires that shard's lock. Returns keys expired.
  size_t ActiveExpireShard(unsigned shard, int64_t now_ms, int max_buckets);

  // Called (with the shard lock held) for each key that expires or is
  // deleted by the server itself; used by notifications and the AOF.
  using KeyListener = void (*)(Database& db, std::string_view key, KeyEvent ev, void* arg);
  void SetKeyListener(KeyListener fn, void* arg) {
    listener_ = fn;
    listener_arg_ = arg;
  }

 private:
  bool ExpireIfNeeded(Shard& sh, Entry* e, int64_t now_ms);

  std::atomic<size_t> waited_keys_{0};  // keys with waiters, over all shards
  int index_;
  Shard shards_[kShardCount];
  KeyListener listener_ = nullptr;
  void* listener_arg_ = nullptr;
};

}  // namespace basalt::db
