#include "db/database.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "db/keyspace.h"

namespace basalt::db {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

Entry* Str(std::string_view key, std::string_view value) {
  int64_t iv;
  return Entry::NewString(key, value, ChooseStringEncoding(value, &iv));
}

std::string ValueOf(Entry* e) {
  char buf[kMaxInt64Chars];
  return std::string(e->StringValue(buf));
}

TEST(DatabaseTest, PutReplacesAndKeepsTtlOnlyWhenAsked) {
  Database db(0);
  Entry* e = db.Put(Str("k", "v1"), false);
  db.SetExpire(e, kNow + 1000);
  e = db.Put(Str("k", "v2"), /*keep_ttl=*/true);
  EXPECT_EQ(e->expire_ms, kNow + 1000);
  e = db.Put(Str("k", "v3"), /*keep_ttl=*/false);
  EXPECT_EQ(e->expire_ms, 0);
  EXPECT_EQ(ValueOf(db.Find("k", kNow)), "v3");
  EXPECT_EQ(db.ExpiresAllShards(), 0u);
}

TEST(DatabaseTest, FindExpiresLazily) {
  Database db(0);
  int expired = 0;
  db.SetKeyListener(
      [](Database&, std::string_view, KeyEvent ev, void* arg) {
        if (ev == KeyEvent::kExpired) ++*static_cast<int*>(arg);
      },
      &expired);
  Entry* e = db.Put(Str("k", "v"), false);
  db.SetExpire(e, kNow + 10);
  EXPECT_NE(db.Find("k", kNow + 10), nullptr);  // expires only once its time has passed
  EXPECT_EQ(db.Find("k", kNow + 11), nullptr);
  EXPECT_EQ(expired, 1);
  EXPECT_EQ(db.SizeAllShards(), 0u);
}

TEST(DatabaseTest, ActiveExpiryRemovesOnlyDueKeys) {
  Database db(0);
  for (int i = 0; i < 2000; ++i) {
    Entry* e = db.Put(Str("key:" + std::to_string(i), "v"), false);
    if (i % 2 == 0) db.SetExpire(e, kNow + 5);
  }
  size_t removed = 0;
  for (int round = 0; round < 50; ++round) {
    for (unsigned s = 0; s < kShardCount; ++s) removed += db.ActiveExpireShard(s, kNow + 6, 64);
  }
  EXPECT_EQ(removed, 1000u);
  EXPECT_EQ(db.SizeAllShards(), 1000u);
  EXPECT_EQ(db.ExpiresAllShards(), 0u);
}

TEST(DatabaseTest, IntegersAreStoredAsIntegers) {
  Database db(0);
  Entry* e = db.Put(Str("n", "12345"), false);
  EXPECT_TRUE(e->is_int());
  EXPECT_EQ(ValueOf(e), "12345");
  e = db.Put(Str("s", "012"), false);  // leading zero: not Redis's integer form
  EXPECT_EQ(e->enc, Encoding::kEmbStr);
  e = db.Put(Str("r", std::string(45, 'x')), false);
  EXPECT_EQ(e->enc, Encoding::kRaw);
  EXPECT_EQ(ValueOf(e), std::string(45, 'x'));
  e = db.Put(Str("big", std::string(1000, 'y')), false);
  EXPECT_EQ(ValueOf(e), std::string(1000, 'y'));
}

TEST(DatabaseTest, HashTagsShareAShard) {
  EXPECT_EQ(Database::ShardOf("{user1}.a"), Database::ShardOf("{user1}.b"));
}

TEST(KeyspaceTest, SwapDbSwapsContents) {
  Keyspace ks(2);
  ks.db(0).Put(Str("a", "0"), false);
  ks.db(1).Put(Str("b", "1"), false);
  ks.SwapDb(0, 1);
  EXPECT_EQ(ks.db(0).Find("a", kNow), nullptr);
  EXPECT_NE(ks.db(0).Find("b", kNow), nullptr);
  EXPECT_NE(ks.db(1).Find("a", kNow), nullptr);
}

TEST(KeyspaceTest, LockSetsInAnyOrderExcludeAndDoNotDeadlock) {
  Keyspace ks(2);
  std::vector<std::string> keys;
  for (int i = 0; i < 64; ++i) keys.push_back("k" + std::to_string(i));
  int shared_counter = 0;  // guarded by the shard of "k0" in db 0
  constexpr int kRounds = 2000;
  auto worker = [&](bool reverse) {
    LockSet locks(&ks);
    for (int round = 0; round < kRounds; ++round) {
      for (int i = 0; i < 4; ++i) {
        int idx = reverse ? 63 - ((round + i * 7) % 64) : (round + i * 5) % 64;
        locks.AddKey(i % 2, keys[idx]);
      }
      locks.AddKey(0, "k0");
      locks.Lock();
      ++shared_counter;
      locks.Clear();
    }
  };
  std::thread a(worker, false), b(worker, true);
  a.join();
  b.join();
  EXPECT_EQ(shared_counter, 2 * kRounds);
}

}  // namespace
}  // namespace basalt::db
