// All databases, and the lock discipline over their shards.
//
// Deadlock freedom: every lock set is acquired in ascending global order
// (database index, then shard index), and released as a whole.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "db/database.h"

namespace basalt::db {

class Keyspace {
 public:
  explicit Keyspace(int databases);

  int size() const { return static_cast<int>(dbs_.size()); }
  Database& db(int i) { return *dbs_[i]; }

  // Locks every shard of every database (FLUSHALL, SWAPDB, snapshots).
  void LockAll();
  void UnlockAll();
  // Swaps the contents of two databases atomically with respect to every
  // command. `before_swap` runs with both databases locked, just before.
  void SwapDb(int a, int b, const std::function<void()>& before_swap = nullptr);

 private:
  std::vector<std::unique_ptr<Database>> dbs_;
};

// A set of shard locks taken together in global order.
class LockSet {
 public:
  explicit LockSet(Keyspace* ks) : ks_(ks) {}
  ~LockSet() { Unlock(); }
  LockSet(const LockSet&) = delete;
  LockSet& operator=(const LockSet&) = delete;

  void AddKey(int db, std::string_view key) { Add(db, Database::ShardOf(key)); }
  void Add(int db, unsigned shard) { ids_.push_back(static_cast<uint32_t>(db) << kShardBits | shard); }
  void AddAllShards(int db);
  void Lock();
  void Unlock();
  void Clear() {
    Unlock();
    ids_.clear();
  }
  bool empty() const { return ids_.empty(); }

 private:
  Keyspace* ks_;
  std::vector<uint32_t> ids_;
  size_t locked_ = 0;
};

}  // namespace basalt::db
