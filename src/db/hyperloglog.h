// HyperLogLog values in Redis's exact byte format, so an HLL read with GET or
// dumped to RDB is byte-for-byte what redis-server produces.
//
// Layout (hyperloglog.c): a 16-byte header — "HYLL", an encoding byte (0 =
// dense, 1 = sparse), 3 unused bytes, an 8-byte little-endian cached
// cardinality whose top bit marks it stale — then the registers:
//   dense:  16384 6-bit registers packed LSB first (12288 bytes);
//   sparse: run-length opcodes ZERO 00xxxxxx (1..64 zero registers),
//           XZERO 01xxxxxx yyyyyyyy (1..16384 zero registers) and
//           VAL 1vvvvvxx (1..4 registers holding value 1..32).
// A sparse HLL becomes dense when it would grow past hll-sparse-max-bytes or
// a register needs a value VAL cannot hold.
//
// Values are HeapStrings the caller owns; functions that may grow or convert
// a value take HeapString** and may replace it (freeing the old one). No
// function trusts the bytes: corrupt values are reported, never overrun.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "db/entry.h"

namespace basalt::db::hll {

inline constexpr size_t kHeaderSize = 16;
inline constexpr int kPrecision = 14;
inline constexpr int kRegisters = 1 << kPrecision;  // 16384
inline constexpr int kRegisterBits = 6;
inline constexpr size_t kDenseSize = kHeaderSize + (kRegisters * kRegisterBits + 7) / 8;
inline constexpr uint8_t kDense = 0;
inline constexpr uint8_t kSparse = 1;

// Redis's endian-neutral MurmurHash64A.
uint64_t MurmurHash64A(const void* key, size_t len, uint32_t seed);

// Register index and run length ("pattern length") of an element, as
// hllPatLen computes them with seed 0xadc83b19.
int PatternLength(std::string_view element, int* index);

// isHLLObject's checks: long enough, "HYLL" magic, known encoding, and a
// dense value of exactly kDenseSize bytes. The opcodes are not checked here.
bool LooksValid(std::string_view value);

// A new, empty sparse HLL (18 bytes), cached cardinality 0 and valid.
HeapString* CreateEmpty();

// Cached cardinality (hdr->card); valid unless its top bit is set.
bool CacheValid(const HeapString* h);
uint64_t CachedCardinality(const HeapString* h);
void SetCachedCardinality(HeapString* h, uint64_t card);
void InvalidateCache(HeapString* h);

// Outcome of a register update.
enum class Update { kUnchanged, kChanged, kCorrupt };

// hllAdd: hashes `element` into the HLL. May grow a sparse value or convert
// it to dense (then *h is replaced). `sparse_max_bytes` is hll-sparse-max-bytes.
Update Add(HeapString** h, std::string_view element, size_t sparse_max_bytes);

// Raises register `index` to `count` if it is lower (hllDenseSet /
// hllSparseSet), with the same growth and promotion rules as Add.
Update SetRegister(HeapString** h, int index, uint8_t count, size_t sparse_max_bytes);

// hllSparseToDense: converts in place of *h; false if the opcodes are corrupt
// (then *h is unchanged). A dense value is left as it is.
bool ToDense(HeapString** h);

// hllMerge: max[i] = MAX(max[i], register i) for a LooksValid value; false
// if its sparse opcodes do not describe exactly kRegisters registers.
bool MergeInto(std::string_view value, uint8_t* max);

// hllCount over a LooksValid value; false when sparse opcodes are corrupt
// (the estimate is still computed, as Redis does, but must not be trusted).
bool Count(std::string_view value, uint64_t* out);

// hllCount over raw 8-bit registers (the multi-key PFCOUNT union).
uint64_t CountRaw(const uint8_t* registers);

}  // namespace basalt::db::hll
