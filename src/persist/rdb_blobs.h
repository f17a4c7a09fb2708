// The compact containers Redis stores inside RDB strings: listpack (written
// and read), ziplist, zipmap (read only: Redis 7.0 no longer writes them but
// still loads them) and intset (written and read). Each parser checks every
// length against the blob before touching it, so a corrupt blob is an error,
// never an overrun.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace basalt::persist::rdb {

// Builds a listpack. Elements that are canonical integers are stored in the
// integer encodings, as lpAppend does.
class ListpackBuilder {
 public:
  ListpackBuilder();
  void Append(std::string_view s);
  void AppendInt(int64_t v);
  size_t count() const { return count_; }
  size_t bytes() const { return buf_.size() + 1; }
  // The finished blob; the builder is then empty again.
  std::string Finish();

 private:
  void AppendBacklen(size_t entry_len);
  std::string buf_;
  size_t count_ = 0;
};

// Each parser appends the elements to *out in order, or returns false with a
// reason in *err.
bool ParseListpack(std::string_view blob, std::vector<std::string>* out, std::string* err);
bool ParseZiplist(std::string_view blob, std::vector<std::string>* out, std::string* err);
bool ParseZipmap(std::string_view blob, std::vector<std::string>* out, std::string* err);
bool ParseIntset(std::string_view blob, std::vector<std::string>* out, std::string* err);

// An intset of `values` (ascending, unique) with elements `width` bytes wide.
std::string BuildIntset(const std::vector<int64_t>& values, unsigned width);

}  // namespace basalt::persist::rdb
