// SORT and SORT_RO, as Redis 7.0's sort.c: sorts a list, set or sorted set
// numerically or lexically, by the elements or by external keys ("BY w_*",
// "BY h_*->field"), with LIMIT, GET patterns and (SORT only) STORE into a list.
//
// BY/GET patterns read keys that are not known before the command runs, so
// both commands are kKeyspaceWide and lock here: the sorted key and the STORE
// key, plus every shard of the database when a pattern is in play, which
// keeps the whole command one point in time as in Redis.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/errors.h"
#include "common/strutil.h"
#include "db/access_clock.h"
#include "db/database.h"
#include "db/entry.h"
#include "db/hash.h"
#include "db/keyspace.h"
#include "db/list.h"
#include "db/set.h"
#include "db/zset.h"
#include "server/command.h"
#include "server/db_access.h"
#include "server/notify.h"
#include "server/server.h"

namespace basalt::server {
namespace {

using db::Entry;
using db::ObjType;

struct SortOptions {
  bool desc = false;
  bool alpha = false;
  bool dontsort = false;
  int64_t limit_start = 0;
  int64_t limit_count = -1;
  bool has_by = false;
  std::string_view by;
  bool has_store = false;
  std::string_view store;
  std::vector<std::string_view> gets;
};

// Redis's option loop: the first bad option replies and stops.
bool ParseSortOptions(const ArgList& args, bool readonly, CommandContext& ctx, SortOptions* o) {
  for (size_t j = 2; j < args.size(); ++j) {
    size_t left = args.size() - j - 1;
    std::string_view a = args[j];
    if (EqualsIgnoreCase(a, "ASC")) {
      o->desc = false;
    } else if (EqualsIgnoreCase(a, "DESC")) {
      o->desc = true;
    } else if (EqualsIgnoreCase(a, "ALPHA")) {
      o->alpha = true;
    } else if (EqualsIgnoreCase(a, "LIMIT") && left >= 2) {
      if (!ParseInt64(args[j + 1], &o->limit_start) || !ParseInt64(args[j + 2], &o->limit_count)) {
        ctx.rb->Error(errors::kNotInteger);
        return false;
      }
      j += 2;
    } else if (!readonly && EqualsIgnoreCase(a, "STORE") && left >= 1) {
      o->has_store = true;
      o->store = args[++j];
    } else if (EqualsIgnoreCase(a, "BY") && left >= 1) {
      o->has_by = true;
      o->by = args[++j];
      // A pattern without '*' names no key per element: nothing to sort by
      // (strchr semantics: the pattern ends at its first NUL).
      std::string_view c = o->by.substr(0, o->by.find('\0'));
      if (c.find('*') == std::string_view::npos) o->dontsort = true;
    } else if (EqualsIgnoreCase(a, "GET") && left >= 1) {
      o->gets.push_back(args[++j]);
    } else {
      ctx.rb->Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

// Redis's lookupKeyByPattern: "#" is the element itself; otherwise the first
// '*' is replaced by the element and the key read as a string, or with
// "->field" after the '*', as a hash field. False when there is no value.
bool LookupByPattern(CommandContext& ctx, std::string_view pattern, std::string_view elem,
                     std::string* out) {
  std::string_view cpat = pattern.substr(0, pattern.find('\0'));
  if (cpat == "#") {
    out->assign(elem);
    return true;
  }
  size_t star = cpat.find('*');
  if (star == std::string_view::npos) return false;
  size_t arrow = cpat.find("->", star + 1);
  size_t field_len = 0;
  if (arrow != std::string_view::npos && arrow + 2 < cpat.size()) {
    field_len = pattern.size() - arrow - 2;
  } else {
    arrow = std::string_view::npos;
  }
  size_t postfix_len = pattern.size() - star - 1 - (field_len ? field_len + 2 : 0);
  std::string key;
  key.reserve(star + elem.size() + postfix_len);
  key.append(pattern.substr(0, star)).append(elem).append(pattern.substr(star + 1, postfix_len));
  Entry* e = LookupRead(ctx, key);
  if (!e) return false;
  if (arrow == std::string_view::npos) {
    if (e->type != ObjType::kString) return false;
    char buf[kMaxInt64Chars];
    out->assign(e->StringValue(buf));
    return true;
  }
  if (e->type != ObjType::kHash) return false;
  std::string_view value;
  if (!db::Hash(e->object()).Get(pattern.substr(arrow + 2), &value)) return false;
  out->assign(value);
  return true;
}

struct SortItem {
  std::string elem;
  double score = 0;
  bool has_cmp = false;  // ALPHA BY: the pattern's value exists
  std::string cmp;
};

int BinaryCompare(const std::string& a, const std::string& b) {
  int c = memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  if (c) return c;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

// Redis's sortCompare (without STORE, ALPHA collates as C strings do).
int SortCompare(const SortItem& a, const SortItem& b, const SortOptions& o) {
  int cmp;
  if (!o.alpha) {
    if (a.score > b.score) {
      cmp = 1;
    } else if (a.score < b.score) {
      cmp = -1;
    } else {
      cmp = BinaryCompare(a.elem, b.elem);
    }
  } else if (o.has_by) {
    if (!a.has_cmp || !b.has_cmp) {
      cmp = a.has_cmp == b.has_cmp ? 0 : (!a.has_cmp ? -1 : 1);
    } else {
      cmp = o.has_store ? BinaryCompare(a.cmp, b.cmp) : strcoll(a.cmp.c_str(), b.cmp.c_str());
    }
  } else {
    cmp = o.has_store ? BinaryCompare(a.elem, b.elem) : strcoll(a.elem.c_str(), b.elem.c_str());
  }
  return o.desc ? -cmp : cmp;
}

// Redis's strtod check: the whole C string, no ERANGE, no NaN.
bool ScoreOf(const std::string& s, double* out) {
  char* end;
  errno = 0;
  *out = strtod(s.c_str(), &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*out);
}

void SortGeneric(const ArgList& args, CommandContext& ctx, bool readonly) {
  SortOptions o;
  if (!ParseSortOptions(args, readonly, ctx, &o)) return;

  db::LockSet locks(&ctx.server->keyspace());
  int dbi = ctx.db->index();
  locks.AddKey(dbi, args[1]);
  if (o.has_store) locks.AddKey(dbi, o.store);
  if ((o.has_by && !o.dontsort) || !o.gets.empty()) locks.AddAllShards(dbi);
  locks.Lock();

  Entry* e = LookupRead(ctx, args[1]);
  if (e && e->type != ObjType::kSet && e->type != ObjType::kList && e->type != ObjType::kZSet) {
    ctx.rb->Error(errors::kWrongType);
    return;
  }
  ObjType type = e ? e->type : ObjType::kList;
  // A set has no order of its own: when its result is stored, sort it
  // anyway so the stored list does not depend on hash order.
  if (o.dontsort && type == ObjType::kSet && o.has_store) {
    o.dontsort = false;
    o.alpha = true;
    o.has_by = false;
  }
  if (e && type == ObjType::kZSet && e->As<db::ZSet>()->compact()) {
    // Redis converts a listpack zset for SORT, and OBJECT ENCODING shows it.
    e->As<db::ZSet>()->ConvertToSkiplist();
    e->enc = db::Encoding::kSkipList;
  }

  int64_t vectorlen = 0;
  if (e) {
    switch (type) {
      case ObjType::kList:
        vectorlen = static_cast<int64_t>(e->As<db::List>()->size());
        break;
      case ObjType::kSet:
        vectorlen = static_cast<int64_t>(e->As<db::Set>()->size());
        break;
      default:
        vectorlen = static_cast<int64_t>(e->As<db::ZSet>()->size());
    }
  }

  // Redis's LIMIT arithmetic, clamped to the object's size.
  int64_t start = std::min(std::max(o.limit_start, int64_t{0}), vectorlen);
  int64_t count = std::min(std::max(o.limit_count, int64_t{-1}), vectorlen);
  int64_t end = count < 0 ? vectorlen - 1 : start + count - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;

  std::vector<SortItem> items;
  bool ranged = (type == ObjType::kZSet || type == ObjType::kList) && o.dontsort;
  if (ranged) {
    // Native order (reversed by DESC); only the LIMIT window is loaded.
    if (e && end >= start) {
      auto n = static_cast<size_t>(end - start + 1);
      items.reserve(n);
      auto push = [&](std::string_view m) {
        items.emplace_back();
        items.back().elem.assign(m);
      };
      auto len = static_cast<size_t>(vectorlen);
      auto first = static_cast<size_t>(start);
      if (type == ObjType::kList) {
        const db::List& list = *e->As<db::List>();
        size_t left = n;
        auto take = [&](std::string_view m) {
          push(m);
          return --left > 0;
        };
        if (o.desc) {
          list.ForEachReverse(len - first - 1, take);
        } else {
          list.ForEach(first, first + n - 1, take);
        }
      } else {
        auto visit = [&](std::string_view m, double) { push(m); };
        if (o.desc) {
          e->As<db::ZSet>()->VisitRanks(len - first - n, len - first, true, visit);
        } else {
          e->As<db::ZSet>()->VisitRanks(first, first + n, false, visit);
        }
      }
    }
    start = 0;
    end = static_cast<int64_t>(items.size()) - 1;
  } else if (e) {
    items.reserve(static_cast<size_t>(vectorlen));
    auto push = [&](std::string_view m) {
      items.emplace_back();
      items.back().elem.assign(m);
    };
    if (type == ObjType::kList) {
      const db::List& list = *e->As<db::List>();
      if (!list.empty()) {
        list.ForEach(0, list.size() - 1, [&](std::string_view m) {
          push(m);
          return true;
        });
      }
    } else if (type == ObjType::kSet) {
      e->As<db::Set>()->ForEach(push);
    } else {
      e->As<db::ZSet>()->ForEach([&](std::string_view m, double) { push(m); });
    }
  }

  bool conversion_error = false;
  if (!o.dontsort) {
    std::string byval;
    for (SortItem& it : items) {
      const std::string* val = &it.elem;
      if (o.has_by) {
        if (!LookupByPattern(ctx, o.by, it.elem, &byval)) continue;
        val = &byval;
      }
      if (o.alpha) {
        if (o.has_by) {
          it.has_cmp = true;
          it.cmp = byval;
        }
      } else if (!ScoreOf(*val, &it.score)) {
        conversion_error = true;
      }
    }
    // glibc's qsort is a merge sort: ties keep their load order.
    std::stable_sort(items.begin(), items.end(), [&](const SortItem& a, const SortItem& b) {
      return SortCompare(a, b, o) < 0;
    });
  }

  int64_t window = end - start + 1;
  int64_t outputlen = o.gets.empty() ? window : static_cast<int64_t>(o.gets.size()) * window;
  if (conversion_error) {
    ctx.rb->Error(errors::kSortScoreNotDouble);
    return;
  }
  std::string val;
  if (!o.has_store) {
    ctx.rb->ArrayHeader(static_cast<size_t>(outputlen));
    for (int64_t j = start; j <= end; ++j) {
      const std::string& elem = items[static_cast<size_t>(j)].elem;
      if (o.gets.empty()) ctx.rb->Bulk(elem);
      for (std::string_view pat : o.gets) {
        if (LookupByPattern(ctx, pat, elem, &val)) {
          ctx.rb->Bulk(val);
        } else {
          ctx.rb->Null();
        }
      }
    }
    return;
  }

  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(outputlen));
  for (int64_t j = start; j <= end; ++j) {
    std::string& elem = items[static_cast<size_t>(j)].elem;
    if (o.gets.empty()) {
      out.push_back(std::move(elem));
      continue;
    }
    for (std::string_view pat : o.gets) {
      if (!LookupByPattern(ctx, pat, elem, &val)) val.clear();
      out.push_back(val);
    }
  }
  bool dst_exists = LookupWrite(ctx, o.store) != nullptr;
  if (outputlen > 0) {
    auto* list = new db::List(static_cast<int>(ctx.server->config().list_max_listpack_size.load()));
    for (const std::string& s : out) list->PushBack(s);
    Entry* fresh = Entry::NewObject(o.store, ObjType::kList, db::Encoding::kQuickList, list);
    if (dst_exists) {
      ctx.db->Put(fresh, false);
    } else {
      ctx.db->Add(fresh);
    }
    // Notified before KeyModified wakes a blocked client, whose events must come after.
    NotifyKeyspaceEvent(ctx, kNotifyList, "sortstore", o.store);
    KeyModified(ctx, o.store, static_cast<uint64_t>(outputlen));
  } else if (dst_exists) {
    ctx.db->Delete(o.store);
    KeyModified(ctx, o.store);
    NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", o.store);
  }
  ctx.rb->Integer(outputlen);
}

void CmdSort(const ArgList& args, CommandContext& ctx) { SortGeneric(args, ctx, false); }
void CmdSortRo(const ArgList& args, CommandContext& ctx) { SortGeneric(args, ctx, true); }

// Redis's sortGetKeys: the sorted key, then the last STORE's key; LIMIT, GET
// and BY arguments are skipped so a key named "store" is not mistaken.
void SortKeys(const ArgList& args, std::vector<int>* out) {
  out->push_back(1);
  int store = -1;
  int argc = static_cast<int>(args.size());
  for (int i = 2; i < argc; ++i) {
    if (EqualsIgnoreCase(args[i], "LIMIT")) {
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "GET") || EqualsIgnoreCase(args[i], "BY")) {
      i += 1;
    } else if (EqualsIgnoreCase(args[i], "STORE") && i + 1 < argc) {
      store = i + 1;
    }
  }
  if (store > 0) out->push_back(store);
}

}  // namespace

void RegisterSortFamily(CommandRegistry& r) {
  constexpr uint32_t kTypes = kAclSet | kAclSortedSet | kAclList | kAclSlow | kAclDangerous;
  r.Register({
      Cmd("sort", -2, kWrite | kDenyOom | kKeyspaceWide, kAclWrite | kTypes, CmdSort)
          .Keys(1, 1, 1)
          .Finder(SortKeys)
          .Doc("generic", "1.0.0", "Sort the elements in a list, set or sorted set",
               "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M "
               "the number of returned elements. When the elements are not sorted, complexity is "
               "O(N)."),
      Cmd("sort_ro", -2, kReadOnly | kKeyspaceWide, kAclRead | kTypes, CmdSortRo)
          .Keys(1, 1, 1)
          .Finder(SortKeys)  // BY/GET patterns name keys: "movablekeys", as in Redis
          .Doc("generic", "7.0.0",
               "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
               "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M "
               "the number of returned elements. When the elements are not sorted, complexity is "
               "O(N)."),
  });
}

}  // namespace basalt::server
