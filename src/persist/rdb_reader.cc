#include "persist/rdb_reader.h"

#include <cmath>
#include <cstring>
#include <mutex>
#include <vector>

#include "common/strutil.h"
#include "db/access_clock.h"
#include "db/list.h"
#include "db/set.h"
#include "persist/crc64.h"
#include "persist/rdb_blobs.h"
#include "persist/rdb_format.h"

namespace basalt::persist::rdb {
namespace {

using db::Encoding;
using db::Entry;
using db::ObjType;

// Reads a count of following items; each takes at least one byte, so a count
// beyond the remaining input is corruption (and must not size allocations).
bool ReadCount(Cursor& c, uint64_t* n, uint64_t bytes_per_item = 1) {
  if (!c.ReadLength(n)) return false;
  if (*n > c.remaining() / bytes_per_item) return c.Fail("element count beyond the end of data");
  return true;
}

// Reads n strings, growing the vector as they arrive: a corrupt count must
// not allocate before the data proves it.
bool ReadStrings(Cursor& c, uint64_t n, std::vector<std::string>* out) {
  for (uint64_t i = 0; i < n; ++i) {
    out->emplace_back();
    if (!c.ReadString(&out->back())) return false;
  }
  return true;
}

// A blob-encoded value: the string holding it, then its elements.
using BlobParser = bool (*)(std::string_view, std::vector<std::string>*, std::string*);
bool ReadBlob(Cursor& c, BlobParser parse, std::vector<std::string>* items) {
  size_t at = c.offset();
  std::string blob;
  if (!c.ReadString(&blob)) return false;
  std::string err;
  if (!parse(blob, items, &err)) {
    return c.Fail(err + " (in the value starting at offset " + std::to_string(at) + ")");
  }
  return true;
}

Entry* BuildList(std::string_view key, const std::vector<std::string>& items,
                 const LoadLimits& lim) {
  auto* l = new db::List(lim.list_fill);
  for (const std::string& s : items) l->PushBack(s);
  return Entry::NewObject(key, ObjType::kList, Encoding::kQuickList, l);
}

Entry* ReadList(Cursor& c, uint8_t type, std::string_view key, const LoadLimits& lim) {
  std::vector<std::string> items;
  if (type == kTypeList) {
    uint64_t n;
    if (!ReadCount(c, &n) || !ReadStrings(c, n, &items)) return nullptr;
  } else if (type == kTypeListZiplist) {
    if (!ReadBlob(c, ParseZiplist, &items)) return nullptr;
  } else {
    uint64_t nodes;
    if (!ReadCount(c, &nodes)) return nullptr;
    for (uint64_t i = 0; i < nodes; ++i) {
      uint64_t container = kQuicklistNodePacked;
      if (type == kTypeListQuicklist2) {
        if (!c.ReadLength(&container)) return nullptr;
        if (container != kQuicklistNodePacked && container != kQuicklistNodePlain) {
          c.Fail("invalid quicklist node container");
          return nullptr;
        }
      }
      if (container == kQuicklistNodePlain) {
        items.emplace_back();
        if (!c.ReadString(&items.back())) return nullptr;
        continue;
      }
      if (!ReadBlob(c, type == kTypeListQuicklist2 ? ParseListpack : ParseZiplist, &items)) {
        return nullptr;
      }
    }
  }
  if (items.empty()) return nullptr;
  return BuildList(key, items, lim);
}

Entry* ReadSet(Cursor& c, uint8_t type, std::string_view key, const LoadLimits& lim) {
  std::vector<std::string> items;
  if (type == kTypeSet) {
    uint64_t n;
    if (!ReadCount(c, &n) || !ReadStrings(c, n, &items)) return nullptr;
  } else if (!ReadBlob(c, ParseIntset, &items)) {
    return nullptr;
  }
  if (items.empty()) return nullptr;
  db::Set* set = items.size() > lim.set_max_intset_entries ? db::Set::CreateHashTable()
                                                           : db::Set::CreateFor(items[0]);
  for (const std::string& m : items) {
    if (!set->Add(m, lim.set_max_intset_entries)) {
      delete set;
      c.Fail("duplicate set member");
      return nullptr;
    }
  }
  return Entry::NewObject(key, ObjType::kSet, set->encoding(), set);
}

Entry* ReadHash(Cursor& c, uint8_t type, std::string_view key, const LoadLimits& lim) {
  std::vector<std::string> items;
  if (type == kTypeHash) {
    uint64_t n;
    if (!ReadCount(c, &n, 2) || !ReadStrings(c, n * 2, &items)) return nullptr;
  } else {
    BlobParser parse = type == kTypeHashZipmap    ? ParseZipmap
                       : type == kTypeHashZiplist ? ParseZiplist
                                                  : ParseListpack;
    if (!ReadBlob(c, parse, &items)) return nullptr;
    if (items.size() % 2) {
      c.Fail("hash with an odd number of elements");
      return nullptr;
    }
  }
  if (items.empty()) return nullptr;
  db::Hash h(db::Hash::New());
  if (items.size() / 2 > lim.hash.max_entries) h.ConvertToTable();
  for (size_t i = 0; i < items.size(); i += 2) {
    if (!h.Set(items[i], items[i + 1], lim.hash)) {
      db::Hash::Destroy(h.get());
      c.Fail("duplicate hash field");
      return nullptr;
    }
  }
  return Entry::NewObject(key, ObjType::kHash, h.encoding(), h.get());
}

Entry* ReadZSet(Cursor& c, uint8_t type, std::string_view key, const LoadLimits& lim) {
  std::vector<std::string> members;
  std::vector<double> scores;
  if (type == kTypeZSet || type == kTypeZSet2) {
    uint64_t n;
    if (!ReadCount(c, &n, 2)) return nullptr;
    for (uint64_t i = 0; i < n; ++i) {  // grown as read: see ReadStrings
      members.emplace_back();
      scores.emplace_back();
      if (!c.ReadString(&members[i])) return nullptr;
      bool ok =
          type == kTypeZSet2 ? c.ReadBinaryDouble(&scores[i]) : c.ReadStringDouble(&scores[i]);
      if (!ok) return nullptr;
      if (std::isnan(scores[i])) {
        c.Fail("sorted set with a NaN score");
        return nullptr;
      }
    }
  } else {
    std::vector<std::string> items;
    if (!ReadBlob(c, type == kTypeZSetZiplist ? ParseZiplist : ParseListpack, &items)) {
      return nullptr;
    }
    if (items.size() % 2) {
      c.Fail("sorted set with an odd number of elements");
      return nullptr;
    }
    for (size_t i = 0; i < items.size(); i += 2) {
      double d;
      if (!ParseDouble(items[i + 1], &d) || std::isnan(d)) {
        c.Fail("sorted set with an invalid score");
        return nullptr;
      }
      members.push_back(std::move(items[i]));
      scores.push_back(d);
    }
  }
  if (members.empty()) return nullptr;
  size_t longest = 0;
  for (const auto& m : members) longest = std::max(longest, m.size());
  db::ZSet* z = db::ZSet::Create(members.size(), longest, lim.zset);
  for (size_t i = 0; i < members.size(); ++i) {
    if (!z->Set(members[i], scores[i], lim.zset)) {
      delete z;
      c.Fail("duplicate sorted set member");
      return nullptr;
    }
  }
  return Entry::NewObject(key, ObjType::kZSet,
                          z->compact() ? Encoding::kListPack : Encoding::kSkipList, z);
}

}  // namespace

bool IsObjectType(uint8_t t) {
  return t <= kTypeHash || t == kTypeZSet2 || (t >= kTypeHashZipmap && t <= kTypeListQuicklist) ||
         (t >= kTypeHashListpack && t <= kTypeListQuicklist2);
}

Entry* ReadObject(Cursor& c, uint8_t type, std::string_view key, const LoadLimits& limits,
                  bool* empty) {
  *empty = false;
  Entry* e = nullptr;
  switch (type) {
    case kTypeString: {
      std::string v;
      if (!c.ReadString(&v)) return nullptr;
      int64_t iv;
      return Entry::NewString(key, v, db::ChooseStringEncoding(v, &iv));
    }
    case kTypeList:
    case kTypeListZiplist:
    case kTypeListQuicklist:
    case kTypeListQuicklist2:
      e = ReadList(c, type, key, limits);
      break;
    case kTypeSet:
    case kTypeSetIntset:
      e = ReadSet(c, type, key, limits);
      break;
    case kTypeHash:
    case kTypeHashZipmap:
    case kTypeHashZiplist:
    case kTypeHashListpack:
      e = ReadHash(c, type, key, limits);
      break;
    case kTypeZSet:
    case kTypeZSet2:
    case kTypeZSetZiplist:
    case kTypeZSetListpack:
      e = ReadZSet(c, type, key, limits);
      break;
    case kTypeStreamListpacks:
    case kTypeStreamListpacks2:
      c.Fail("streams are not supported");
      return nullptr;
    case kTypeModule:
    case kTypeModule2:
      c.Fail("module values are not supported");
      return nullptr;
    default:
      c.Fail("unknown value type " + std::to_string(type));
      return nullptr;
  }
  if (!e && !c.failed()) *empty = true;
  return e;
}

bool LoadRdb(std::string_view data, db::Keyspace& ks, const LoadLimits& limits, int64_t now_ms,
             bool verify_checksum, LoadStats* stats, std::string* error) {
  Cursor c(data.data(), data.size());
  std::string_view magic;
  if (!c.ReadBytes(9, &magic) || magic.substr(0, 5) != "REDIS") {
    *error = "Wrong signature trying to load DB from file";
    return false;
  }
  int version = 0;
  for (char ch : magic.substr(5)) {
    if (ch < '0' || ch > '9') {
      *error = "Wrong signature trying to load DB from file";
      return false;
    }
    version = version * 10 + (ch - '0');
  }
  if (version < 1 || version > kVersion) {
    *error = "Can't handle RDB format version " + std::to_string(version);
    return false;
  }
  int dbid = 0;
  int64_t expire_ms = 0;
  int64_t lru_idle = -1;
  int lfu_freq = -1;
  auto fail = [&]() {
    *error = "Short read or corrupt RDB: " + c.error();
    return false;
  };
  while (true) {
    uint8_t type;
    if (!c.ReadByte(&type)) return fail();
    if (type == kOpExpireTimeMs) {
      if (!c.ReadMillis(&expire_ms)) return fail();
      continue;
    }
    if (type == kOpExpireTime) {
      int32_t s;
      if (!c.ReadSeconds(&s)) return fail();
      expire_ms = static_cast<int64_t>(s) * 1000;
      continue;
    }
    if (type == kOpFreq) {
      uint8_t f;
      if (!c.ReadByte(&f)) return fail();
      lfu_freq = f;
      continue;
    }
    if (type == kOpIdle) {
      uint64_t idle;
      if (!c.ReadLength(&idle)) return fail();
      lru_idle = static_cast<int64_t>(std::min<uint64_t>(idle, INT32_MAX));
      continue;
    }
    if (type == kOpEof) break;
    if (type == kOpSelectDb) {
      uint64_t id;
      if (!c.ReadLength(&id)) return fail();
      if (id >= static_cast<uint64_t>(ks.size())) {
        *error =
            "FATAL: Data file was created with a Redis server configured to handle more than " +
            std::to_string(ks.size()) + " databases. Exiting";
        return false;
      }
      dbid = static_cast<int>(id);
      continue;
    }
    if (type == kOpResizeDb) {
      uint64_t a, b;
      if (!c.ReadLength(&a) || !c.ReadLength(&b)) return fail();
      continue;
    }
    if (type == kOpAux) {
      std::string k, v;
      if (!c.ReadString(&k) || !c.ReadString(&v)) return fail();
      continue;
    }
    if (type == kOpModuleAux) {
      c.Fail("module data is not supported");
      return fail();
    }
    if (type == kOpFunction || type == kOpFunction2) {
      c.Fail("functions are not supported");
      return fail();
    }
    if (!IsObjectType(type)) {
      c.Fail("unknown RDB type " + std::to_string(type));
      return fail();
    }
    std::string key;
    if (!c.ReadString(&key)) return fail();
    bool empty = false;
    Entry* e = ReadObject(c, type, key, limits, &empty);
    if (!e) {
      if (c.failed()) return fail();
      // Redis skips empty aggregates (older versions could write them).
      expire_ms = 0, lru_idle = -1, lfu_freq = -1;
      continue;
    }
    if (expire_ms != 0 && expire_ms < now_ms) {
      Entry::Free(e);
      if (stats) ++stats->keys_expired;
      expire_ms = 0, lru_idle = -1, lfu_freq = -1;
      continue;
    }
    e->expire_ms = expire_ms;
    if (db::AccessClock::lfu()) {
      uint32_t minutes = static_cast<uint32_t>(now_ms / 60000) & 0xFFFF;
      e->lru = lfu_freq >= 0 ? (minutes << 8 | static_cast<uint32_t>(lfu_freq))
                             : db::AccessClock::Initial(now_ms);
    } else {
      e->lru = db::AccessClock::LruClock(now_ms - (lru_idle > 0 ? lru_idle * 1000 : 0));
    }
    expire_ms = 0, lru_idle = -1, lfu_freq = -1;
    db::Database& d = ks.db(dbid);
    db::Shard& sh = d.shard(db::Database::ShardOf(e->key()));
    std::lock_guard lock(sh.mu);
    if (sh.table.Find(e->key())) {
      Entry::Free(e);
      *error = "Duplicate key '" + key + "' found in RDB file";
      return false;
    }
    d.Add(e);
    if (stats) ++stats->keys_loaded;
  }
  if (version >= 5) {
    size_t body = c.offset();
    std::string_view raw;
    if (!c.ReadBytes(8, &raw)) return fail();
    uint64_t stored;
    memcpy(&stored, raw.data(), 8);
    if (verify_checksum && stored != 0 && stored != Crc64(0, data.data(), body)) {
      *error = "Wrong RDB checksum. Aborting now.";
      return false;
    }
  }
  if (stats) stats->bytes_read = c.offset();
  return true;
}

}  // namespace basalt::persist::rdb
