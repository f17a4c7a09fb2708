// HyperLogLog commands, as Redis 7.0's hyperloglog.c: PFADD, PFCOUNT,
// PFMERGE. HLLs are plain strings in Redis's byte format (db/hyperloglog.h);
// commands edit them in place in a heap buffer.
#include <cstring>
#include <memory>

#include "common/errors.h"
#include "db/database.h"
#include "db/entry.h"
#include "db/hyperloglog.h"
#include "server/command.h"
#include "server/db_access.h"
#include "server/notify.h"
#include "server/server.h"

namespace basalt::server {
namespace {

using db::Encoding;
using db::Entry;
using db::HeapString;
using db::ObjType;
namespace hll = db::hll;

// isHLLObjectOrReply: false after replying WRONGTYPE (not a string, or not
// HLL bytes; an int-encoded string is never an HLL).
bool CheckHll(CommandContext& ctx, const Entry* e) {
  if (e->type != ObjType::kString) {
    ctx.rb->Error(errors::kWrongType);
    return false;
  }
  char buf[kMaxInt64Chars];
  if (e->is_int() || !hll::LooksValid(e->StringValue(buf))) {
    ctx.rb->Error(errors::kHllNotValid);
    return false;
  }
  return true;
}

size_t SparseMaxBytes(CommandContext& ctx) {
  return static_cast<size_t>(
      ctx.server->config().hll_sparse_max_bytes.load(std::memory_order_relaxed));
}

// dbUnshareStringValue: the value as a heap buffer this command may edit and
// reallocate, the encoding raw. An inline value moves to a new entry.
Entry* Unshare(CommandContext& ctx, Entry* e) {
  e->enc = Encoding::kRaw;
  if (!(e->flags & Entry::kInlineValue)) return e;
  char buf[kMaxInt64Chars];
  HeapString* h = HeapString::Create(e->StringValue(buf), 0);
  Entry* fresh = Entry::NewObject(e->key(), ObjType::kString, Encoding::kRaw, h);
  fresh->lru = e->lru;
  return ctx.db->Put(fresh, /*keep_ttl=*/true);
}

// A new empty HLL under `key`, as createHLLObject + dbAdd.
Entry* AddEmpty(CommandContext& ctx, std::string_view key) {
  Entry* e = Entry::NewObject(key, ObjType::kString, Encoding::kRaw, hll::CreateEmpty());
  ctx.db->Add(e);
  return e;
}

std::string_view View(const HeapString* h) { return {h->data, h->len}; }

void CmdPfAdd(const ArgList& args, CommandContext& ctx) {
  std::string_view key = args[1];
  Entry* e = LookupWrite(ctx, key);
  uint64_t updated = 0;
  if (!e) {
    e = AddEmpty(ctx, key);
    ++updated;
  } else {
    if (!CheckHll(ctx, e)) return;
    e = Unshare(ctx, e);
  }
  HeapString* h = e->heap_string();
  const size_t sparse_max = SparseMaxBytes(ctx);
  for (size_t i = 2; i < args.size(); ++i) {
    hll::Update r = hll::Add(&h, args[i], sparse_max);
    e->set_heap_string(h);
    if (r == hll::Update::kCorrupt) {
      ctx.rb->Error(errors::kHllCorrupt);
      return;
    }
    if (r == hll::Update::kChanged) ++updated;
  }
  if (updated) {
    hll::InvalidateCache(h);
    KeyModified(ctx, key, updated);
    NotifyKeyspaceEvent(ctx, kNotifyString, "pfadd", key);
  }
  ctx.rb->Integer(updated ? 1 : 0);
}

void CmdPfCount(const ArgList& args, CommandContext& ctx) {
  if (args.size() > 2) {
    // The union of several HLLs, merged into raw 8-bit registers.
    auto max = std::make_unique<uint8_t[]>(hll::kRegisters);
    memset(max.get(), 0, hll::kRegisters);
    for (size_t i = 1; i < args.size(); ++i) {
      Entry* e = LookupRead(ctx, args[i]);
      if (!e) continue;
      if (!CheckHll(ctx, e)) return;
      char buf[kMaxInt64Chars];
      if (!hll::MergeInto(e->StringValue(buf), max.get())) {
        ctx.rb->Error(errors::kHllCorrupt);
        return;
      }
    }
    ctx.rb->Integer(static_cast<int64_t>(hll::CountRaw(max.get())));
    return;
  }
  // One key: the cached cardinality, recomputed and stored when stale. Redis
  // 7.0 looks the key up as a read (hit/miss stats, "keymiss") even though
  // the cache is part of the value.
  std::string_view key = args[1];
  Entry* e = LookupRead(ctx, key);
  if (!e) {
    ctx.rb->Integer(0);
    return;
  }
  if (!CheckHll(ctx, e)) return;
  e = Unshare(ctx, e);
  HeapString* h = e->heap_string();
  uint64_t card;
  if (hll::CacheValid(h)) {
    card = hll::CachedCardinality(h);
  } else {
    if (!hll::Count(View(h), &card)) {
      ctx.rb->Error(errors::kHllCorrupt);
      return;
    }
    hll::SetCachedCardinality(h, card);
    KeyModified(ctx, key);
  }
  ctx.rb->Integer(static_cast<int64_t>(card));
}

void CmdPfMerge(const ArgList& args, CommandContext& ctx) {
  auto max = std::make_unique<uint8_t[]>(hll::kRegisters);
  memset(max.get(), 0, hll::kRegisters);
  bool use_dense = false;
  // The destination is also a source (args[1]).
  for (size_t i = 1; i < args.size(); ++i) {
    Entry* e = LookupRead(ctx, args[i]);
    if (!e) continue;
    if (!CheckHll(ctx, e)) return;
    char buf[kMaxInt64Chars];
    std::string_view v = e->StringValue(buf);
    if (static_cast<uint8_t>(v[4]) == hll::kDense) use_dense = true;
    if (!hll::MergeInto(v, max.get())) {
      ctx.rb->Error(errors::kHllCorrupt);
      return;
    }
  }
  std::string_view key = args[1];
  Entry* e = LookupWrite(ctx, key);
  e = e ? Unshare(ctx, e) : AddEmpty(ctx, key);
  HeapString* h = e->heap_string();
  if (use_dense && !hll::ToDense(&h)) {
    ctx.rb->Error(errors::kHllCorrupt);
    return;
  }
  e->set_heap_string(h);
  const size_t sparse_max = SparseMaxBytes(ctx);
  for (int i = 0; i < hll::kRegisters; ++i) {
    if (max[i] == 0) continue;
    // The destination was validated as a source above, so this cannot fail.
    hll::SetRegister(&h, i, max[i], sparse_max);
  }
  e->set_heap_string(h);
  hll::InvalidateCache(h);
  KeyModified(ctx, key);
  NotifyKeyspaceEvent(ctx, kNotifyString, "pfadd", key);
  ctx.rb->Ok();
}

}  // namespace

void RegisterHyperLogLogFamily(CommandRegistry& r) {
  r.Register({
      Cmd("pfadd", -2, kWrite | kDenyOom | kFast, kAclWrite | kAclHyperLogLog | kAclFast, CmdPfAdd)
          .Keys(1, 1, 1)
          .Doc("hyperloglog", "2.8.9", "Adds the specified elements to the specified HyperLogLog.",
               "O(1) to add every element."),
      Cmd("pfcount", -2, kReadOnly, kAclRead | kAclHyperLogLog | kAclSlow, CmdPfCount)
          .Keys(1, -1, 1)
          .Doc("hyperloglog", "2.8.9",
               "Return the approximated cardinality of the set(s) observed by the HyperLogLog at "
               "key(s).",
               "O(1) with a very small average constant time when called with a single key. O(N) "
               "with N being the number of keys, and much bigger constant times, when called with "
               "multiple keys."),
      Cmd("pfmerge", -2, kWrite | kDenyOom, kAclWrite | kAclHyperLogLog | kAclSlow, CmdPfMerge)
          .Keys(1, -1, 1)
          .Doc("hyperloglog", "2.8.9", "Merge N different HyperLogLogs into a single one.",
               "O(N) to merge N HyperLogLogs, but with high constant times."),
  });
}

}  // namespace basalt::server
