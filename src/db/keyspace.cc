#include "db/keyspace.h"

#include <algorithm>

namespace basalt::db {

Keyspace::Keyspace(int databases) {
  dbs_.reserve(databases);
  for (int i = 0; i < databases; ++i) dbs_.push_back(std::make_unique<Database>(i));
}

void Keyspace::LockAll() {
  for (auto& d : dbs_) {
    for (unsigned s = 0; s < kShardCount; ++s) d->shard(s).mu.lock();
  }
}

void Keyspace::UnlockAll() {
  for (auto& d : dbs_) {
    for (unsigned s = 0; s < kShardCount; ++s) d->shard(s).mu.unlock();
  }
}

void Keyspace::SwapDb(int a, int b, const std::function<void()>& before_swap) {
  if (a == b) return;
  LockSet locks(this);
  locks.AddAllShards(a);
  locks.AddAllShards(b);
  locks.Lock();
  if (before_swap) before_swap();
  dbs_[a]->SwapContentsLocked(*dbs_[b]);
}

void LockSet::AddAllShards(int db) {
  for (unsigned s = 0; s < kShardCount; ++s) Add(db, s);
}

void LockSet::Lock() {
  std::sort(ids_.begin(), ids_.end());
  ids_.erase(std::unique(ids_.begin(), ids_.end()), ids_.end());
  for (uint32_t id : ids_) ks_->db(id >> kShardBits).shard(id & (kShardCount - 1)).mu.lock();
  locked_ = ids_.size();
}

void LockSet::Unlock() {
  for (size_t i = locked_; i > 0; --i) {
    uint32_t id = ids_[i - 1];
    ks_->db(id >> kShardBits).shard(id & (kShardCount - 1)).mu.unlock();
  }
  locked_ = 0;
}

}  // namespace basalt::db
