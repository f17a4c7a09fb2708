// Bit commands, as Redis 7.0's bitops.c: SETBIT, GETBIT, BITCOUNT, BITPOS,
// BITOP, BITFIELD and BITFIELD_RO. Bitmaps are plain strings; bit 0 is the
// most significant bit of the first byte. Writes grow the string with zero
// bytes and leave it raw, editing it in place when it has room.
#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "common/errors.h"
#include "common/strutil.h"
#include "db/database.h"
#include "db/entry.h"
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

bool IsString(const Entry* e) { return e->type == ObjType::kString; }

// Redis compares option names as C strings, so an argument ends at its first NUL.
std::string_view CName(std::string_view arg) {
  size_t nul = arg.find('\0');
  return nul == std::string_view::npos ? arg : arg.substr(0, nul);
}

// ---------------------------------------------------------------------------
// Writable strings
// ---------------------------------------------------------------------------

// sdsMakeRoomFor's greedy growth: double below 1 MiB, then add 1 MiB.
size_t GreedyCapacity(size_t need) {
  constexpr size_t kMaxPrealloc = 1024 * 1024;
  return need < kMaxPrealloc ? need * 2 : need + kMaxPrealloc;
}

// A raw string entry holding `cur` then zeros up to `len` bytes. Short values
// live inline; longer ones get `cap` bytes of heap room.
Entry* NewRaw(std::string_view key, std::string_view cur, size_t len, size_t cap) {
  if (len <= db::kInlineStringMax) {
    char tmp[db::kInlineStringMax];
    if (!cur.empty()) memcpy(tmp, cur.data(), cur.size());
    memset(tmp + cur.size(), 0, len - cur.size());
    return Entry::NewString(key, {tmp, len}, Encoding::kRaw);
  }
  HeapString* h = HeapString::Create(cur, std::max(cap, len));
  memset(h->data + cur.size(), 0, len - cur.size());
  h->len = len;
  return Entry::NewObject(key, ObjType::kString, Encoding::kRaw, h);
}

struct BitString {
  Entry* entry = nullptr;
  char* data = nullptr;
  size_t len = 0;
};

BitString Bytes(Entry* e) {
  if (e->flags & Entry::kInlineValue) return {e, e->data() + e->key_len, e->val_len};
  HeapString* h = e->heap_string();
  return {e, h->data, h->len};
}

// lookupStringForBitCommand: the key's string, at least `min_len` bytes long
// (zero-extended), raw and writable; created when missing. Keeps the TTL.
// False after a WRONGTYPE reply. *grew: created or lengthened.
bool StringForWrite(CommandContext& ctx, std::string_view key, size_t min_len, BitString* out,
                    bool* grew) {
  Entry* e = LookupWrite(ctx, key);
  if (e && !IsString(e)) {
    ctx.rb->Error(errors::kWrongType);
    return false;
  }
  *grew = false;
  if (!e) {
    e = NewRaw(key, {}, min_len, min_len);
    ctx.db->Add(e);
    *grew = true;
    *out = Bytes(e);
    return true;
  }
  const bool heap = !(e->flags & Entry::kInlineValue) && !e->is_int();
  if (heap) {
    HeapString* h = e->heap_string();
    if (h->len < min_len) {
      if (h->cap < min_len) {
        HeapString* bigger = HeapString::Create({h->data, h->len}, GreedyCapacity(min_len));
        HeapString::Destroy(h);
        e->set_heap_string(bigger);
        h = bigger;
      }
      memset(h->data + h->len, 0, min_len - h->len);
      h->len = min_len;
      *grew = true;
    }
    e->enc = Encoding::kRaw;
    *out = Bytes(e);
    return true;
  }
  if (!e->is_int() && e->val_len >= min_len) {
    e->enc = Encoding::kRaw;
    *out = Bytes(e);
    return true;
  }
  char buf[kMaxInt64Chars];
  std::string_view cur = e->StringValue(buf);
  const size_t len = std::max(cur.size(), min_len);
  *grew = len != cur.size();
  Entry* fresh = NewRaw(key, cur, len, GreedyCapacity(len));
  fresh->lru = e->lru;
  e = ctx.db->Put(fresh, /*keep_ttl=*/true);
  *out = Bytes(e);
  return true;
}

