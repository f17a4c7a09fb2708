#include "db/hyperloglog.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace basalt::db::hll {
namespace {

constexpr uint64_t kSeed = 0xadc83b19ULL;
constexpr int kQ = 64 - kPrecision;  // hash bits left after the register index
constexpr uint8_t kRegisterMax = (1 << kRegisterBits) - 1;
constexpr int kZeroMaxLen = 64;
constexpr int kXZeroMaxLen = 16384;
constexpr int kValMaxValue = 32;
constexpr int kValMaxLen = 4;
constexpr double kAlphaInf = 0.721347520444481703680;  // 0.5 / ln(2)
constexpr size_t kCardOffset = 8;

uint8_t* Bytes(HeapString* h) { return reinterpret_cast<uint8_t*>(h->data); }
const uint8_t* Bytes(const HeapString* h) { return reinterpret_cast<const uint8_t*>(h->data); }

// --- Dense registers. The last register ends exactly on the last byte, so
// the second byte is touched only when the register straddles two. ---

uint8_t DenseGet(const uint8_t* regs, int index) {
  const size_t bit = static_cast<size_t>(index) * kRegisterBits;
  const size_t byte = bit / 8;
  const unsigned fb = bit & 7;
  unsigned v = regs[byte] >> fb;
  if (fb > 8 - kRegisterBits) v |= static_cast<unsigned>(regs[byte + 1]) << (8 - fb);
  return static_cast<uint8_t>(v & kRegisterMax);
}

void DenseSet(uint8_t* regs, int index, uint8_t value) {
  const size_t bit = static_cast<size_t>(index) * kRegisterBits;
  const size_t byte = bit / 8;
  const unsigned fb = bit & 7;
  regs[byte] = static_cast<uint8_t>((regs[byte] & ~(kRegisterMax << fb)) | (value << fb));
  if (fb > 8 - kRegisterBits) {
    const unsigned fb8 = 8 - fb;
    regs[byte + 1] =
        static_cast<uint8_t>((regs[byte + 1] & ~(kRegisterMax >> fb8)) | (value >> fb8));
  }
}

// --- Sparse opcodes ---

bool IsZero(uint8_t op) { return (op & 0xc0) == 0; }
bool IsXZero(uint8_t op) { return (op & 0xc0) == 0x40; }
int ZeroLen(uint8_t op) { return (op & 0x3f) + 1; }
int ValValue(uint8_t op) { return ((op >> 2) & 0x1f) + 1; }
int ValLen(uint8_t op) { return (op & 0x3) + 1; }
uint8_t ValOp(int value, int len) {
  return static_cast<uint8_t>(0x80 | ((value - 1) << 2) | (len - 1));
}

// Redis reads an XZERO's second byte even when the opcode is truncated; sds
// strings end in a NUL, so that byte reads as zero.
int XZeroLen(const uint8_t* p, const uint8_t* end) {
  const int lo = p + 1 < end ? p[1] : 0;
  return (((p[0] & 0x3f) << 8) | lo) + 1;
}

// Writes a ZERO or XZERO run; returns the bytes written.
int PutZeros(uint8_t* out, int len) {
  if (len > kZeroMaxLen) {
    out[0] = static_cast<uint8_t>(((len - 1) >> 8) | 0x40);
    out[1] = static_cast<uint8_t>((len - 1) & 0xff);
    return 2;
  }
  out[0] = static_cast<uint8_t>(len - 1);
  return 1;
}

// sdsMakeRoomFor's greedy growth, so sparse updates are amortized O(1).
HeapString* Reserve(HeapString* h, size_t extra) {
  if (h->cap - h->len >= extra) return h;
  const size_t need = h->len + extra;
  HeapString* bigger = HeapString::Create({h->data, h->len}, need * 2);
  HeapString::Destroy(h);
  return bigger;
}

Update DenseSetIfGreater(uint8_t* regs, int index, uint8_t count) {
  if (DenseGet(regs, index) >= count) return Update::kUnchanged;
  DenseSet(regs, index, count);
  return Update::kChanged;
}

Update Promote(HeapString** h, int index, uint8_t count) {
  if (!ToDense(h)) return Update::kCorrupt;
  // The register being set is what forced the conversion, so it changes.
  return DenseSetIfGreater(Bytes(*h) + kHeaderSize, index, count);
}

// hllSparseSet: find the opcode covering `index`, replace it by up to three
// opcodes carrying the new value, then merge equal neighbouring VALs.
Update SparseSet(HeapString** hp, int index, uint8_t count, size_t sparse_max_bytes) {
  if (count > kValMaxValue) return Promote(hp, index, count);
  // Up to 3 more bytes, plus one: a truncated XZERO at the very end is
  // replaced as if its second byte existed (Redis reads the sds NUL there),
  // and the last byte written then falls just past the new length.
  HeapString* h = Reserve(*hp, 4);
  *hp = h;
  uint8_t* sparse = Bytes(h) + kHeaderSize;
  uint8_t* end = Bytes(h) + h->len;
  uint8_t* p = sparse;
  uint8_t* prev = nullptr;
  long first = 0, span = 0;
  while (p < end) {
    long oplen = 1;
    if (IsZero(*p)) {
      span = ZeroLen(*p);
    } else if (IsXZero(*p)) {
      span = XZeroLen(p, end);
      oplen = 2;
    } else {
      span = ValLen(*p);
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span == 0 || p >= end) return Update::kCorrupt;
  const bool is_xzero = IsXZero(*p);
  const bool is_zero = IsZero(*p);
  const bool is_val = !is_xzero && !is_zero;
  uint8_t* next = p + (is_xzero ? 2 : 1);
  if (next >= end) next = nullptr;
  const long runlen = span;

  if (is_val) {
    if (ValValue(*p) >= count) return Update::kUnchanged;
    if (runlen == 1) {
      *p = ValOp(count, 1);
      goto updated;
    }
  }
  if (is_zero && runlen == 1) {
    *p = ValOp(count, 1);
    goto updated;
  }
  {
    uint8_t seq[5];
    uint8_t* n = seq;
    const long last = first + span - 1;
    if (!is_val) {
      if (index != first) n += PutZeros(n, static_cast<int>(index - first));
      *n++ = ValOp(count, 1);
      if (index != last) n += PutZeros(n, static_cast<int>(last - index));
    } else {
      const int cur = ValValue(*p);
      if (index != first) *n++ = ValOp(cur, static_cast<int>(index - first));
      *n++ = ValOp(count, 1);
      if (index != last) *n++ = ValOp(cur, static_cast<int>(last - index));
    }
    const long seqlen = n - seq;
    const long oldlen = is_xzero ? 2 : 1;
    const long delta = seqlen - oldlen;
    if (delta > 0 && h->len + delta > sparse_max_bytes) return Promote(hp, index, count);
    if (delta != 0 && next) memmove(next + delta, next, end - next);
    h->len += delta;
    memcpy(p, seq, seqlen);
    end += delta;
  }

updated:
  // Merging can only happen around the rewritten opcodes: scan up to five
  // opcodes from the one before them.
  p = prev ? prev : sparse;
  for (int scan = 5; p < end && scan-- > 0;) {
    if (IsXZero(*p)) {
      p += 2;
      continue;
    }
    if (IsZero(*p)) {
      ++p;
      continue;
    }
    if (p + 1 < end && !IsZero(p[1]) && !IsXZero(p[1]) && ValValue(*p) == ValValue(p[1])) {
      const int len = ValLen(*p) + ValLen(p[1]);
      if (len <= kValMaxLen) {
        p[1] = ValOp(ValValue(*p), len);
        memmove(p, p + 1, end - p - 1);
        --h->len;
        --end;
        continue;  // the merged opcode may merge again with its right neighbour
      }
    }
    ++p;
  }
  InvalidateCache(h);
  return Update::kChanged;
}

// Walks sparse opcodes, calling zero(run) and val(value, run, first_index).
// Returns the number of registers described; stops early (returning a value
// that cannot be kRegisters) when a VAL run would pass the last register.
template <class ZeroFn, class ValFn>
long WalkSparse(const uint8_t* p, const uint8_t* end, ZeroFn zero, ValFn val) {
  long idx = 0;
  while (p < end) {
    if (IsZero(*p)) {
      const int run = ZeroLen(*p);
      zero(run);
      idx += run;
      ++p;
    } else if (IsXZero(*p)) {
      const int run = XZeroLen(p, end);
      zero(run);
      idx += run;
      p += 2;
    } else {
      const int run = ValLen(*p);
      if (idx + run > kRegisters) return -1;
      val(ValValue(*p), run, idx);
      idx += run;
      ++p;
    }
  }
  return idx;
}

// Otmar Ertl's sigma and tau ("New cardinality estimation algorithms for
// HyperLogLog sketches"), iterated to a fixed point as Redis does.
double Sigma(double x) {
  if (x == 1.) return std::numeric_limits<double>::infinity();
  double z_prev;
  double y = 1;
  double z = x;
  do {
    x *= x;
    z_prev = z;
    z += x * y;
    y += y;
  } while (z_prev != z);
  return z;
}

double Tau(double x) {
  if (x == 0. || x == 1.) return 0.;
  double z_prev;
  double y = 1.0;
  double z = 1 - x;
  do {
    x = std::sqrt(x);
    z_prev = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (z_prev != z);
  return z / 3;
}

uint64_t Estimate(const int64_t* histo) {
  const double m = kRegisters;
  double z = m * Tau((m - static_cast<double>(histo[kQ + 1])) / m);
  for (int j = kQ; j >= 1; --j) {
    z += static_cast<double>(histo[j]);
    z *= 0.5;
  }
  z += m * Sigma(static_cast<double>(histo[0]) / m);
  return static_cast<uint64_t>(std::llround(kAlphaInf * m * m / z));
}

}  // namespace

uint64_t MurmurHash64A(const void* key, size_t len, uint32_t seed) {
  constexpr uint64_t m = 0xc6a4a7935bd1e995ULL;
  constexpr int r = 47;
  // Redis passes the length as an int.
  const uint64_t ilen = static_cast<uint64_t>(static_cast<int>(len));
  uint64_t h = seed ^ (ilen * m);
  const uint8_t* data = static_cast<const uint8_t*>(key);
  const size_t n = static_cast<size_t>(static_cast<int>(len));
  const uint8_t* end = data + (n - (n & 7));
  for (; data != end; data += 8) {
    uint64_t k = 0;
    for (int i = 7; i >= 0; --i) k = (k << 8) | data[i];  // little endian on any host
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  switch (n & 7) {
    case 7:
      h ^= static_cast<uint64_t>(data[6]) << 48;
      [[fallthrough]];
    case 6:
      h ^= static_cast<uint64_t>(data[5]) << 40;
      [[fallthrough]];
    case 5:
      h ^= static_cast<uint64_t>(data[4]) << 32;
      [[fallthrough]];
    case 4:
      h ^= static_cast<uint64_t>(data[3]) << 24;
      [[fallthrough]];
    case 3:
      h ^= static_cast<uint64_t>(data[2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint64_t>(data[1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<uint64_t>(data[0]);
      h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

int PatternLength(std::string_view element, int* index) {
  uint64_t hash = MurmurHash64A(element.data(), element.size(), kSeed);
  *index = static_cast<int>(hash & (kRegisters - 1));
  hash >>= kPrecision;
  hash |= uint64_t{1} << kQ;  // bounds the count at kQ + 1
  int count = 1;
  for (uint64_t bit = 1; (hash & bit) == 0; bit <<= 1) ++count;
  return count;
}

bool LooksValid(std::string_view value) {
  if (value.size() < kHeaderSize || value.substr(0, 4) != "HYLL") return false;
  const uint8_t enc = static_cast<uint8_t>(value[4]);
  if (enc > kSparse) return false;
  return enc != kDense || value.size() == kDenseSize;
}

HeapString* CreateEmpty() {
  HeapString* h = HeapString::Create({}, kHeaderSize + 2);
  memset(h->data, 0, kHeaderSize);
  memcpy(h->data, "HYLL", 4);
  h->data[4] = static_cast<char>(kSparse);
  h->len = kHeaderSize + PutZeros(Bytes(h) + kHeaderSize, kXZeroMaxLen);
  return h;
}

bool CacheValid(const HeapString* h) { return (Bytes(h)[kCardOffset + 7] & 0x80) == 0; }

uint64_t CachedCardinality(const HeapString* h) {
  uint64_t card = 0;
  for (int i = 7; i >= 0; --i) card = (card << 8) | Bytes(h)[kCardOffset + i];
  return card;
}

void SetCachedCardinality(HeapString* h, uint64_t card) {
  for (int i = 0; i < 8; ++i) Bytes(h)[kCardOffset + i] = static_cast<uint8_t>(card >> (8 * i));
}

void InvalidateCache(HeapString* h) { Bytes(h)[kCardOffset + 7] |= 0x80; }

Update SetRegister(HeapString** h, int index, uint8_t count, size_t sparse_max_bytes) {
  switch (Bytes(*h)[4]) {
    case kDense:
      return DenseSetIfGreater(Bytes(*h) + kHeaderSize, index, count);
    case kSparse:
      return SparseSet(h, index, count, sparse_max_bytes);
    default:
      return Update::kCorrupt;
  }
}

Update Add(HeapString** h, std::string_view element, size_t sparse_max_bytes) {
  int index;
  const int count = PatternLength(element, &index);
  return SetRegister(h, index, static_cast<uint8_t>(count), sparse_max_bytes);
}

bool ToDense(HeapString** hp) {
  HeapString* h = *hp;
  if (Bytes(h)[4] == kDense) return true;
  HeapString* dense = HeapString::Create({}, kDenseSize);
  memset(dense->data, 0, kDenseSize);
  dense->len = kDenseSize;
  memcpy(dense->data, h->data, kHeaderSize);  // magic and cached cardinality
  Bytes(dense)[4] = kDense;
  uint8_t* regs = Bytes(dense) + kHeaderSize;
  const long total = WalkSparse(
      Bytes(h) + kHeaderSize, Bytes(h) + h->len, [](int) {},
      [&](int value, int run, long first) {
        for (int i = 0; i < run; ++i)
          DenseSet(regs, static_cast<int>(first + i), static_cast<uint8_t>(value));
      });
  if (total != kRegisters) {
    HeapString::Destroy(dense);
    return false;
  }
  HeapString::Destroy(h);
  *hp = dense;
  return true;
}

bool MergeInto(std::string_view value, uint8_t* max) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(value.data());
  if (bytes[4] == kDense) {
    for (int i = 0; i < kRegisters; ++i) {
      const uint8_t v = DenseGet(bytes + kHeaderSize, i);
      if (v > max[i]) max[i] = v;
    }
    return true;
  }
  const long total = WalkSparse(
      bytes + kHeaderSize, bytes + value.size(), [](int) {},
      [&](int v, int run, long first) {
        for (int i = 0; i < run; ++i) {
          if (v > max[first + i]) max[first + i] = static_cast<uint8_t>(v);
        }
      });
  return total == kRegisters;
}

bool Count(std::string_view value, uint64_t* out) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(value.data());
  int64_t histo[64] = {};
  bool ok = true;
  if (bytes[4] == kDense) {
    for (int i = 0; i < kRegisters; ++i) ++histo[DenseGet(bytes + kHeaderSize, i)];
  } else {
    const long total = WalkSparse(
        bytes + kHeaderSize, bytes + value.size(), [&](int run) { histo[0] += run; },
        [&](int v, int run, long) { histo[v] += run; });
    ok = total == kRegisters;
  }
  *out = Estimate(histo);
  return ok;
}

uint64_t CountRaw(const uint8_t* registers) {
  int64_t histo[64] = {};
  for (int i = 0; i < kRegisters; ++i) ++histo[registers[i] & 63];
  return Estimate(histo);
}

}  // namespace basalt::db::hll
