#include "db/zset.h"

#include <xxhash.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "common/memory.h"

namespace basalt::db {

bool ParseLexBound(std::string_view s, ZLexBound* out) {
  if (s.empty()) return false;
  switch (s[0]) {
    case '+':
      if (s.size() != 1) return false;
      out->kind = ZLexBound::kPlusInf;
      return true;
    case '-':
      if (s.size() != 1) return false;
      out->kind = ZLexBound::kMinusInf;
      return true;
    case '(':
    case '[':
      out->kind = ZLexBound::kValue;
      out->exclusive = s[0] == '(';
      out->value = s.substr(1);
      return true;
    default:
      return false;
  }
}

namespace {

// Binary-safe comparison as Redis's sdscmp.
int CompareMembers(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  int c = n ? memcmp(a.data(), b.data(), n) : 0;
  if (c) return c;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

// (score, member) order of the set.
bool Before(double s1, std::string_view m1, double s2, std::string_view m2) {
  return s1 < s2 || (s1 == s2 && CompareMembers(m1, m2) < 0);
}

bool ScoreGteMin(double v, const ZScoreRange& r) { return r.minex ? v > r.min : v >= r.min; }
bool ScoreLteMax(double v, const ZScoreRange& r) { return r.maxex ? v < r.max : v <= r.max; }

bool LexGteMin(std::string_view v, const ZLexBound& b) {
  if (b.kind == ZLexBound::kMinusInf) return true;
  if (b.kind == ZLexBound::kPlusInf) return false;
  int c = CompareMembers(v, b.value);
  return b.exclusive ? c > 0 : c >= 0;
}
bool LexLteMax(std::string_view v, const ZLexBound& b) {
  if (b.kind == ZLexBound::kPlusInf) return true;
  if (b.kind == ZLexBound::kMinusInf) return false;
  int c = CompareMembers(v, b.value);
  return b.exclusive ? c < 0 : c <= 0;
}

// ------------------------------------------------------------ compact buffer

constexpr size_t kLpHeader = 8;

uint32_t LpBytes(const char* lp) {
  uint32_t v;
  memcpy(&v, lp, 4);
  return v;
}
uint32_t LpCount(const char* lp) {
  uint32_t v;
  memcpy(&v, lp + 4, 4);
  return v;
}
void LpSetHeader(char* lp, uint32_t bytes, uint32_t count) {
  memcpy(lp, &bytes, 4);
  memcpy(lp + 4, &count, 4);
}

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
uint64_t GetVarint(const char* p, size_t* off) {
  uint64_t v = 0;
  int shift = 0;
  while (true) {
    uint8_t b = static_cast<uint8_t>(p[(*off)++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
    shift += 7;
  }
}

// Scores are stored in the fewest bytes that keep them exact: integral ones
// as a zigzag varint (1-3 bytes for small values, like listpack's integer
// encodings), ones with a short binary fraction (x.5, x.25, ...) as a scale
// byte plus a varint, anything else as the 8 raw bytes. -0 becomes 0 here, as
// it does in Redis's listpack (its "-0" score string is stored as the
// integer 0); the skiplist keeps the sign.
enum ScoreKind : uint64_t { kScoreDouble = 0, kScoreInt = 1, kScoreScaled = 2 };
constexpr int kMaxScoreScale = 8;  // fraction bits tried for kScoreScaled

bool IntegralScore(double d, int64_t* out) {
  if (!(std::fabs(d) < 9007199254740992.0) || std::trunc(d) != d) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t z) { return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1)); }

// The smallest scale k with score * 2^k integral and small, if any.
bool ScaledScore(double d, int* scale, int64_t* out) {
  for (int k = 1; k <= kMaxScoreScale; ++k) {
    double v = std::ldexp(d, k);
    if (std::trunc(v) != v) continue;
    if (!(std::fabs(v) < 140737488355328.0)) return false;  // 2^47: varint below 8 bytes
    *scale = k;
    *out = static_cast<int64_t>(v);
    return true;
  }
  return false;
}

void LpEncode(std::string_view member, double score, std::string* out) {
  int64_t iv = 0;
  int scale = 0;
  uint64_t kind = IntegralScore(score, &iv)         ? kScoreInt
                  : ScaledScore(score, &scale, &iv) ? kScoreScaled
                                                    : kScoreDouble;
  PutVarint(static_cast<uint64_t>(member.size()) << 2 | kind, out);
  out->append(member);
  if (kind == kScoreScaled) out->push_back(static_cast<char>(scale));
  if (kind != kScoreDouble) {
    PutVarint(ZigZag(iv), out);
  } else {
    char b[8];
    memcpy(b, &score, 8);
    out->append(b, 8);
  }
}

struct LpItem {
  size_t off;  // of the element's first byte
  size_t end;  // one past its last byte
  std::string_view member;
  double score;
};

// Decodes the element at `off`.
LpItem LpDecode(const char* lp, size_t off) {
  LpItem it;
  it.off = off;
  uint64_t h = GetVarint(lp, &off);
  size_t len = h >> 2;
  it.member = std::string_view(lp + off, len);
  off += len;
  switch (h & 3) {
    case kScoreInt:
      it.score = static_cast<double>(UnZigZag(GetVarint(lp, &off)));
      break;
    case kScoreScaled: {
      int scale = static_cast<uint8_t>(lp[off++]);
      it.score = std::ldexp(static_cast<double>(UnZigZag(GetVarint(lp, &off))), -scale);
      break;
    }
    default:
      memcpy(&it.score, lp + off, 8);
      off += 8;
  }
  it.end = off;
  return it;
}

std::vector<LpItem> LpItems(const char* lp) {
  std::vector<LpItem> items;
  items.reserve(LpCount(lp));
  size_t end = LpBytes(lp);
  for (size_t off = kLpHeader; off < end;) {
    items.push_back(LpDecode(lp, off));
    off = items.back().end;
  }
  return items;
}

// Replaces bytes [from, to) of the buffer with `ins`; returns the new buffer.
char* LpSplice(char* lp, size_t from, size_t to, std::string_view ins, int count_delta) {
  uint32_t bytes = LpBytes(lp);
  size_t nbytes = bytes - (to - from) + ins.size();
  if (nbytes > bytes) lp = static_cast<char*>(realloc(lp, nbytes));
  memmove(lp + from + ins.size(), lp + to, bytes - to);
  if (!ins.empty()) memcpy(lp + from, ins.data(), ins.size());
  if (nbytes < bytes) lp = static_cast<char*>(realloc(lp, nbytes));
  LpSetHeader(lp, static_cast<uint32_t>(nbytes), LpCount(lp) + count_delta);
  return lp;
}

char* LpNew() {
  char* lp = static_cast<char*>(malloc(kLpHeader));
  LpSetHeader(lp, kLpHeader, 0);
  return lp;
}

bool LpFind(const char* lp, std::string_view member, LpItem* out) {
  size_t end = LpBytes(lp);
  for (size_t off = kLpHeader; off < end;) {
    LpItem it = LpDecode(lp, off);
    if (it.member == member) {
      *out = it;
      return true;
    }
    off = it.end;
  }
  return false;
}

char* LpInsert(char* lp, std::string_view member, double score) {
  size_t end = LpBytes(lp);
  size_t off = kLpHeader;
  while (off < end) {
    LpItem it = LpDecode(lp, off);
    if (Before(score, member, it.score, it.member)) break;
    off = it.end;
  }
  std::string enc;
  LpEncode(member, score, &enc);
  return LpSplice(lp, off, off, enc, 1);
}

}  // namespace

// ------------------------------------------------------------------ skiplist

namespace {
constexpr int kMaxLevel = 32;

struct SkipNode {
  // `fscore` caches forward->score rounded to float. Rounding is monotonic, so
  // a differing float orders the two scores without loading the forward node:
  // a search stops descending at a level without the cache miss of reading
  // the node it will not visit. Packing it with a 32-bit span keeps a level at
  // 16 bytes.
  struct Level {
    SkipNode* forward;
    uint32_t span;
    float fscore;
  };
  double score;
  SkipNode* backward;
  SkipNode* hnext;  // hash chain
  uint32_t len;
  uint32_t level;
  Level lv[];  // NOLINT: flexible array member; member bytes follow

