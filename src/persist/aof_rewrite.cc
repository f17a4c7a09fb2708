#include "persist/aof_rewrite.h"

#include <cstdio>
#include <string_view>
#include <vector>

#include "common/strutil.h"
#include "db/hash.h"
#include "db/list.h"
#include "db/set.h"
#include "db/zset.h"

namespace basalt::persist {
namespace {

void Header(std::string* out, char c, size_t n) {
  out->push_back(c);
  out->append(Int64ToString(static_cast<int64_t>(n)));
  out->append("\r\n");
}

void Bulk(std::string* out, std::string_view s) {
  Header(out, '$', s.size());
  out->append(s);
  out->append("\r\n");
}

// A command whose argument count is known up front, written item by item.
class Batcher {
 public:
  Batcher(std::string* out, std::string_view cmd, std::string_view key, size_t total,
          size_t per_item)
      : out_(out), cmd_(cmd), key_(key), left_(total), per_item_(per_item) {}
  // Call before each item's arguments.
  void Item() {
    if (in_cmd_ == 0) {
      size_t n = left_ < kRewriteItemsPerCmd ? left_ : kRewriteItemsPerCmd;
      Header(out_, '*', 2 + n * per_item_);
      Bulk(out_, cmd_);
      Bulk(out_, key_);
      in_cmd_ = n;
    }
    --in_cmd_;
    --left_;
  }

 private:
  std::string* out_;
  std::string_view cmd_, key_;
  size_t left_, per_item_;
  size_t in_cmd_ = 0;
};

}  // namespace

void AppendSelect(std::string* out, int db) {
  Header(out, '*', 2);
  Bulk(out, "SELECT");
  Bulk(out, Int64ToString(db));
}

void AppendEntryCommands(std::string* out, const db::Entry& e) {
  std::string_view key = e.key();
  switch (e.type) {
    case db::ObjType::kString: {
      char buf[kMaxInt64Chars];
      Header(out, '*', 3);
      Bulk(out, "SET");
      Bulk(out, key);
      Bulk(out, e.StringValue(buf));
      break;
    }
    case db::ObjType::kList: {
      const db::List& l = *e.As<db::List>();
      if (l.empty()) break;
      Batcher b(out, "RPUSH", key, l.size(), 1);
      l.ForEach(0, l.size() - 1, [&](std::string_view v) {
        b.Item();
        Bulk(out, v);
        return true;
      });
      break;
    }
    case db::ObjType::kSet: {
      const db::Set& s = *e.As<db::Set>();
      Batcher b(out, "SADD", key, s.size(), 1);
      s.ForEach([&](std::string_view m) {
        b.Item();
        Bulk(out, m);
      });
      break;
    }
    case db::ObjType::kZSet: {
      const db::ZSet& z = *e.As<db::ZSet>();
      Batcher b(out, "ZADD", key, z.size(), 2);
      z.ForEach([&](std::string_view m, double score) {
        b.Item();
        char dbuf[64];
        int n = snprintf(dbuf, sizeof(dbuf), "%.17g", score);
        Bulk(out, std::string_view(dbuf, static_cast<size_t>(n)));
        Bulk(out, m);
      });
      break;
    }
    case db::ObjType::kHash: {
      db::Hash h(e.object());
      Batcher b(out, "HSET", key, h.Size(), 2);
      h.ForEach([&](std::string_view f, std::string_view v) {
        b.Item();
        Bulk(out, f);
        Bulk(out, v);
      });
      break;
    }
    default:
      return;  // no other types exist yet
  }
  if (e.expire_ms != 0) {
    Header(out, '*', 3);
    Bulk(out, "PEXPIREAT");
    Bulk(out, key);
    Bulk(out, Int64ToString(e.expire_ms));
  }
}

}  // namespace basalt::persist
