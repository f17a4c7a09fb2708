#include "db/value_types.h"

#include "common/strutil.h"

namespace basalt::db {

std::string_view TypeName(ObjType t) {
  switch (t) {
    case ObjType::kString: return "string";
    case ObjType::kList: return "list";
    case ObjType::kSet: return "set";
    case ObjType::kZSet: return "zset";
    case ObjType::kHash: return "hash";
    case ObjType::kStream: return "stream";
  }
  return "unknown";
}

std::string_view EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kRaw: return "raw";
    case Encoding::kInt: return "int";
    case Encoding::kHashTable: return "hashtable";
    case Encoding::kLinkedList: return "linkedlist";
    case Encoding::kIntSet: return "intset";
    case Encoding::kSkipList: return "skiplist";
    case Encoding::kEmbStr: return "embstr";
    case Encoding::kQuickList: return "quicklist";
    case Encoding::kStream: return "stream";
    case Encoding::kListPack: return "listpack";
  }
  return "unknown";
}

bool ParseTypeName(std::string_view name, ObjType* out) {
  static constexpr ObjType kAll[] = {ObjType::kString, ObjType::kList, ObjType::kSet,
                                     ObjType::kZSet,   ObjType::kHash, ObjType::kStream};
  for (ObjType t : kAll) {
    if (EqualsIgnoreCase(name, TypeName(t))) {
      *out = t;
      return true;
    }
  }
  return false;
}

}  // namespace basalt::db