  const char* mem() const { return reinterpret_cast<const char*>(lv + level); }
  std::string_view member() const { return {mem(), len}; }

  static size_t AllocSize(int level, size_t len) {
    return sizeof(SkipNode) + level * sizeof(Level) + len;
  }
  static SkipNode* New(int level, double score, std::string_view m) {
    auto* n = static_cast<SkipNode*>(malloc(AllocSize(level, m.size())));
    n->score = score;
    n->backward = nullptr;
    n->hnext = nullptr;
    n->len = static_cast<uint32_t>(m.size());
    n->level = level;
    for (int i = 0; i < level; ++i) n->lv[i] = {nullptr, 0, 0};
    if (!m.empty()) memcpy(const_cast<char*>(n->mem()), m.data(), m.size());
    return n;
  }
};

uint64_t ReverseBits(uint64_t v) {
  uint64_t r = 0;
  for (int i = 0; i < 64; ++i) {
    r = (r << 1) | (v & 1);
    v >>= 1;
  }
  return r;
}

int RandomLevel() {
  thread_local std::mt19937 rng(std::random_device{}());
  int level = 1;
  while (level < kMaxLevel && (rng() & 0xFFFF) < 0xFFFF / 4) ++level;
  return level;
}

uint64_t HashMember(std::string_view m) { return XXH3_64bits(m.data(), m.size()); }

// Whether level `l`'s forward node sorts before (score, m); `f` is score as float.
bool ForwardBefore(const SkipNode::Level& l, float f, double score, std::string_view m) {
  if (l.fscore < f) return true;
  if (l.fscore > f) return false;
  return Before(l.forward->score, l.forward->member(), score, m);
}

void Link(SkipNode::Level& l, SkipNode* forward) {
  l.forward = forward;
  l.fscore = forward ? static_cast<float>(forward->score) : 0;
}
}  // namespace

class SkipList {
 public:
  SkipList() { header_ = SkipNode::New(kMaxLevel, 0, {}); }
  ~SkipList() {
    SkipNode* x = header_->lv[0].forward;
    free(header_);
    while (x) {
      SkipNode* next = x->lv[0].forward;
      free(x);
      x = next;
    }
    free(buckets_);
  }

