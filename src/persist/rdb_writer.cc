#include "persist/rdb_writer.h"

#include <vector>

#include "common/strutil.h"
#include "db/access_clock.h"
#include "db/hash.h"
#include "db/list.h"
#include "db/set.h"
#include "db/zset.h"
#include "persist/rdb_blobs.h"
#include "persist/rdb_codec.h"
#include "persist/rdb_format.h"

namespace basalt::persist::rdb {
namespace {

using db::Encoding;
using db::ObjType;

void WriteString(const db::Entry& e, const WriteOptions& opt, std::string* out) {
  if (e.is_int()) {
    PutInteger(out, e.int_value());
    return;
  }
  char buf[kMaxInt64Chars];
  PutString(out, e.StringValue(buf), opt.compress);
}

// One listpack node per Basalt chunk: chunks already respect
// list-max-listpack-size, so Redis gets nodes of the size it would build.
void WriteList(const db::List& l, const WriteOptions& opt, std::string* out) {
  std::vector<size_t> sizes = l.ChunkSizes();
  size_t nodes = 0;
  for (size_t s : sizes) nodes += s > 0;
  PutLength(out, nodes);
  ListpackBuilder lp;
  size_t index = 0;
  for (size_t s : sizes) {
    if (s == 0) continue;
    l.ForEach(index, index + s - 1, [&](std::string_view v) {
      lp.Append(v);
      return true;
    });
    index += s;
    PutLength(out, kQuicklistNodePacked);
    PutString(out, lp.Finish(), opt.compress);
  }
}

void WriteSet(const db::Set& s, const WriteOptions& opt, std::string* out) {
  if (s.is_intset()) {
    std::vector<int64_t> values;
    values.reserve(s.size());
    s.ForEach([&](std::string_view m) {
      int64_t v = 0;
      ParseInt64(m, &v);
      values.push_back(v);
    });
    PutString(out, BuildIntset(values, s.intset_width()), opt.compress);
    return;
  }
  PutLength(out, s.size());
  s.ForEach([&](std::string_view m) { PutString(out, m, opt.compress); });
}

void WriteHash(const db::Hash& h, const WriteOptions& opt, std::string* out) {
  if (h.encoding() == Encoding::kListPack) {
    ListpackBuilder lp;
    h.ForEach([&](std::string_view f, std::string_view v) {
      lp.Append(f);
      lp.Append(v);
    });
    PutString(out, lp.Finish(), opt.compress);
    return;
  }
  PutLength(out, h.Size());
  h.ForEach([&](std::string_view f, std::string_view v) {
    PutString(out, f, opt.compress);
    PutString(out, v, opt.compress);
  });
}

void WriteZSet(const db::ZSet& z, const WriteOptions& opt, std::string* out) {
  if (z.compact()) {
    ListpackBuilder lp;
    z.ForEach([&](std::string_view m, double score) {
      lp.Append(m);
      lp.Append(FormatDouble(score));  // integral scores become listpack integers, as in Redis
    });
    PutString(out, lp.Finish(), opt.compress);
    return;
  }
  PutLength(out, z.size());
  // Highest first, as Redis does: its loader then inserts each at the head
  // of the skiplist, the cheap end.
  z.VisitRanks(0, z.size(), /*reverse=*/true, [&](std::string_view m, double score) {
    PutString(out, m, opt.compress);
    PutBinaryDouble(out, score);
  });
}

uint8_t TypeByte(const db::Entry& e) {
  switch (e.type) {
    case ObjType::kString:
      return kTypeString;
    case ObjType::kList:
      return kTypeListQuicklist2;
    case ObjType::kSet:
      return e.As<db::Set>()->is_intset() ? kTypeSetIntset : kTypeSet;
    case ObjType::kHash:
      return db::Hash(e.object()).encoding() == Encoding::kListPack ? kTypeHashListpack : kTypeHash;
    case ObjType::kZSet:
      return e.As<db::ZSet>()->compact() ? kTypeZSetListpack : kTypeZSet2;
    default:
      return 0xff;
  }
}

void WriteObject(const db::Entry& e, const WriteOptions& opt, std::string* out) {
  switch (e.type) {
    case ObjType::kString:
      WriteString(e, opt, out);
      break;
    case ObjType::kList:
      WriteList(*e.As<db::List>(), opt, out);
      break;
    case ObjType::kSet:
      WriteSet(*e.As<db::Set>(), opt, out);
      break;
    case ObjType::kHash:
      WriteHash(db::Hash(e.object()), opt, out);
      break;
    case ObjType::kZSet:
      WriteZSet(*e.As<db::ZSet>(), opt, out);
      break;
    default:
      break;
  }
}

}  // namespace

bool CanSerialize(const db::Entry& e) { return TypeByte(e) != 0xff; }

void SerializeValue(const db::Entry& e, const WriteOptions& opt, std::string* out) {
  PutByte(out, TypeByte(e));
  WriteObject(e, opt, out);
}

void SerializeKeyValue(const db::Entry& e, const WriteOptions& opt, std::string* out) {
  if (e.expire_ms) {
    PutByte(out, kOpExpireTimeMs);
    PutMillis(out, e.expire_ms);
  }
  if (opt.access_meta == WriteOptions::AccessMeta::kIdle) {
    PutByte(out, kOpIdle);
    PutLength(out, db::AccessClock::IdleSeconds(e.lru, opt.now_ms));
  } else if (opt.access_meta == WriteOptions::AccessMeta::kFreq) {
    PutByte(out, kOpFreq);
    PutByte(out, static_cast<uint8_t>(db::AccessClock::LfuDecayed(e.lru, opt.now_ms)));
  }
  PutByte(out, TypeByte(e));
  PutString(out, e.key(), opt.compress);
  WriteObject(e, opt, out);
}

namespace {

void PutAux(std::string* out, std::string_view name, std::string_view value) {
  PutByte(out, kOpAux);
  PutString(out, name, false);
  PutString(out, value, false);
}

}  // namespace

void WriteHeader(const HeaderInfo& info, std::string* out) {
  char magic[16];
  snprintf(magic, sizeof(magic), "REDIS%04d", kVersion);
  out->append(magic, 9);
  PutAux(out, "redis-ver", kRedisVersion);
  PutAux(out, "redis-bits", sizeof(void*) == 8 ? "64" : "32");
  PutAux(out, "ctime", std::to_string(info.ctime_s));
  PutAux(out, "used-mem", std::to_string(info.used_mem));
  PutAux(out, "aof-base", info.aof_base ? "1" : "0");
}

void WriteSelectDb(int db, std::string* out) {
  PutByte(out, kOpSelectDb);
  PutLength(out, static_cast<uint64_t>(db));
}

void WriteResizeDb(uint64_t keys, uint64_t expires, std::string* out) {
  PutByte(out, kOpResizeDb);
  PutLength(out, keys);
  PutLength(out, expires);
}

void WriteEof(std::string* out) { PutByte(out, kOpEof); }

}  // namespace basalt::persist::rdb
