// libFuzzer target for the AOF loader's reading side: the RESP command
// reader, the whole-file scan the loader and basalt-check-aof rely on, and
// the manifest parser. Besides not crashing, it checks the properties the
// loader's decisions depend on:
//   - the valid prefix ScanAof reports scans again as a clean file with the
//     same number of commands, and repairing (truncating) to it is a fixpoint;
//   - every prefix of a clean file reads as clean or truncated, never as
//     corrupt: a torn tail is never mistaken for damage in the middle.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "persist/aof_reader.h"
#include "persist/manifest.h"

namespace {

using basalt::persist::AofReader;
using basalt::persist::AofReadStatus;
using basalt::persist::AofScanResult;
using basalt::persist::ScanAof;

void Check(bool cond) {
  if (!cond) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* p = reinterpret_cast<const char*>(data);
  std::string input(p, size);

  AofScanResult r = ScanAof(input.data(), input.size());
  Check(r.valid_up_to <= input.size());
  if (r.status == AofReadStatus::kEnd) Check(r.valid_up_to == input.size());

  // The repaired file is clean.
  std::string fixed = input.substr(0, r.valid_up_to);
  AofScanResult again = ScanAof(fixed.data(), fixed.size());
  Check(again.status == AofReadStatus::kEnd);
  Check(again.valid_up_to == fixed.size());

  // Prefixes of the clean part are never "corrupt".
  size_t step = fixed.size() > 64 ? fixed.size() / 64 : 1;
  for (size_t cut = 0; cut < fixed.size(); cut += step) {
    AofScanResult pr = ScanAof(fixed.data(), cut);
    Check(pr.status != AofReadStatus::kCorrupt);
    Check(pr.valid_up_to <= cut);
  }

  // The reader's views stay inside the input.
  AofReader reader(input.data(), input.size());
  std::vector<std::string_view> argv;
  while (reader.Next(&argv) == AofReadStatus::kCommand) {
    Check(!argv.empty());
    for (std::string_view a : argv) {
      Check(a.data() >= input.data() && a.data() + a.size() <= input.data() + input.size());
    }
  }

  // The same bytes as a manifest: parse, and a parsed manifest round-trips.
  basalt::persist::AofManifest m;
  std::string error;
  if (m.Parse(input, &error)) {
    basalt::persist::AofManifest m2;
    Check(m2.Parse(m.Serialize(), &error));
    Check(m2.Serialize() == m.Serialize());
  }
  return 0;
}