  size_t size() const { return length_; }
  size_t bytes() const {
    return sizeof(SkipList) + node_bytes_ + nbuckets_ * sizeof(SkipNode*) +
           SkipNode::AllocSize(kMaxLevel, 0);
  }

  SkipNode* Find(std::string_view m) const {
    if (!nbuckets_) return nullptr;
    for (SkipNode* n = buckets_[HashMember(m) & (nbuckets_ - 1)]; n; n = n->hnext) {
      if (n->member() == m) return n;
    }
    return nullptr;
  }

  // `m` must be absent.
  void Insert(double score, std::string_view m) {
    SkipNode* update[kMaxLevel];
    size_t rank[kMaxLevel];
    SkipNode* x = header_;
    float f = static_cast<float>(score);
    for (int i = level_ - 1; i >= 0; --i) {
      rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
      while (x->lv[i].forward && ForwardBefore(x->lv[i], f, score, m)) {
        rank[i] += x->lv[i].span;
        x = x->lv[i].forward;
      }
      update[i] = x;
    }
    int lvl = RandomLevel();
    if (lvl > level_) {
      for (int i = level_; i < lvl; ++i) {
        rank[i] = 0;
        update[i] = header_;
        header_->lv[i].span = length_;
      }
      level_ = lvl;
    }
    x = SkipNode::New(lvl, score, m);
    node_bytes_ += SkipNode::AllocSize(lvl, m.size());
    for (int i = 0; i < lvl; ++i) {
      x->lv[i] = update[i]->lv[i];  // forward and its cached score
      Link(update[i]->lv[i], x);
      x->lv[i].span = update[i]->lv[i].span - (rank[0] - rank[i]);
      update[i]->lv[i].span = (rank[0] - rank[i]) + 1;
    }
    for (int i = lvl; i < level_; ++i) update[i]->lv[i].span++;
    x->backward = update[0] == header_ ? nullptr : update[0];
    if (x->lv[0].forward) {
      x->lv[0].forward->backward = x;
    } else {
      tail_ = x;
    }
    ++length_;
    HashAdd(x);
  }

