// Value types and encodings, numbered as Redis numbers them (OBJ_* and
// OBJ_ENCODING_*), so TYPE, OBJECT ENCODING and RDB speak Redis's names.
#pragma once

#include <cstdint>
#include <string_view>

namespace basalt::db {

enum class ObjType : uint8_t { kString = 0, kList = 1, kSet = 2, kZSet = 3, kHash = 4, kStream = 6 };

enum class Encoding : uint8_t {
  kRaw = 0,
  kInt = 1,
  kHashTable = 2,
  kLinkedList = 4,
  kIntSet = 6,
  kSkipList = 7,
  kEmbStr = 8,
  kQuickList = 9,
  kStream = 10,
  kListPack = 11,
};

// Longest string Redis keeps as embstr.
inline constexpr size_t kEmbStrMaxLen = 44;

std::string_view TypeName(ObjType t);       // "string", "list", ... (TYPE)
std::string_view EncodingName(Encoding e);  // "embstr", "listpack", ... (OBJECT ENCODING)
// Parses a TYPE name as SCAN TYPE accepts it; false if unknown.
bool ParseTypeName(std::string_view name, ObjType* out);

}  // namespace basalt::db
