// libFuzzer target for the request parser. Checks, besides not crashing, that
// parsing is independent of how the bytes are split across reads: the input
// parsed whole and parsed in two pieces must yield the same commands.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/resp_parser.h"

namespace {

using basalt::protocol::ArgList;
using basalt::protocol::ParserLimits;
using basalt::protocol::ParseStatus;
using basalt::protocol::RespParser;

std::vector<std::string> ParseAll(const std::string& input, size_t split) {
  std::vector<std::string> out;
  RespParser parser;
  ParserLimits limits;
  limits.max_bulk_len = 1 << 16;
  std::string buf = input.substr(0, split);
  size_t fed = split;
  ArgList args;
  while (true) {
    size_t consumed = 0;
    ParseStatus st = buf.empty() ? ParseStatus::kNeedMore
                                 : parser.Parse(buf.data(), buf.size(), limits, &args, &consumed);
    if (st == ParseStatus::kError) {
      out.push_back("ERROR:" + parser.error());
      return out;
    }
    if (st == ParseStatus::kNeedMore) {
      if (fed >= input.size()) return out;
      buf.append(input, fed, std::string::npos);
      fed = input.size();
      continue;
    }
    std::string joined;
    for (auto a : args) {
      joined += std::to_string(a.size()) + ":";
      joined.append(a);
    }
    out.push_back(joined);
    buf.erase(0, consumed);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> whole = ParseAll(input, input.size());
  std::vector<std::string> split = ParseAll(input, size / 2);
  if (whole != split) __builtin_trap();
  return 0;
}