  // Unlinks and frees `node` (a member of this list).
  void Delete(SkipNode* node) {
    SkipNode* update[kMaxLevel];
    SkipNode* x = header_;
    float f = static_cast<float>(node->score);
    for (int i = level_ - 1; i >= 0; --i) {
      while (x->lv[i].forward && ForwardBefore(x->lv[i], f, node->score, node->member())) {
        x = x->lv[i].forward;
      }
      update[i] = x;
    }
    for (int i = 0; i < level_; ++i) {
      if (update[i]->lv[i].forward == node) {
        update[i]->lv[i].span += node->lv[i].span - 1;
        update[i]->lv[i].forward = node->lv[i].forward;
        update[i]->lv[i].fscore = node->lv[i].fscore;
      } else {
        update[i]->lv[i].span -= 1;
      }
    }
    if (node->lv[0].forward) {
      node->lv[0].forward->backward = node->backward;
    } else {
      tail_ = node->backward;
    }
    while (level_ > 1 && !header_->lv[level_ - 1].forward) --level_;
    --length_;
    HashRemove(node);
    node_bytes_ -= SkipNode::AllocSize(node->level, node->len);
    free(node);
  }

  // Count of the leading elements for which `before(node)` holds; `before`
  // must be true on a prefix of the list.
  template <class Pred>
  size_t CountPrefix(Pred before) const {
    size_t rank = 0;
    const SkipNode* x = header_;
    for (int i = level_ - 1; i >= 0; --i) {
      while (x->lv[i].forward && before(x->lv[i].forward)) {
        rank += x->lv[i].span;
        x = x->lv[i].forward;
      }
    }
    return rank;
  }

  // 1-based rank; nullptr if out of range.
  SkipNode* ByRank(size_t rank) const {
    size_t traversed = 0;
    SkipNode* x = header_;
    for (int i = level_ - 1; i >= 0; --i) {
      while (x->lv[i].forward && traversed + x->lv[i].span <= rank) {
        traversed += x->lv[i].span;
        x = x->lv[i].forward;
      }
      if (traversed == rank) return x == header_ ? nullptr : x;
    }
    return nullptr;
  }

  uint64_t Scan(uint64_t v, const ZSet::Visitor& fn) const {
    if (!length_) return 0;
    uint64_t m = nbuckets_ - 1;
    for (SkipNode* n = buckets_[v & m]; n; n = n->hnext) fn(n->member(), n->score);
    v |= ~m;
    v = ReverseBits(v);
    ++v;
    return ReverseBits(v);
  }

 private:
  void HashAdd(SkipNode* n) {
    if (length_ > nbuckets_) Rehash(nbuckets_ ? nbuckets_ * 2 : 4);
    SkipNode** b = &buckets_[HashMember(n->member()) & (nbuckets_ - 1)];
    n->hnext = *b;
    *b = n;
  }
  void HashRemove(SkipNode* n) {
    SkipNode** p = &buckets_[HashMember(n->member()) & (nbuckets_ - 1)];
    while (*p != n) p = &(*p)->hnext;
    *p = n->hnext;
    // Redis shrinks a zset's dict below 10% fill; do the same at 1/8.
    if (nbuckets_ > 16 && length_ * 8 < nbuckets_) Rehash(nbuckets_ / 2);
  }
  void Rehash(size_t n) {
    auto** nb = static_cast<SkipNode**>(calloc(n, sizeof(SkipNode*)));
    for (size_t i = 0; i < nbuckets_; ++i) {
      for (SkipNode* x = buckets_[i]; x;) {
        SkipNode* next = x->hnext;
        SkipNode** b = &nb[HashMember(x->member()) & (n - 1)];
        x->hnext = *b;
        *b = x;
        x = next;
      }
    }
    free(buckets_);
    buckets_ = nb;
    nbuckets_ = n;
  }