// ---------------------------------------------------------------------------
// Argument parsing
// ---------------------------------------------------------------------------

int64_t MaxBulk(CommandContext& ctx) {
  return ctx.server->config().proto_max_bulk_len.load(std::memory_order_relaxed);
}

// getBitOffsetFromArgument. With `hash`, "#N" means N * bits. The offset's
// byte must stay below proto-max-bulk-len.
bool ParseBitOffset(CommandContext& ctx, std::string_view arg, bool hash, int bits, uint64_t* out) {
  const bool use_hash = hash && !arg.empty() && arg[0] == '#';
  int64_t v;
  if (!ParseInt64(arg.substr(use_hash ? 1 : 0), &v)) {
    ctx.rb->Error(errors::kBitOffset);
    return false;
  }
  // Redis multiplies without an overflow check; the product wraps.
  if (use_hash) v = static_cast<int64_t>(static_cast<uint64_t>(v) * static_cast<uint64_t>(bits));
  if (v < 0 || (v >> 3) >= MaxBulk(ctx)) {
    ctx.rb->Error(errors::kBitOffset);
    return false;
  }
  *out = static_cast<uint64_t>(v);
  return true;
}

bool ParseInt(CommandContext& ctx, std::string_view arg, int64_t* out) {
  if (!ParseInt64(arg, out)) {
    ctx.rb->Error(errors::kNotInteger);
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// SETBIT / GETBIT
// ---------------------------------------------------------------------------

void CmdSetBit(const ArgList& args, CommandContext& ctx) {
  uint64_t offset;
  if (!ParseBitOffset(ctx, args[2], false, 0, &offset)) return;
  int64_t on;
  if (!ParseInt64(args[3], &on) || (on & ~int64_t{1})) {
    ctx.rb->Error(errors::kBitValue);
    return;
  }
  BitString s;
  bool grew;
  if (!StringForWrite(ctx, args[1], offset / 8 + 1, &s, &grew)) return;
  uint8_t& byte = reinterpret_cast<uint8_t&>(s.data[offset / 8]);
  const unsigned bit = 7 - (offset & 7);
  const bool old = (byte >> bit) & 1;
  if (grew || old != (on == 1)) {
    byte = static_cast<uint8_t>((byte & ~(1u << bit)) | (static_cast<unsigned>(on) << bit));
    KeyModified(ctx, args[1]);
    NotifyKeyspaceEvent(ctx, kNotifyString, "setbit", args[1]);
  }
  ctx.rb->Integer(old ? 1 : 0);
}

void CmdGetBit(const ArgList& args, CommandContext& ctx) {
  uint64_t offset;
  if (!ParseBitOffset(ctx, args[2], false, 0, &offset)) return;
  Entry* e = LookupRead(ctx, args[1]);
  if (!e) {
    ctx.rb->Integer(0);
    return;
  }
  if (!IsString(e)) {
    ctx.rb->Error(errors::kWrongType);
    return;
  }
  char buf[kMaxInt64Chars];
  std::string_view s = e->StringValue(buf);
  const uint64_t byte = offset / 8;
  int bit = 0;
  if (byte < s.size()) bit = (static_cast<uint8_t>(s[byte]) >> (7 - (offset & 7))) & 1;
  ctx.rb->Integer(bit);
}

// ---------------------------------------------------------------------------
// BITCOUNT / BITPOS
// ---------------------------------------------------------------------------

uint64_t PopCount(const uint8_t* p, size_t n) {
  uint64_t count = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    count += std::popcount(w);
  }
  for (; i < n; ++i) count += std::popcount(static_cast<unsigned>(p[i]));
  return count;
}

// Parses BYTE|BIT; false after a syntax error reply.
bool ParseUnit(CommandContext& ctx, std::string_view arg, bool* is_bit) {
  std::string_view name = CName(arg);
  if (EqualsIgnoreCase(name, "bit")) {
    *is_bit = true;
  } else if (EqualsIgnoreCase(name, "byte")) {
    *is_bit = false;
  } else {
    ctx.rb->Error(errors::kSyntax);
    return false;
  }
  return true;
}

// Clamps an inclusive range given with negative-from-the-end indexes into
// [0, total-1] as BITCOUNT/BITPOS do (the result may be empty: start > end).
void ClampRange(int64_t total, int64_t* start, int64_t* end) {
  if (*start < 0) *start += total;
  if (*end < 0) *end += total;
  if (*start < 0) *start = 0;
  if (*end < 0) *end = 0;
  if (*end >= total) *end = total - 1;
}

void CmdBitCount(const ArgList& args, CommandContext& ctx) {
  Entry* e = LookupRead(ctx, args[1]);
  if (!e) {
    ctx.rb->Integer(0);
    return;
  }
  if (!IsString(e)) {
    ctx.rb->Error(errors::kWrongType);
    return;
  }
  char buf[kMaxInt64Chars];
  std::string_view s = e->StringValue(buf);
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const int64_t len = static_cast<int64_t>(s.size());
  int64_t start = 0, end = len - 1;
  bool is_bit = false;
  if (args.size() == 4 || args.size() == 5) {
    if (!ParseInt(ctx, args[2], &start) || !ParseInt(ctx, args[3], &end)) return;
    if (args.size() == 5 && !ParseUnit(ctx, args[4], &is_bit)) return;
    if (start < 0 && end < 0 && start > end) {
      ctx.rb->Integer(0);
      return;
    }
    ClampRange(is_bit ? len * 8 : len, &start, &end);
  } else if (args.size() != 2) {
    ctx.rb->Error(errors::kSyntax);
    return;
  }
  if (start > end) {
    ctx.rb->Integer(0);
    return;
  }
  if (!is_bit) {
    ctx.rb->Integer(static_cast<int64_t>(PopCount(p + start, end - start + 1)));
    return;
  }
  // Whole bytes by popcount, then take off the bits of the edge bytes that
  // lie outside [start, end].
  const int64_t first = start / 8, last = end / 8;
  uint64_t count = PopCount(p + first, last - first + 1);
  const unsigned head_mask = (0xFF00u >> (start & 7)) & 0xFF;  // bits before start
  const unsigned tail_mask = (1u << (7 - (end & 7))) - 1;      // bits after end
  count -= std::popcount(p[first] & head_mask);
  count -= std::popcount(p[last] & tail_mask);
  ctx.rb->Integer(static_cast<int64_t>(count));
}

// First bit equal to `bit` in the absolute bit range [from, to], or -1.
int64_t FindBit(const uint8_t* p, int64_t from, int64_t to, int bit) {
  const uint8_t skip = bit ? 0x00 : 0xFF;  // bytes holding no wanted bit
  int64_t i = from;
  while (i <= to) {
    if ((i & 7) == 0 && i + 7 <= to) {
      int64_t byte = i / 8;
      const int64_t last_whole = (to + 1) / 8;  // bytes [byte, last_whole) are fully in range
      while (byte < last_whole && p[byte] == skip) ++byte;
      i = byte * 8;
      if (i > to) break;
      if (byte < last_whole) {
        const unsigned v = bit ? p[byte] : static_cast<uint8_t>(~p[byte]);
        return i + std::countl_zero(static_cast<uint8_t>(v));
      }
      continue;
    }
    if (((p[i / 8] >> (7 - (i & 7))) & 1) == bit) return i;
    ++i;
  }
  return -1;
}

void CmdBitPos(const ArgList& args, CommandContext& ctx) {
  int64_t bit;
  if (!ParseInt(ctx, args[2], &bit)) return;
  if (bit != 0 && bit != 1) {
    ctx.rb->Error(errors::kBitArgument);
    return;
  }
  // A missing key is an endless run of zeros.
  Entry* e = LookupRead(ctx, args[1]);
  if (!e) {
    ctx.rb->Integer(bit ? -1 : 0);
    return;
  }
  if (!IsString(e)) {
    ctx.rb->Error(errors::kWrongType);
    return;
  }
  char buf[kMaxInt64Chars];
  std::string_view s = e->StringValue(buf);
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const int64_t len = static_cast<int64_t>(s.size());
  int64_t start = 0, end = len - 1;
  bool is_bit = false, end_given = false;
  if (args.size() >= 4 && args.size() <= 6) {
    if (!ParseInt(ctx, args[3], &start)) return;
    if (args.size() == 6 && !ParseUnit(ctx, args[5], &is_bit)) return;
    if (args.size() >= 5) {
      if (!ParseInt(ctx, args[4], &end)) return;
      end_given = true;
    }
    ClampRange(is_bit ? len * 8 : len, &start, &end);
  } else if (args.size() != 3) {
    ctx.rb->Error(errors::kSyntax);
    return;
  }
  if (start > end) {
    ctx.rb->Integer(-1);
    return;
  }
  const int64_t from = is_bit ? start : start * 8;
  const int64_t to = is_bit ? end : end * 8 + 7;
  int64_t pos = FindBit(p, from, to, static_cast<int>(bit));
  // Looking for a zero without an explicit end, the string counts as padded
  // with zeros on the right: the answer is the first bit past it.
  if (pos < 0 && bit == 0 && !end_given) pos = to + 1;
  ctx.rb->Integer(pos);
}

// ---------------------------------------------------------------------------
// BITOP
// ---------------------------------------------------------------------------

void CmdBitOp(const ArgList& args, CommandContext& ctx) {
  enum { kAnd, kOr, kXor, kNot } op;
  std::string_view name = CName(args[1]);
  if (EqualsIgnoreCase(name, "and")) {
    op = kAnd;
  } else if (EqualsIgnoreCase(name, "or")) {
    op = kOr;
  } else if (EqualsIgnoreCase(name, "xor")) {
    op = kXor;
  } else if (EqualsIgnoreCase(name, "not")) {
    op = kNot;
  } else {
    ctx.rb->Error(errors::kSyntax);
    return;
  }
  if (op == kNot && args.size() != 4) {
    ctx.rb->Error(errors::kBitopNotOneKey);
    return;
  }
  // Views of the sources stay valid until the result replaces the
  // destination (which may be one of them); integers are formatted into
  // per-source buffers.
  const size_t n = args.size() - 3;
  std::vector<std::string_view> src(n);
  std::unique_ptr<char[][kMaxInt64Chars]> bufs(new char[n][kMaxInt64Chars]);
  size_t max_len = 0;
  for (size_t j = 0; j < n; ++j) {
    Entry* e = LookupRead(ctx, args[j + 3]);
    if (!e) continue;
    if (!IsString(e)) {
      ctx.rb->Error(errors::kWrongType);
      return;
    }
    src[j] = e->StringValue(bufs[j]);
    max_len = std::max(max_len, src[j].size());
  }
  std::string_view dest = args[2];
  if (max_len == 0) {
    if (ctx.db->Delete(dest)) {
      KeyModified(ctx, dest);
      NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", dest);
    }
    ctx.rb->Integer(0);
    return;
  }
  // The result is computed straight into the new entry's buffer.
  Entry* fresh = NewRaw(dest, {}, max_len, max_len);
  auto* out = reinterpret_cast<uint8_t*>(Bytes(fresh).data);
  auto byte_at = [](std::string_view s, size_t i) -> uint8_t {
    return i < s.size() ? static_cast<uint8_t>(s[i]) : 0;
  };
  for (size_t i = 0; i < max_len; ++i) {
    uint8_t v = byte_at(src[0], i);
    if (op == kNot) v = static_cast<uint8_t>(~v);
    for (size_t j = 1; j < n; ++j) {
      const uint8_t b = byte_at(src[j], i);
      if (op == kAnd) {
        v &= b;
      } else if (op == kOr) {
        v |= b;
      } else {
        v ^= b;
      }
    }
    out[i] = v;
  }
  // setKey: the result replaces the key, TTL included, as a raw string.
  ctx.db->Put(fresh, /*keep_ttl=*/false);
  KeyModified(ctx, dest);
  NotifyKeyspaceEvent(ctx, kNotifyString, "set", dest);
  ctx.rb->Integer(static_cast<int64_t>(max_len));
}

// ---------------------------------------------------------------------------
// BITFIELD
// ---------------------------------------------------------------------------

enum class Overflow { kWrap, kSat, kFail };
enum class FieldOp { kGet, kSet, kIncrBy };

struct FieldCmd {
  FieldOp op;
  Overflow overflow;
  bool is_signed;
  int bits;
  uint64_t offset;
  int64_t value;
};

// getBitfieldTypeFromArgument: i1..i64 or u1..u63 (lower-case prefix only).
bool ParseFieldType(CommandContext& ctx, std::string_view arg, bool* is_signed, int* bits) {
  arg = CName(arg);
  int64_t n;
  if (arg.empty() || (arg[0] != 'i' && arg[0] != 'u') || !ParseInt64(arg.substr(1), &n) || n < 1 ||
      n > (arg[0] == 'i' ? 64 : 63)) {
    ctx.rb->Error(errors::kBitfieldType);
    return false;
  }
  *is_signed = arg[0] == 'i';
  *bits = static_cast<int>(n);
  return true;
}

uint64_t GetField(const uint8_t* p, uint64_t offset, int bits) {
  uint64_t v = 0;
  for (int j = 0; j < bits; ++j, ++offset) {
    v = (v << 1) | ((p[offset >> 3] >> (7 - (offset & 7))) & 1);
  }
  return v;
}

int64_t SignExtend(uint64_t v, int bits) {
  if (bits < 64 && (v & (uint64_t{1} << (bits - 1)))) v |= ~uint64_t{0} << bits;
  return static_cast<int64_t>(v);
}

void SetField(uint8_t* p, uint64_t offset, int bits, uint64_t v) {
  for (int j = 0; j < bits; ++j, ++offset) {
    const unsigned bit = (v >> (bits - 1 - j)) & 1;
    const unsigned shift = 7 - (offset & 7);
    uint8_t& byte = p[offset >> 3];
    byte = static_cast<uint8_t>((byte & ~(1u << shift)) | (bit << shift));
  }
}

// checkUnsignedBitfieldOverflow: true when value+incr leaves [0, 2^bits-1];
// *limit is then the wrapped or saturated result.
bool UnsignedOverflow(uint64_t value, int64_t incr, int bits, Overflow ow, uint64_t* limit) {
  const uint64_t max = (uint64_t{1} << bits) - 1;  // bits <= 63
  const int64_t max_incr = static_cast<int64_t>(max - value);
  const int64_t min_incr = static_cast<int64_t>(-value);
  bool over;
  if (value > max || incr > max_incr) {
    over = true;
  } else if (incr < 0 && incr < min_incr) {
    over = false;
  } else {
    return false;
  }
  if (ow == Overflow::kWrap) {
    *limit = (value + static_cast<uint64_t>(incr)) & max;
  } else if (ow == Overflow::kSat) {
    *limit = over ? max : 0;
  }
  return true;
}

// checkSignedBitfieldOverflow, for [-2^(bits-1), 2^(bits-1)-1].
bool SignedOverflow(int64_t value, int64_t incr, int bits, Overflow ow, int64_t* limit) {
  const int64_t max =
      bits == 64 ? std::numeric_limits<int64_t>::max() : (int64_t{1} << (bits - 1)) - 1;
  const int64_t min = -max - 1;
  // These may wrap; they are only used once `value` is known to be in range.
  const auto max_incr =
      static_cast<int64_t>(static_cast<uint64_t>(max) - static_cast<uint64_t>(value));
  const auto min_incr =
      static_cast<int64_t>(static_cast<uint64_t>(min) - static_cast<uint64_t>(value));
  bool over;
  if (value > max || (bits != 64 && incr > max_incr) ||
      (value >= 0 && incr > 0 && incr > max_incr)) {
    over = true;
  } else if (value < min || (bits != 64 && incr < min_incr) ||
             (value < 0 && incr < 0 && incr < min_incr)) {
    over = false;
  } else {
    return false;
  }
  if (ow == Overflow::kWrap) {
    uint64_t c = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
    if (bits < 64) {
      const uint64_t mask = ~uint64_t{0} << bits;
      if (c & (uint64_t{1} << (bits - 1))) {
        c |= mask;
      } else {
        c &= ~mask;
      }
    }
    *limit = static_cast<int64_t>(c);
  } else if (ow == Overflow::kSat) {
    *limit = over ? max : min;
  }
  return true;
}

// One SET or INCRBY on the (already long enough) string; replies with the
// old value (SET), the new one (INCRBY) or nil when OVERFLOW FAIL refuses it.
// Returns false when OVERFLOW FAIL refused the write (nothing changed).
bool ApplyWrite(CommandContext& ctx, const FieldCmd& f, uint8_t* p) {
  if (f.is_signed) {
    const int64_t old = SignExtend(GetField(p, f.offset, f.bits), f.bits);
    int64_t wrapped = 0, next;
    bool over;
    if (f.op == FieldOp::kIncrBy) {
      over = SignedOverflow(old, f.value, f.bits, f.overflow, &wrapped);
      next =
          over ? wrapped
               : static_cast<int64_t>(static_cast<uint64_t>(old) + static_cast<uint64_t>(f.value));
    } else {
      over = SignedOverflow(f.value, 0, f.bits, f.overflow, &wrapped);
      next = over ? wrapped : f.value;
    }
    if (over && f.overflow == Overflow::kFail) {
      ctx.rb->Null();
      return false;
    }
    ctx.rb->Integer(f.op == FieldOp::kIncrBy ? next : old);
    SetField(p, f.offset, f.bits, static_cast<uint64_t>(next));
    return true;
  }
  const uint64_t old = GetField(p, f.offset, f.bits);
  uint64_t wrapped = 0, next;
  bool over;
  if (f.op == FieldOp::kIncrBy) {
    over = UnsignedOverflow(old, f.value, f.bits, f.overflow, &wrapped);
    next = over ? wrapped : old + static_cast<uint64_t>(f.value);
  } else {
    over = UnsignedOverflow(static_cast<uint64_t>(f.value), 0, f.bits, f.overflow, &wrapped);
    next = over ? wrapped : static_cast<uint64_t>(f.value);
  }
  if (over && f.overflow == Overflow::kFail) {
    ctx.rb->Null();
    return false;
  }
  ctx.rb->Integer(static_cast<int64_t>(f.op == FieldOp::kIncrBy ? next : old));
  SetField(p, f.offset, f.bits, next);
  return true;
}

void BitFieldGeneric(const ArgList& args, CommandContext& ctx, bool ro) {
  std::vector<FieldCmd> cmds;
  Overflow overflow = Overflow::kWrap;
  bool read_only = true;
  uint64_t highest_write = 0;
  for (size_t j = 2; j < args.size(); ++j) {
    const size_t remaining = args.size() - j - 1;
    std::string_view sub = CName(args[j]);
    FieldOp op;
    if (EqualsIgnoreCase(sub, "get") && remaining >= 2) {
      op = FieldOp::kGet;
    } else if (EqualsIgnoreCase(sub, "set") && remaining >= 3) {
      op = FieldOp::kSet;
    } else if (EqualsIgnoreCase(sub, "incrby") && remaining >= 3) {
      op = FieldOp::kIncrBy;
    } else if (EqualsIgnoreCase(sub, "overflow") && remaining >= 1) {
      std::string_view type = CName(args[++j]);
      if (EqualsIgnoreCase(type, "wrap")) {
        overflow = Overflow::kWrap;
      } else if (EqualsIgnoreCase(type, "sat")) {
        overflow = Overflow::kSat;
      } else if (EqualsIgnoreCase(type, "fail")) {
        overflow = Overflow::kFail;
      } else {
        ctx.rb->Error(errors::kBitfieldOverflow);
        return;
      }
      continue;
    } else {
      ctx.rb->Error(errors::kSyntax);
      return;
    }
    FieldCmd f{op, overflow, false, 0, 0, 0};
    if (!ParseFieldType(ctx, args[j + 1], &f.is_signed, &f.bits)) return;
    if (!ParseBitOffset(ctx, args[j + 2], true, f.bits, &f.offset)) return;
    if (op != FieldOp::kGet) {
      read_only = false;
      highest_write = std::max(highest_write, f.offset + f.bits - 1);
      if (!ParseInt(ctx, args[j + 3], &f.value)) return;
    }
    cmds.push_back(f);
    j += op == FieldOp::kGet ? 2 : 3;
  }

  Entry* e = nullptr;
  BitString s;
  if (read_only) {
    e = LookupRead(ctx, args[1]);
    if (e && !IsString(e)) {
      ctx.rb->Error(errors::kWrongType);
      return;
    }
  } else {
    if (ro) {
      ctx.rb->Error(errors::kBitfieldRoGetOnly);
      return;
    }
    bool grew;
    if (!StringForWrite(ctx, args[1], highest_write / 8 + 1, &s, &grew)) return;
    e = s.entry;
  }

  ctx.rb->ArrayHeader(cmds.size());
  uint64_t changes = 0;
  for (const FieldCmd& f : cmds) {
    if (f.op != FieldOp::kGet) {
      if (ApplyWrite(ctx, f, reinterpret_cast<uint8_t*>(s.data))) ++changes;
      continue;
    }
    // Reads past the end see zeros: copy the (up to) 9 bytes covering the
    // field into a zero-padded buffer.
    uint8_t window[9] = {};
    const uint64_t byte = f.offset >> 3;
    if (e) {
      char buf[kMaxInt64Chars];
      std::string_view v = e->StringValue(buf);
      for (uint64_t i = 0; i < 9 && byte + i < v.size(); ++i) window[i] = v[byte + i];
    }
    const uint64_t raw = GetField(window, f.offset - byte * 8, f.bits);
    ctx.rb->Integer(f.is_signed ? SignExtend(raw, f.bits) : static_cast<int64_t>(raw));
  }
  if (changes) {
    KeyModified(ctx, args[1], changes);
    NotifyKeyspaceEvent(ctx, kNotifyString, "setbit", args[1]);
  }
}

void CmdBitField(const ArgList& args, CommandContext& ctx) { BitFieldGeneric(args, ctx, false); }
void CmdBitFieldRo(const ArgList& args, CommandContext& ctx) { BitFieldGeneric(args, ctx, true); }

}  // namespace

