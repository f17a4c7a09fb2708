// The RDB codecs: CRC64, lengths, strings (int, LZF, raw), the container
// blobs (listpack, ziplist, zipmap, intset), whole values through
// serialize → read for every type and encoding, DUMP payloads byte-for-byte
// as redis-server 7.0 writes them, and corrupt input at every offset.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "db/hash.h"
#include "db/keyspace.h"
#include "db/list.h"
#include "db/set.h"
#include "db/zset.h"
#include "persist/crc64.h"
#include "persist/rdb_blobs.h"
#include "persist/rdb_codec.h"
#include "persist/rdb_dump.h"
#include "persist/rdb_format.h"
#include "persist/rdb_reader.h"
#include "persist/rdb_writer.h"
#include "server/command.h"

namespace basalt::persist::rdb {
namespace {

// The aggregate types' destroy/clone hooks are registered with their command
// families, as in the server.
const bool kTypesRegistered = [] {
  static server::CommandRegistry registry;
  server::RegisterAllFamilies(registry);
  return true;
}();

std::string Hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// Owns an entry for the test's lifetime.
struct EntryPtr {
  db::Entry* e;
  explicit EntryPtr(db::Entry* p) : e(p) {}
  ~EntryPtr() {
    if (e) db::Entry::Free(e);
  }
  EntryPtr(const EntryPtr&) = delete;
  EntryPtr& operator=(const EntryPtr&) = delete;
};

// A value as text, independent of its encoding: the comparison oracle.
std::vector<std::string> Contents(const db::Entry& e) {
  std::vector<std::string> out;
  char buf[kMaxInt64Chars];
  switch (e.type) {
    case db::ObjType::kString:
      out.emplace_back(e.StringValue(buf));
      break;
    case db::ObjType::kList: {
      const auto* l = e.As<db::List>();
      l->ForEach(0, l->size() - 1, [&](std::string_view v) {
        out.emplace_back(v);
        return true;
      });
      break;
    }
    case db::ObjType::kSet:
      e.As<db::Set>()->ForEach([&](std::string_view m) { out.emplace_back(m); });
      std::sort(out.begin(), out.end());
      break;
    case db::ObjType::kHash:
      db::Hash(e.object()).ForEach([&](std::string_view f, std::string_view v) {
        out.push_back(std::string(f) + "=" + std::string(v));
      });
      std::sort(out.begin(), out.end());
      break;
    case db::ObjType::kZSet:
      e.As<db::ZSet>()->ForEach([&](std::string_view m, double s) {
        out.push_back(std::string(m) + "@" + std::to_string(s));
      });
      break;
    default:
      break;
  }
  return out;
}

db::Entry* RoundTrip(const db::Entry& e, const LoadLimits& lim = {}) {
  std::string out;
  SerializeValue(e, WriteOptions{}, &out);
  Cursor c(out.data(), out.size());
  uint8_t type;
  EXPECT_TRUE(c.ReadByte(&type));
  bool empty;
  db::Entry* back = ReadObject(c, type, e.key(), lim, &empty);
  EXPECT_TRUE(back) << c.error();
  EXPECT_EQ(c.remaining(), 0u);
  return back;
}

// ---------------------------------------------------------------- primitives

TEST(Crc64Test, KnownVectorAndIncremental) {
  EXPECT_EQ(Crc64(0, "123456789", 9), 0xe9c6d914c4b8d9caULL);
  std::string data(1000, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  uint64_t whole = Crc64(0, data.data(), data.size());
  for (size_t split : {1, 7, 8, 9, 500, 999}) {
    EXPECT_EQ(Crc64(Crc64(0, data.data(), split), data.data() + split, data.size() - split), whole);
  }
}

TEST(RdbCodecTest, LengthsRoundTripAtEveryBoundary) {
  for (uint64_t v :
       {0ull, 63ull, 64ull, 16383ull, 16384ull, 0xffffffffull, 0x100000000ull, ~0ull}) {
    std::string out;
    PutLength(&out, v);
    size_t expect = v < 64 ? 1 : v < 16384 ? 2 : v <= 0xffffffffull ? 5 : 9;
    EXPECT_EQ(out.size(), expect) << v;
    Cursor c(out.data(), out.size());
    uint64_t back;
    ASSERT_TRUE(c.ReadLength(&back));
    EXPECT_EQ(back, v);
  }
}

TEST(RdbCodecTest, StringEncodings) {
  std::string out;
  PutString(&out, "12", true);
  EXPECT_EQ(out, Hex("c00c"));  // int8, as Redis
  out.clear();
  PutString(&out, "-70000", true);
  EXPECT_EQ(out.size(), 5u);  // int32
  out.clear();
  PutString(&out, "012", true);  // not canonical: stays text
  EXPECT_EQ(out, Hex("03") + "012");
  out.clear();
  PutString(&out, std::string(100, 'a'), true);
  EXPECT_EQ(out, Hex("c3094064016161e0570001616161").substr(0, out.size()));
  for (const std::string& s :
       {std::string(), std::string("x"), std::string("12345678901"), std::string("123456789012"),
        std::string(5000, 'q'), std::string("9223372036854775807")}) {
    for (bool compress : {false, true}) {
      std::string buf;
      PutString(&buf, s, compress);
      Cursor c(buf.data(), buf.size());
      std::string back;
      ASSERT_TRUE(c.ReadString(&back)) << c.error();
      EXPECT_EQ(back, s);
      EXPECT_EQ(c.remaining(), 0u);
    }
  }
}

TEST(RdbCodecTest, TruncatedReadsFailWithOffset) {
  std::string buf;
  PutString(&buf, std::string(300, 'z'), false);
  Cursor c(buf.data(), 100, 1000);
  std::string s;
  EXPECT_FALSE(c.ReadString(&s));
  EXPECT_NE(c.error().find("at offset 100"), std::string::npos) << c.error();
}

TEST(RdbCodecTest, StringDoubles) {
  for (auto [text, expect] : std::vector<std::pair<std::string, double>>{
           {Hex("fe"), INFINITY}, {Hex("ff"), -INFINITY}, {Hex("03") + "2.5", 2.5}}) {
    Cursor c(text.data(), text.size());
    double d;
    ASSERT_TRUE(c.ReadStringDouble(&d));
    EXPECT_EQ(d, expect);
  }
  std::string nan = Hex("fd");
  Cursor c(nan.data(), nan.size());
  double d;
  ASSERT_TRUE(c.ReadStringDouble(&d));
  EXPECT_TRUE(std::isnan(d));
}

// ---------------------------------------------------------------- blobs

TEST(RdbBlobsTest, ListpackIntegerWidthsAndStringLengths) {
  std::vector<std::string> items = {"0",
                                    "127",
                                    "128",
                                    "-1",
                                    "4095",
                                    "-4096",
                                    "4096",
                                    "32767",
                                    "-32768",
                                    "8388607",
                                    "-8388608",
                                    "2147483647",
                                    "-2147483648",
                                    "9223372036854775807",
                                    "-9223372036854775808",
                                    "",
                                    "abc",
                                    std::string(63, 'a'),
                                    std::string(64, 'b'),
                                    std::string(4095, 'c'),
                                    std::string(4096, 'd'),
                                    std::string(70000, 'e'),
                                    "01"};
  ListpackBuilder lp;
  for (const auto& s : items) lp.Append(s);
  std::string blob = lp.Finish();
  std::vector<std::string> back;
  std::string err;
  ASSERT_TRUE(ParseListpack(blob, &back, &err)) << err;
  EXPECT_EQ(back, items);
}

TEST(RdbBlobsTest, ListpackMatchesRedisBytes) {
  ListpackBuilder lp;
  for (const char* s : {"a", "b", "1", "300", "-70000"}) lp.Append(s);
  // The node inside redis-server 7.0's DUMP of RPUSH l a b 1 300 -70000.
  EXPECT_EQ(lp.Finish(), Hex("17000000050081610281620201"
                             "01c12c02f290eefe04ff"));
}

TEST(RdbBlobsTest, ListpackCorruptionIsAnError) {
  ListpackBuilder lp;
  for (int i = 0; i < 20; ++i) lp.Append(std::string(i * 10, 'x'));
  std::string blob = lp.Finish();
  std::vector<std::string> out;
  std::string err;
  for (size_t cut = 0; cut < blob.size(); ++cut) {
    std::string t = blob.substr(0, cut);
    out.clear();
    EXPECT_FALSE(ParseListpack(t, &out, &err)) << cut;
  }
  for (size_t pos = 6; pos + 1 < blob.size(); ++pos) {
    std::string t = blob;
    t[pos] = static_cast<char>(0xF5);  // an invalid entry tag wherever it lands
    out.clear();
    ParseListpack(t, &out, &err);  // must not crash; may parse if inside a string
  }
}

TEST(RdbBlobsTest, Ziplist) {
  // zlbytes, zltail, zllen=4; entries: "ab", int 5 (imm), int16 -2, int64.
  std::string zl =
      Hex("00000000"
          "00000000"
          "0400");
  zl += Hex("00"
            "02") +
        "ab";
  zl +=
      Hex("04"
          "f6");
  zl +=
      Hex("02"
          "c0feff");
  zl += Hex("04"
            "e0") +
        std::string("\x00\x00\x00\x00\x01\x00\x00\x00", 8);
  zl += Hex("ff");
  uint32_t n = static_cast<uint32_t>(zl.size());
  memcpy(zl.data(), &n, 4);
  uint32_t tail = 20;  // the last entry's offset
  memcpy(zl.data() + 4, &tail, 4);
  std::vector<std::string> out;
  std::string err;
  ASSERT_TRUE(ParseZiplist(zl, &out, &err)) << err;
  EXPECT_EQ(out, (std::vector<std::string>{"ab", "5", "-2", "4294967296"}));
  for (size_t cut = 0; cut < zl.size(); ++cut) {
    out.clear();
    EXPECT_FALSE(ParseZiplist(zl.substr(0, cut), &out, &err));
  }
}

TEST(RdbBlobsTest, ZipmapAndIntset) {
  std::string zm = Hex("02"
                       "01") +
                   "a" +
                   Hex("02"
                       "00") +
                   "xy" + Hex("01") + "b" +
                   Hex("01"
                       "01") +
                   "z" + "?" + Hex("ff");
  std::vector<std::string> out;
  std::string err;
  ASSERT_TRUE(ParseZipmap(zm, &out, &err)) << err;
  EXPECT_EQ(out, (std::vector<std::string>{"a", "xy", "b", "z"}));
  out.clear();
  EXPECT_FALSE(ParseZipmap(zm.substr(0, zm.size() - 1), &out, &err));

  std::string is = BuildIntset({1, 2, 3}, 2);
  EXPECT_EQ(is, Hex("02000000030000000100020003000"));
  out.clear();
  ASSERT_TRUE(ParseIntset(is, &out, &err));
  EXPECT_EQ(out, (std::vector<std::string>{"1", "2", "3"}));
  out.clear();
  EXPECT_FALSE(ParseIntset(is.substr(0, is.size() - 1), &out, &err));
}

// ---------------------------------------------------------------- values

TEST(RdbValueTest, StringsRoundTrip) {
  for (const std::string& v :
       {std::string("hello"), std::string("12"), std::string(""), std::string(1000, 'r')}) {
    int64_t iv;
    EntryPtr e(db::Entry::NewString("k", v, db::ChooseStringEncoding(v, &iv)));
    EntryPtr back(RoundTrip(*e.e));
    EXPECT_EQ(Contents(*back.e), Contents(*e.e));
    EXPECT_EQ(back.e->enc, e.e->enc);
  }
}

TEST(RdbValueTest, EveryAggregateEncodingRoundTrips) {
  for (size_t n : {1, 5, 200, 3000}) {
    auto* l = new db::List(-2);
    auto* s = db::Set::CreateIntSet();
    auto* ss = db::Set::CreateHashTable();
    db::Hash h(db::Hash::New());
    db::ZSet* z = db::ZSet::Create(n, 8, db::ZSetLimits{});
    for (size_t i = 0; i < n; ++i) {
      l->PushBack(i % 3 ? std::to_string(i) : "item" + std::to_string(i));
      s->Add(std::to_string(i * 1000), 512);
      ss->Add("m" + std::to_string(i), 512);
      h.Set("f" + std::to_string(i), std::to_string(i), db::HashLimits{});
      z->Set("m" + std::to_string(i), i * 0.5 - 3, db::ZSetLimits{});
    }
    std::vector<db::Entry*> entries = {
        db::Entry::NewObject("l", db::ObjType::kList, db::Encoding::kQuickList, l),
        db::Entry::NewObject("s", db::ObjType::kSet, s->encoding(), s),
        db::Entry::NewObject("ss", db::ObjType::kSet, ss->encoding(), ss),
        db::Entry::NewObject("h", db::ObjType::kHash, h.encoding(), h.get()),
        db::Entry::NewObject("z", db::ObjType::kZSet,
                             z->compact() ? db::Encoding::kListPack : db::Encoding::kSkipList, z)};
    for (db::Entry* e : entries) {
      EntryPtr owner(e);
      EntryPtr back(RoundTrip(*e));
      ASSERT_TRUE(back.e);
      EXPECT_EQ(Contents(*back.e), Contents(*e)) << e->key() << " n=" << n;
      EXPECT_EQ(back.e->enc, e->enc) << e->key() << " n=" << n;
    }
  }
}

TEST(RdbValueTest, LoadedValuesFollowTheThresholds) {
  auto* s = db::Set::CreateIntSet();
  for (int i = 0; i < 10; ++i) s->Add(std::to_string(i), 512);
  EntryPtr e(db::Entry::NewObject("s", db::ObjType::kSet, s->encoding(), s));
  LoadLimits lim;
  lim.set_max_intset_entries = 5;
  EntryPtr back(RoundTrip(*e.e, lim));
  EXPECT_EQ(back.e->enc, db::Encoding::kHashTable);
}

TEST(RdbDumpTest, PayloadsMatchRedis) {
  // DUMP payloads of redis-server 7.0.15 for the same values.
  db::Hash h(db::Hash::New());
  h.Set("f1", "v1", {});
  h.Set("f2", "2", {});
  EntryPtr he(db::Entry::NewObject("h", db::ObjType::kHash, h.encoding(), h.get()));
  EXPECT_EQ(DumpPayload(*he.e, {}),
            Hex("10151500000004008266310382763103826632030201ff0a005c5ea813feec1ff5"));
  auto* l = new db::List(-2);
  for (const char* v : {"a", "b", "1", "300", "-70000"}) l->PushBack(v);
  EntryPtr le(db::Entry::NewObject("l", db::ObjType::kList, db::Encoding::kQuickList, l));
  EXPECT_EQ(DumpPayload(*le.e, {}),
            Hex("120102171700000005008161028162020101c12c02f290eefe04ff0a001695f34b0b826c32"));
  auto* s = db::Set::CreateIntSet();
  for (const char* v : {"1", "2", "3"}) s->Add(v, 512);
  EntryPtr se(db::Entry::NewObject("s", db::ObjType::kSet, s->encoding(), s));
  EXPECT_EQ(DumpPayload(*se.e, {}), Hex("0b0e02000000030000000100020003000a00a5025ce26d6e4d1b"));
  db::ZSet* z = db::ZSet::Create(2, 1, {});
  z->Set("a", 1, {});
  z->Set("b", 2.5, {});
  EntryPtr ze(db::Entry::NewObject("z", db::ObjType::kZSet, db::Encoding::kListPack, z));
  EXPECT_EQ(DumpPayload(*ze.e, {}),
            Hex("1114140000000400816102010181620283322e3504ff0a00d44c6ea4f644d9d7"));
  EntryPtr n(db::Entry::NewString("n", "12", db::Encoding::kInt));
  EXPECT_EQ(DumpPayload(*n.e, {}), Hex("00c00c0a003c2af8515c04bcd5"));
  EntryPtr lz(db::Entry::NewString("lz", std::string(100, 'a'), db::Encoding::kRaw));
  EXPECT_EQ(DumpPayload(*lz.e, {}), Hex("00c3094064016161e057000161610a00e8a3b507b06df271"));
}

TEST(RdbDumpTest, VerifyAndParse) {
  EntryPtr e(db::Entry::NewString("k", "value", db::Encoding::kEmbStr));
  std::string p = DumpPayload(*e.e, {});
  EXPECT_TRUE(VerifyDumpPayload(p, false));
  std::string bad = p;
  bad[2] ^= 1;
  EXPECT_FALSE(VerifyDumpPayload(bad, false));
  EXPECT_TRUE(VerifyDumpPayload(bad, true));
  EXPECT_FALSE(VerifyDumpPayload("short", false));
  std::string future = p;
  future[future.size() - 10] = 11;
  EXPECT_FALSE(VerifyDumpPayload(future, true));
  std::string err;
  EntryPtr back(ParseDumpPayload(p, "k2", {}, &err));
  ASSERT_TRUE(back.e);
  EXPECT_EQ(back.e->key(), "k2");
  for (size_t cut = 0; cut < p.size(); ++cut) {
    EntryPtr t(ParseDumpPayload(p.substr(0, cut), "k", {}, &err));
    EXPECT_FALSE(t.e) << cut;
  }
}

// ---------------------------------------------------------------- whole files

std::string SmallFile() {
  std::string f;
  WriteHeader(HeaderInfo{1700000000, 12345, false}, &f);
  WriteSelectDb(0, &f);
  WriteResizeDb(2, 1, &f);
  EntryPtr a(db::Entry::NewString("a", "1", db::Encoding::kInt));
  EntryPtr b(db::Entry::NewString("b", "some value", db::Encoding::kEmbStr));
  b.e->expire_ms = 4102444800000;
  SerializeKeyValue(*a.e, {}, &f);
  SerializeKeyValue(*b.e, {}, &f);
  WriteSelectDb(2, &f);
  auto* l = new db::List(-2);
  l->PushBack("x");
  EntryPtr c(db::Entry::NewObject("c", db::ObjType::kList, db::Encoding::kQuickList, l));
  SerializeKeyValue(*c.e, {}, &f);
  WriteEof(&f);
  uint64_t crc = Crc64(0, f.data(), f.size());
  f.append(reinterpret_cast<const char*>(&crc), 8);
  return f;
}

TEST(RdbFileTest, LoadsIntoTheKeyspace) {
  db::Keyspace ks(16);
  LoadStats stats;
  std::string err;
  ASSERT_TRUE(LoadRdb(SmallFile(), ks, {}, 1000, true, &stats, &err)) << err;
  EXPECT_EQ(stats.keys_loaded, 3u);
  EXPECT_EQ(stats.bytes_read, SmallFile().size());
  EXPECT_EQ(ks.db(0).SizeAllShards(), 2u);
  EXPECT_EQ(ks.db(2).SizeAllShards(), 1u);
  EXPECT_EQ(ks.db(0).ExpiresAllShards(), 1u);
}

TEST(RdbFileTest, ExpiredKeysAreSkipped) {
  db::Keyspace ks(16);
  LoadStats stats;
  std::string err;
  ASSERT_TRUE(LoadRdb(SmallFile(), ks, {}, 4102444800001, true, &stats, &err)) << err;
  EXPECT_EQ(stats.keys_loaded, 2u);
  EXPECT_EQ(stats.keys_expired, 1u);
}

TEST(RdbFileTest, EveryTruncationAndFlipIsRefused) {
  const std::string good = SmallFile();
  for (size_t cut = 0; cut < good.size(); ++cut) {
    db::Keyspace ks(16);
    std::string err;
    EXPECT_FALSE(LoadRdb(good.substr(0, cut), ks, {}, 0, true, nullptr, &err)) << cut;
    EXPECT_FALSE(err.empty());
  }
  for (size_t pos = 0; pos < good.size(); ++pos) {
    std::string bad = good;
    bad[pos] ^= 0x20;
    db::Keyspace ks(16);
    std::string err;
    EXPECT_FALSE(LoadRdb(bad, ks, {}, 0, true, nullptr, &err)) << pos;
  }
}

TEST(RdbFileTest, TrailingDataIsLeftToTheCaller) {
  // An AOF with an RDB preamble: commands follow the image.
  std::string f = SmallFile() + "*1\r\n$4\r\nPING\r\n";
  db::Keyspace ks(16);
  LoadStats stats;
  std::string err;
  ASSERT_TRUE(LoadRdb(f, ks, {}, 0, true, &stats, &err)) << err;
  EXPECT_EQ(stats.bytes_read, SmallFile().size());
}

TEST(RdbFileTest, ZeroChecksumIsNotChecked) {
  std::string f = SmallFile();
  memset(f.data() + f.size() - 8, 0, 8);
  db::Keyspace ks(16);
  std::string err;
  EXPECT_TRUE(LoadRdb(f, ks, {}, 0, true, nullptr, &err)) << err;
}

TEST(RdbFileTest, TooManyDatabasesIsRefused) {
  db::Keyspace ks(2);
  std::string err;
  EXPECT_FALSE(LoadRdb(SmallFile(), ks, {}, 0, true, nullptr, &err));
  EXPECT_NE(err.find("more than 2 databases"), std::string::npos) << err;
}

}  // namespace
}  // namespace basalt::persist::rdb