  SkipNode* header_;
  SkipNode* tail_ = nullptr;
  size_t length_ = 0;
  int level_ = 1;
  SkipNode** buckets_ = nullptr;
  size_t nbuckets_ = 0;
  size_t node_bytes_ = 0;
};

// ---------------------------------------------------------------------- ZSet

ZSet* ZSet::Create(size_t size_hint, size_t max_member_len, const ZSetLimits& lim) {
  auto* z = new ZSet();
  if (size_hint <= lim.max_entries && max_member_len <= lim.max_value) {
    z->lp_ = LpNew();
  } else {
    z->sl_ = new SkipList();
  }
  return z;
}

ZSet::~ZSet() {
  free(lp_);
  delete sl_;
}

ZSet* ZSet::Clone() const {
  auto* z = new ZSet();
  if (lp_) {
    uint32_t n = LpBytes(lp_);
    z->lp_ = static_cast<char*>(malloc(n));
    memcpy(z->lp_, lp_, n);
  } else {
    z->sl_ = new SkipList();
    ForEach([&](std::string_view m, double s) { z->sl_->Insert(s, m); });
  }
  return z;
}

size_t ZSet::size() const { return lp_ ? LpCount(lp_) : sl_->size(); }

size_t ZSet::MemoryUsage() const {
  return sizeof(ZSet) + (lp_ ? AllocationSize(lp_) : sl_->bytes());
}

void ZSet::ConvertToSkiplist() {
  if (!lp_) return;
  auto* sl = new SkipList();
  for (const LpItem& it : LpItems(lp_)) sl->Insert(it.score, it.member);
  free(lp_);
  lp_ = nullptr;
  sl_ = sl;
}

bool ZSet::Score(std::string_view member, double* score) const {
  if (lp_) {
    LpItem it;
    if (!LpFind(lp_, member, &it)) return false;
    *score = it.score;
    return true;
  }
  SkipNode* n = sl_->Find(member);
  if (!n) return false;
  *score = n->score;
  return true;
}

bool ZSet::Set(std::string_view member, double score, const ZSetLimits& lim) {
  if (lp_) {
    LpItem it;
    if (LpFind(lp_, member, &it)) {
      if (it.score == score && std::signbit(it.score) == std::signbit(score)) return false;
      lp_ = LpSplice(lp_, it.off, it.end, {}, -1);
      lp_ = LpInsert(lp_, member, score);
      return false;
    }
    if (LpCount(lp_) + 1 > lim.max_entries || member.size() > lim.max_value) {
      ConvertToSkiplist();
    } else {
      lp_ = LpInsert(lp_, member, score);
      return true;
    }
  }
  SkipNode* n = sl_->Find(member);
  if (n) {
    if (n->score == score && std::signbit(n->score) == std::signbit(score)) return false;
    // Moving needs the member bytes after the node is freed.
    std::string copy(member);
    sl_->Delete(n);
    sl_->Insert(score, copy);
    return false;
  }
  sl_->Insert(score, member);
  return true;
}

bool ZSet::Remove(std::string_view member) {
  if (lp_) {
    LpItem it;
    if (!LpFind(lp_, member, &it)) return false;
    lp_ = LpSplice(lp_, it.off, it.end, {}, -1);
    return true;
  }
  SkipNode* n = sl_->Find(member);
  if (!n) return false;
  sl_->Delete(n);
  return true;
}

int64_t ZSet::Rank(std::string_view member, bool reverse) const {
  int64_t rank = -1;
  if (lp_) {
    size_t end = LpBytes(lp_);
    int64_t i = 0;
    for (size_t off = kLpHeader; off < end; ++i) {
      LpItem it = LpDecode(lp_, off);
      if (it.member == member) {
        rank = i;
        break;
      }
      off = it.end;
    }
  } else {
    SkipNode* n = sl_->Find(member);
    if (n) {
      rank = static_cast<int64_t>(sl_->CountPrefix(
          [n](const SkipNode* x) { return Before(x->score, x->member(), n->score, n->member()); }));
    }
  }
  if (rank < 0) return -1;
  return reverse ? static_cast<int64_t>(size()) - 1 - rank : rank;
}

void ZSet::ScoreRankInterval(const ZScoreRange& r, size_t* lo, size_t* hi) const {
  if (lp_) {
    std::vector<LpItem> items = LpItems(lp_);
    size_t i = 0;
    while (i < items.size() && !ScoreGteMin(items[i].score, r)) ++i;
    *lo = i;
    while (i < items.size() && ScoreLteMax(items[i].score, r)) ++i;
    *hi = i;
    return;
  }
  *lo = sl_->CountPrefix([&](const SkipNode* x) { return !ScoreGteMin(x->score, r); });
  *hi = sl_->CountPrefix([&](const SkipNode* x) { return ScoreLteMax(x->score, r); });
  if (*hi < *lo) *hi = *lo;
}

void ZSet::LexRankInterval(const ZLexRange& r, size_t* lo, size_t* hi) const {
  if (lp_) {
    std::vector<LpItem> items = LpItems(lp_);
    size_t i = 0;
    while (i < items.size() && !LexGteMin(items[i].member, r.min)) ++i;
    *lo = i;
    while (i < items.size() && LexLteMax(items[i].member, r.max)) ++i;
    *hi = i;
    return;
  }
  *lo = sl_->CountPrefix([&](const SkipNode* x) { return !LexGteMin(x->member(), r.min); });
  *hi = sl_->CountPrefix([&](const SkipNode* x) { return LexLteMax(x->member(), r.max); });
  if (*hi < *lo) *hi = *lo;
}

void ZSet::VisitRanks(size_t lo, size_t hi, bool reverse, const Visitor& fn) const {
  hi = std::min(hi, size());
  if (lo >= hi) return;
  if (lp_) {
    std::vector<LpItem> items = LpItems(lp_);
    if (reverse) {
      for (size_t i = hi; i-- > lo;) fn(items[i].member, items[i].score);
    } else {
      for (size_t i = lo; i < hi; ++i) fn(items[i].member, items[i].score);
    }
    return;
  }
  if (reverse) {
    SkipNode* n = sl_->ByRank(hi);
    for (size_t i = hi; i > lo; --i, n = n->backward) fn(n->member(), n->score);
  } else {
    SkipNode* n = sl_->ByRank(lo + 1);
    for (size_t i = lo; i < hi; ++i, n = n->lv[0].forward) fn(n->member(), n->score);
  }
}

void ZSet::At(size_t rank, std::string_view* member, double* score) const {
  if (lp_) {
    size_t off = kLpHeader;
    LpItem it = LpDecode(lp_, off);
    for (size_t i = 0; i < rank; ++i) it = LpDecode(lp_, it.end);
    *member = it.member;
    *score = it.score;
    return;
  }
  SkipNode* n = sl_->ByRank(rank + 1);
  *member = n->member();
  *score = n->score;
}

size_t ZSet::RemoveRanks(size_t lo, size_t hi) {
  hi = std::min(hi, size());
  if (lo >= hi) return 0;
  if (lp_) {
    std::vector<LpItem> items = LpItems(lp_);
    lp_ = LpSplice(lp_, items[lo].off, items[hi - 1].end, {}, -static_cast<int>(hi - lo));
    return hi - lo;
  }
  SkipNode* n = sl_->ByRank(lo + 1);
  for (size_t i = lo; i < hi; ++i) {
    SkipNode* next = n->lv[0].forward;
    sl_->Delete(n);
    n = next;
  }
  return hi - lo;
}

uint64_t ZSet::Scan(uint64_t cursor, const Visitor& fn) const {
  if (lp_) {
    ForEach(fn);
    return 0;
  }
  return sl_->Scan(cursor, fn);
}

}  // namespace basalt::db
