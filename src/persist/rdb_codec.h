// The RDB primitives: lengths, strings (integer-encoded, LZF-compressed or
// raw), doubles and timestamps; appended to a buffer when writing, read
// through a bounds-checked Cursor when loading. Nothing here trusts input:
// every read fails cleanly with the offset where the data went wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace basalt::persist::rdb {

// --- writing (appends to *out) ---
void PutByte(std::string* out, uint8_t b);
void PutLength(std::string* out, uint64_t len);
// As rdbSaveRawString: short integers in canonical form are stored as 8/16/32
// bit integers, strings over 20 bytes LZF-compressed when `compress` and the
// result is smaller, the rest raw.
void PutString(std::string* out, std::string_view s, bool compress);
void PutInteger(std::string* out, int64_t v);  // as a string object
void PutMillis(std::string* out, int64_t ms);  // 8 bytes little-endian
void PutBinaryDouble(std::string* out, double d);

// --- reading ---
class Cursor {
 public:
  // `base` is the offset of data[0] in the whole input, for error messages.
  Cursor(const char* data, size_t size, size_t base = 0)
      : p_(data), end_(data + size), base_(base) {}

  size_t offset() const { return base_ + consumed_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // Records the first failure ("<what> at offset N") and returns false.
  bool Fail(std::string_view what);

  bool ReadByte(uint8_t* b);
  bool ReadBytes(size_t n, std::string_view* out);
  // A length; `*encoded` tells the special string encodings apart (then the
  // value is kEncInt8 ...). Pass nullptr where only plain lengths may appear.
  bool ReadLength(uint64_t* len, bool* encoded = nullptr);
  bool ReadString(std::string* out);
  bool ReadMillis(int64_t* ms);
  bool ReadSeconds(int32_t* s);
  bool ReadBinaryDouble(double* d);
  // The pre-ZSET_2 double: a length byte (253 NaN, 254 +inf, 255 -inf) and text.
  bool ReadStringDouble(double* d);

 private:
  bool Need(size_t n);
  const char* p_;
  const char* end_;
  size_t base_;
  size_t consumed_ = 0;
  std::string error_;
};

// Largest string the loader accepts (Redis's proto-max-bulk-len ceiling);
// guards against lengths that would make us allocate absurdly.
inline constexpr uint64_t kMaxStringLength = 512ull << 20;

}  // namespace basalt::persist::rdb
