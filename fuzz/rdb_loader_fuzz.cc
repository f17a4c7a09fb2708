// libFuzzer target for the RDB loader and the DUMP payload parser. Inputs
// starting with "REDIS" are loaded as whole files (checksum not enforced, so
// the fuzzer gets past it into the structure); anything else is parsed as a
// RESTORE payload. Besides not crashing: whatever loads must serialize and
// load again to a value of the same type and size (the writer accepts
// everything the reader builds).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "db/keyspace.h"
#include "persist/rdb_dump.h"
#include "persist/rdb_reader.h"
#include "persist/rdb_writer.h"
#include "server/command.h"

namespace {

using basalt::persist::rdb::LoadLimits;

// Small thresholds so conversions between encodings get exercised too.
LoadLimits Limits() {
  LoadLimits lim;
  lim.list_fill = 4;
  lim.hash.max_entries = 4;
  lim.hash.max_value = 16;
  lim.set_max_intset_entries = 4;
  lim.zset.max_entries = 4;
  lim.zset.max_value = 16;
  return lim;
}

void RegisterTypesOnce() {
  static const bool done = [] {
    static basalt::server::CommandRegistry registry;
    basalt::server::RegisterAllFamilies(registry);
    return true;
  }();
  (void)done;
}

void CheckPayload(std::string_view input) {
  std::string error;
  basalt::db::Entry* e = basalt::persist::rdb::ParseDumpPayload(input, "k", Limits(), &error);
  if (!e) return;
  std::string again = basalt::persist::rdb::DumpPayload(*e, {});
  basalt::db::Entry* back = basalt::persist::rdb::ParseDumpPayload(again, "k", Limits(), &error);
  if (!back || back->type != e->type) __builtin_trap();
  // Hash-table sets and hashes may come back in another order: same bytes
  // count, not necessarily the same bytes.
  std::string third = basalt::persist::rdb::DumpPayload(*back, {});
  if (third.size() != again.size()) __builtin_trap();
  basalt::db::Entry::Free(back);
  basalt::db::Entry::Free(e);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  RegisterTypesOnce();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.substr(0, 5) == "REDIS") {
    basalt::db::Keyspace ks(16);
    std::string error;
    basalt::persist::rdb::LoadRdb(input, ks, Limits(), 0, /*verify_checksum=*/false, nullptr,
                                  &error);
    for (int d = 0; d < ks.size(); ++d) ks.db(d).FlushAllShards();
    return 0;
  }
  CheckPayload(input);
  return 0;
}