void RegisterBitmapFamily(CommandRegistry& r) {
  constexpr uint32_t kReadFast = kAclRead | kAclBitmap | kAclFast;
  constexpr uint32_t kReadSlow = kAclRead | kAclBitmap | kAclSlow;
  constexpr uint32_t kWriteSlow = kAclWrite | kAclBitmap | kAclSlow;
  r.Register({
      Cmd("setbit", 4, kWrite | kDenyOom, kWriteSlow, CmdSetBit)
          .Keys(1, 1, 1)
          .Doc("bitmap", "2.2.0",
               "Sets or clears the bit at offset in the string value stored at key"),
      Cmd("getbit", 3, kReadOnly | kFast, kReadFast, CmdGetBit)
          .Keys(1, 1, 1)
          .Doc("bitmap", "2.2.0",
               "Returns the bit value at offset in the string value stored at key"),
      Cmd("bitcount", -2, kReadOnly, kReadSlow, CmdBitCount)
          .Keys(1, 1, 1)
          .Doc("bitmap", "2.6.0", "Count set bits in a string", "O(N)"),
      Cmd("bitpos", -3, kReadOnly, kReadSlow, CmdBitPos)
          .Keys(1, 1, 1)
          .Doc("bitmap", "2.8.7", "Find first bit set or clear in a string", "O(N)"),
      Cmd("bitop", -4, kWrite | kDenyOom, kWriteSlow, CmdBitOp)
          .Keys(2, -1, 1)
          .Doc("bitmap", "2.6.0", "Perform bitwise operations between strings", "O(N)"),
      Cmd("bitfield", -2, kWrite | kDenyOom, kWriteSlow, CmdBitField)
          .Keys(1, 1, 1)
          .Doc("bitmap", "3.2.0", "Perform arbitrary bitfield integer operations on strings",
               "O(1) for each subcommand specified"),
      Cmd("bitfield_ro", -2, kReadOnly | kFast, kReadFast, CmdBitFieldRo)
          .Keys(1, 1, 1)
          .Doc("bitmap", "6.0.0",
               "Perform arbitrary bitfield integer operations on strings. Read-only variant of "
               "BITFIELD",
               "O(1) for each subcommand specified"),
  });
}

}  // namespace basalt::server
