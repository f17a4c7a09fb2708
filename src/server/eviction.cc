#include "server/eviction.h"

#include <random>
#include <string>

#include "common/memory.h"
#include "db/access_clock.h"
#include "db/keyspace.h"
#include "server/effects.h"
#include "server/server.h"

namespace basalt::server {
namespace {

enum class Policy { kNoEviction, kLru, kLfu, kRandom, kTtl };

struct Candidate {
  int db = -1;
  std::string key;
  uint64_t score = 0;  // higher evicts first
};

// The allocator's used bytes, refreshed at most once a millisecond per thread:
// reading jemalloc's statistics is too slow to do for every command.
struct UsedMemoryCache {
  int64_t read_us = 0;
  size_t bytes = 0;
  bool stale = true;
};
thread_local UsedMemoryCache t_used;

size_t UsedMemory(int64_t now_us) {
  UsedMemoryCache& c = t_used;
  if (c.stale || now_us - c.read_us >= 1000 || now_us < c.read_us) {
    c.bytes = AllocatedBytes();
    c.read_us = now_us;
    c.stale = false;
  }
  return c.bytes;
}

uint64_t Score(Policy policy, const db::Entry* e, int64_t now_ms, uint64_t random) {
  switch (policy) {
    case Policy::kLru:
      return db::AccessClock::IdleSeconds(e->lru, now_ms);
    case Policy::kLfu:
      return 255 - db::AccessClock::LfuDecayed(e->lru, now_ms);
    case Policy::kTtl:
      return UINT64_MAX - static_cast<uint64_t>(e->expire_ms);
    case Policy::kRandom:
    case Policy::kNoEviction:
      break;
  }
  return random;
}

// Samples up to `samples` keys (with a TTL only, for volatile policies) and
// returns the best one to evict, or a candidate with db == -1.
Candidate Sample(db::Keyspace& ks, Policy policy, bool volatile_only, int samples, int64_t now_ms,
                 std::mt19937_64& rng) {
  Candidate best;
  int found = 0;
  auto consider = [&](int d, const db::Entry* e, uint64_t r) {
    ++found;
    uint64_t score = Score(policy, e, now_ms, r);
    if (best.db < 0 || score > best.score) {
      best.db = d;
      best.key.assign(e->key());
      best.score = score;
    }
  };
  // Bounded: a keyspace with few volatile keys must not spin here.
  for (int attempt = 0; attempt < samples * 16 && found < samples; ++attempt) {
    int d = static_cast<int>(rng() % ks.size());
    unsigned s = static_cast<unsigned>(rng() % db::kShardCount);
    db::Shard& sh = ks.db(d).shard(s);
    std::lock_guard lock(sh.mu);
    if (sh.table.size() == 0 || (volatile_only && sh.expires == 0)) continue;
    uint64_t r = rng();
    db::Entry* e = sh.table.RandomEntry(r);
    if (!e || (volatile_only && !e->has_expire())) continue;
    consider(d, e, r);
  }
  if (found > 0) return best;
  // Few keys (or few with a TTL) over thousands of shards: random probes
  // miss them, yet Redis would find one. Sweep every shard from a random start.
  size_t total = static_cast<size_t>(ks.size()) * db::kShardCount;
  size_t start = rng() % total;
  for (size_t k = 0; k < total && found < samples; ++k) {
    size_t idx = (start + k) % total;
    int d = static_cast<int>(idx / db::kShardCount);
    db::Shard& sh = ks.db(d).shard(static_cast<unsigned>(idx % db::kShardCount));
    std::lock_guard lock(sh.mu);
    if (sh.table.size() == 0 || (volatile_only && sh.expires == 0)) continue;
    uint64_t cursor = 0;
    do {
      cursor = sh.table.Scan(cursor, [&](db::Entry* e) {
        if (found < samples && (!volatile_only || e->has_expire())) consider(d, e, rng());
      });
    } while (cursor != 0 && found < samples);
  }
  return best;
}

}  // namespace

EvictResult PerformEvictions(Server& server, Worker& worker, int64_t now_us) {
  Config& cfg = server.config();
  int64_t limit = cfg.maxmemory.load(std::memory_order_relaxed);
  if (limit <= 0) return EvictResult::kOk;
  size_t used = UsedMemory(now_us);
  if (used <= static_cast<size_t>(limit)) return EvictResult::kOk;

  std::string name = cfg.maxmemory_policy();
  Policy policy = Policy::kNoEviction;
  if (name.ends_with("-lru")) policy = Policy::kLru;
  if (name.ends_with("-lfu")) policy = Policy::kLfu;
  if (name.ends_with("-random")) policy = Policy::kRandom;
  if (name == "volatile-ttl") policy = Policy::kTtl;
  if (policy == Policy::kNoEviction) return EvictResult::kFail;
  bool volatile_only = name.starts_with("volatile-");

  thread_local std::mt19937_64 rng{std::random_device{}()};
  db::Keyspace& ks = server.keyspace();
  int samples = static_cast<int>(cfg.maxmemory_samples.load());
  int64_t now_ms = now_us / 1000;
  size_t to_free = used - static_cast<size_t>(limit);
  size_t freed = 0;
  int evicted = 0;
  // Bounded per command, like Redis's eviction time limit: the next commands continue.
  while (freed < to_free && evicted < 128) {
    Candidate c = Sample(ks, policy, volatile_only, samples, now_ms, rng);
    if (c.db < 0) break;
    db::Database& database = ks.db(c.db);
    db::Shard& sh = database.shard(db::Database::ShardOf(c.key));
    std::lock_guard lock(sh.mu);
    db::Entry* e = sh.table.Find(c.key);
    if (!e) continue;  // gone meanwhile
    freed += e->MemoryUsage();
    database.Evict(c.key);
    FlushEffects(server);  // the DEL reaches the AOF before the shard unlocks
    Bump(worker.stats().evicted_keys);
    ++evicted;
  }
  // The cached figure predates these evictions: the next command within the
  // millisecond would evict again for memory already freed.
  if (evicted > 0) t_used.stale = true;
  if (freed >= to_free) return EvictResult::kOk;
  return evicted > 0 ? EvictResult::kRunning : EvictResult::kFail;
}

}  // namespace basalt::server
