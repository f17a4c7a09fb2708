// The list value: a chain of compact chunks, as Redis's quicklist of
// listpacks. Each chunk is one contiguous allocation of entries
//   [len as LEB128][bytes][len as LEB128, bytes reversed]
// so it is walked from either end without per-element pointers. A chunk's
// size is bounded by list-max-listpack-size: negative values cap its bytes
// (-1: 4 KB ... -5: 64 KB), positive values cap its entries (and 8 KB, as
// Redis's safety limit). OBJECT ENCODING is "quicklist" in Redis 7.0.
//
// Integers in canonical decimal form are stored as integers (1-9 bytes), as
// listpack does; readers get their decimal text back.
//
// A view returned by At() stays valid until the next mutation or At(); views
// passed to ForEach callbacks only during the call.
// No locking: the owner (a shard) serializes access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace basalt::db {

class List {
 public:
  explicit List(int fill) : fill_(fill) {}
  ~List();
  List(const List& other);
  List& operator=(const List&) = delete;

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t chunk_count() const { return chunks_.size(); }
  // Elements per chunk, front to back (tests and DEBUG).
  std::vector<size_t> ChunkSizes() const;

  void PushFront(std::string_view v) { Push(v, true); }
  void PushBack(std::string_view v) { Push(v, false); }
  void Push(std::string_view v, bool front);
  // Requires !empty().
  std::string Pop(bool front);

  // 0 <= i < size().
  std::string_view At(size_t i) const;
  void Set(size_t i, std::string_view v);
  // Inserts so the new element ends up at index i (0 <= i <= size()).
  void Insert(size_t i, std::string_view v);
  // Removes n elements from index i (clamped to the end).
  void Erase(size_t i, size_t n);
  // Removes the elements at the given ascending indexes.
  void EraseIndexes(const std::vector<size_t>& sorted);

  // Visits elements start..stop (inclusive; start <= stop < size()) front to
  // back; fn returns false to stop early.
  void ForEach(size_t start, size_t stop, const std::function<bool(std::string_view)>& fn) const;
  // Visits elements from index `start` towards the front (start < size()).
  void ForEachReverse(size_t start, const std::function<bool(std::string_view)>& fn) const;

  size_t MemoryUsage() const;

 private:
  struct Chunk;
  struct Pos {
    size_t chunk;
    size_t in_chunk;  // element index inside the chunk
  };

  Pos Locate(size_t i) const;
  bool Fits(const Chunk* c, size_t extra_bytes, size_t extra_entries) const;
  size_t ByteLimit() const;
  // Replaces chunk `ci` with chunks packed from `items` (may be empty).
  void Repack(size_t ci, const std::vector<std::string>& items);
  static std::vector<std::string> Decode(const Chunk* c);
  // Merges neighbours that fit together, around chunk indexes [lo, hi].
  void MergeAround(size_t lo, size_t hi);

  std::vector<Chunk*> chunks_;
  size_t count_ = 0;
  int fill_;
  mutable char scratch_[24];  // At()'s formatted integers
};

}  // namespace basalt::db
