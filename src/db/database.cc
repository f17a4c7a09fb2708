#include "db/database.h"

#include "db/access_clock.h"

namespace basalt::db {

bool Database::ExpireIfNeeded(Shard& sh, Entry* e, int64_t now_ms) {
  // As Redis's keyIsExpired: a key is expired once now has passed its time.
  if (e->expire_ms == 0 || e->expire_ms >= now_ms) return false;
  std::string_view key = e->key();
  if (listener_) listener_(*this, key, KeyEvent::kExpired, listener_arg_);
  Entry* gone = sh.table.Unlink(key);
  --sh.expires;
  Entry::Free(gone);
  return true;
}

Entry* Database::Find(std::string_view key, int64_t now_ms) {
  Shard& sh = shards_[ShardOf(key)];
  Entry* e = sh.table.Find(key);
  if (e && ExpireIfNeeded(sh, e, now_ms)) return nullptr;
  return e;
}

Entry* Database::Put(Entry* fresh, bool keep_ttl) {
  Shard& sh = shards_[ShardOf(fresh->key())];
  Entry* old = sh.table.Find(fresh->key());
  if (!old) {
    if (keep_ttl) fresh->expire_ms = 0;  // nothing to keep
    Add(fresh);
    return fresh;
  }
  // An overwrite keeps the access frequency, as Redis's dbOverwrite does.
  if (AccessClock::lfu()) fresh->lru = old->lru;
  if (keep_ttl) {
    fresh->expire_ms = old->expire_ms;
  } else {
    if (old->expire_ms) --sh.expires;
    if (fresh->expire_ms) ++sh.expires;
  }
  sh.table.Replace(old, fresh);
  Entry::Free(old);
  return fresh;
}

void Database::Add(Entry* fresh) {
  Shard& sh = shards_[ShardOf(fresh->key())];
  if (fresh->expire_ms) ++sh.expires;
  sh.table.Insert(fresh);
  if (listener_) listener_(*this, fresh->key(), KeyEvent::kAdded, listener_arg_);
}

bool Database::Delete(std::string_view key) {
  Entry* e = Take(key);
  if (!e) return false;
  Entry::Free(e);
  return true;
}

void Database::Evict(std::string_view key) {
  if (listener_) listener_(*this, key, KeyEvent::kEvicted, listener_arg_);
  Delete(key);
}

Entry* Database::Take(std::string_view key) {
  Shard& sh = shards_[ShardOf(key)];
  Entry* e = sh.table.Unlink(key);
  if (e && e->expire_ms) --sh.expires;
  return e;
}

void Database::SetExpire(Entry* e, int64_t at_ms) {
  Shard& sh = shards_[ShardOf(e->key())];
  if (!e->expire_ms) ++sh.expires;
  e->expire_ms = at_ms;
}

void Database::ClearExpire(Entry* e) {
  if (!e->expire_ms) return;
  --shards_[ShardOf(e->key())].expires;
  e->expire_ms = 0;
}

void Database::AddWaiter(std::string_view key, KeyWaiter* w) {
  Shard& sh = shards_[ShardOf(key)];
  if (!sh.waiters) sh.waiters = std::make_unique<WaitQueues>();
  std::deque<KeyWaiter*>& q = sh.waiters->by_key[std::string(key)];
  for (KeyWaiter* x : q) {
    if (x == w) return;
  }
  if (q.empty()) waited_keys_.fetch_add(1, std::memory_order_relaxed);
  q.push_back(w);
}

void Database::RemoveWaiter(std::string_view key, KeyWaiter* w) {
  Shard& sh = shards_[ShardOf(key)];
  if (!sh.waiters) return;
  auto it = sh.waiters->by_key.find(std::string(key));
  if (it == sh.waiters->by_key.end()) return;
  std::deque<KeyWaiter*>& q = it->second;
  for (auto qi = q.begin(); qi != q.end(); ++qi) {
    if (*qi == w) {
      q.erase(qi);
      break;
    }
  }
  if (q.empty()) {
    sh.waiters->by_key.erase(it);
    waited_keys_.fetch_sub(1, std::memory_order_relaxed);
  }
}

void Database::SignalIfReady(std::string_view key, int64_t now_ms) {
  Shard& sh = shards_[ShardOf(key)];
  if (!sh.waiters || sh.waiters->by_key.empty()) return;
  auto it = sh.waiters->by_key.find(std::string(key));
  if (it == sh.waiters->by_key.end()) return;
  Entry* e = Find(key, now_ms);
  if (!e) return;
  for (KeyWaiter* w : it->second) {
    if (w->wants() == e->type) {
      w->Signal(key);
      return;
    }
  }
}

size_t Database::SizeAllShards() {
  size_t n = 0;
  for (Shard& sh : shards_) {
    std::lock_guard lock(sh.mu);
    n += sh.table.size();
  }
  return n;
}

size_t Database::ExpiresAllShards() {
  size_t n = 0;
  for (Shard& sh : shards_) {
    std::lock_guard lock(sh.mu);
    n += sh.expires;
  }
  return n;
}

void Database::FlushAllShards() {
  for (Shard& sh : shards_) {
    std::lock_guard lock(sh.mu);
    sh.table.Clear();
    sh.expires = 0;
  }
}

void Database::ClearLocked() {
  for (Shard& sh : shards_) {
    sh.table.Clear();
    sh.expires = 0;
  }
}

void Database::SwapContentsLocked(Database& other) {
  for (unsigned i = 0; i < kShardCount; ++i) {
    shards_[i].table.Swap(other.shards_[i].table);
    std::swap(shards_[i].expires, other.shards_[i].expires);
    std::swap(shards_[i].expire_cursor, other.shards_[i].expire_cursor);
  }
}

size_t Database::ActiveExpireShard(unsigned shard, int64_t now_ms, int max_buckets) {
  Shard& sh = shards_[shard];
  if (sh.expires == 0) return 0;
  sh.table.RehashStep(1);
  // Collect first: deleting while scanning a chain would invalidate it.
  Entry* expired[64];
  size_t found = 0, total = 0;
  uint64_t cursor = sh.expire_cursor;
  for (int i = 0; i < max_buckets; ++i) {
    cursor = sh.table.Scan(cursor, [&](Entry* e) {
      if (found < 64 && e->expire_ms && e->expire_ms < now_ms) expired[found++] = e;
    });
    if (found == 64 || cursor == 0) break;
  }
  sh.expire_cursor = cursor;
  for (size_t i = 0; i < found; ++i) {
    if (ExpireIfNeeded(sh, expired[i], now_ms)) ++total;
  }
  return total;
}

}  // namespace basalt::db
