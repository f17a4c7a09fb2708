#include "persist/rdb_dump.h"

#include <cstring>

#include "persist/crc64.h"
#include "persist/rdb_format.h"

namespace basalt::persist::rdb {

std::string DumpPayload(const db::Entry& e, const WriteOptions& opt) {
  std::string out;
  SerializeValue(e, opt, &out);
  out.push_back(static_cast<char>(kVersion & 0xff));
  out.push_back(static_cast<char>((kVersion >> 8) & 0xff));
  uint64_t crc = Crc64(0, out.data(), out.size());
  out.append(reinterpret_cast<const char*>(&crc), 8);
  return out;
}

bool VerifyDumpPayload(std::string_view p, bool skip_checksum) {
  if (p.size() < 10) return false;
  const char* footer = p.data() + p.size() - 10;
  unsigned version = static_cast<uint8_t>(footer[0]) | static_cast<uint8_t>(footer[1]) << 8;
  if (version > static_cast<unsigned>(kVersion)) return false;
  if (skip_checksum) return true;
  uint64_t crc = Crc64(0, p.data(), p.size() - 8);
  return memcmp(&crc, footer + 2, 8) == 0;
}

db::Entry* ParseDumpPayload(std::string_view payload, std::string_view key,
                            const LoadLimits& limits, std::string* error) {
  // The footer is not part of the object: keep the reader inside the object.
  Cursor c(payload.data(), payload.size() >= 10 ? payload.size() - 10 : 0);
  uint8_t type;
  if (!c.ReadByte(&type)) {
    *error = c.error();
    return nullptr;
  }
  if (!IsObjectType(type)) {
    *error = "unknown type";
    return nullptr;
  }
  bool empty = false;
  db::Entry* e = ReadObject(c, type, key, limits, &empty);
  if (!e) *error = empty ? "empty value" : c.error();
  return e;
}

}  // namespace basalt::persist::rdb
