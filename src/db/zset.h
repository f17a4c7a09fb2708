// The sorted-set type API (Redis's t_zset.c "zset API"): no RESP, no server.
//
// Two encodings, as Redis 7.0 has:
//  - compact ("listpack"): one malloc'd buffer of (member, score) pairs sorted
//    by score then member bytes. Every operation is a linear pass, which is
//    what makes it cheap in memory and fast enough below
//    zset-max-listpack-entries.
//  - skiplist: a skiplist with spans (rank queries in O(log n)) plus a chained
//    hash table member -> node for O(1) score lookups and a ZSCAN cursor with
//    Redis's reverse-binary guarantees.
// Conversion is one-way (compact -> skiplist), done by the write that crosses
// a threshold, except that Create() picks the encoding for a known final size.
//
// Ranks are 0-based ascending. Score and lex ranges are turned into rank
// intervals [lo, hi) first, so every range command is a rank walk.
//
// Thread-safety: none; a ZSet is guarded by its key's shard lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace basalt::db {

struct ZScoreRange {
  double min = 0, max = 0;
  bool minex = false, maxex = false;  // "(" bounds
};

struct ZLexBound {
  enum Kind : uint8_t { kMinusInf, kPlusInf, kValue };
  Kind kind = kMinusInf;
  bool exclusive = false;
  std::string_view value;  // kValue only; must outlive the call
};

struct ZLexRange {
  ZLexBound min, max;
};

struct ZSetLimits {
  size_t max_entries = 128;  // zset-max-listpack-entries
  size_t max_value = 64;     // zset-max-listpack-value
};

// Parses a ZRANGEBYLEX bound ("[x", "(x", "-", "+"); false if invalid.
bool ParseLexBound(std::string_view s, ZLexBound* out);

class SkipList;

class ZSet {
 public:
  using Visitor = std::function<void(std::string_view member, double score)>;

  // A set that will hold about `size_hint` members whose longest is
  // `max_member_len` bytes (Redis's zsetTypeCreate).
  static ZSet* Create(size_t size_hint, size_t max_member_len, const ZSetLimits& lim);
  ZSet(const ZSet&) = delete;
  ZSet& operator=(const ZSet&) = delete;
  ~ZSet();
  ZSet* Clone() const;

  bool compact() const { return lp_ != nullptr; }
  size_t size() const;
  size_t MemoryUsage() const;

  bool Score(std::string_view member, double* score) const;
  // Inserts `member` (absent) or moves it to `score` (present). Converts to
  // the skiplist first when the insertion would cross a limit. Returns true
  // when the member was new.
  bool Set(std::string_view member, double score, const ZSetLimits& lim);
  bool Remove(std::string_view member);
  // 0-based rank, counted from the top when `reverse`; -1 if absent.
  int64_t Rank(std::string_view member, bool reverse) const;

  // Number of elements strictly before the range's lower bound and up to its
  // upper bound: the range is the rank interval [lo, hi) (empty if hi <= lo).
  void ScoreRankInterval(const ZScoreRange& r, size_t* lo, size_t* hi) const;
  void LexRankInterval(const ZLexRange& r, size_t* lo, size_t* hi) const;

  // Visits ranks [lo, hi) ascending, or descending (from hi-1 down) if `reverse`.
  void VisitRanks(size_t lo, size_t hi, bool reverse, const Visitor& fn) const;
  void ForEach(const Visitor& fn) const { VisitRanks(0, size(), false, fn); }
  // Element at ascending rank `rank` (< size()); the view lives until the next write.
  void At(size_t rank, std::string_view* member, double* score) const;
  // Removes ranks [lo, hi); returns how many.
  size_t RemoveRanks(size_t lo, size_t hi);

  // ZSCAN over the skiplist's hash table (Redis's dictScan cursor). The
  // compact encoding is returned whole by callers, as Redis does.
  uint64_t Scan(uint64_t cursor, const Visitor& fn) const;

  void ConvertToSkiplist();

 private:
  ZSet() = default;

  // Compact encoding: [u32 bytes][u32 count] then per element a varint
  // (member_len << 2 | score kind), the member bytes, and the score as a
  // zigzag varint (integral), a scale byte k and the zigzag varint of
  // score * 2^k (short binary fractions), or 8 raw bytes.
  char* lp_ = nullptr;
  SkipList* sl_ = nullptr;
};

}  // namespace basalt::db
