// Micro benchmarks of the request path's building blocks.
#include <benchmark/benchmark.h>

#include <string>

#include "db/table.h"
#include "protocol/reply_builder.h"
#include "protocol/resp_parser.h"

namespace {

void BM_ParseSetCommand(benchmark::State& state) {
  std::string buf;
  for (int i = 0; i < 16; ++i) buf += "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000012345\r\n$3\r\nxxx\r\n";
  basalt::protocol::RespParser parser;
  basalt::protocol::ParserLimits limits;
  basalt::protocol::ArgList args;
  for (auto _ : state) {
    size_t off = 0, consumed = 0;
    while (off < buf.size()) {
      parser.Parse(buf.data() + off, buf.size() - off, limits, &args, &consumed);
      off += consumed;
    }
    benchmark::DoNotOptimize(args.data());
  }
  state.SetItemsProcessed(state.iterations() * 16);
}
BENCHMARK(BM_ParseSetCommand);

void BM_ReplyBulk(benchmark::State& state) {
  std::string out;
  basalt::protocol::ReplyBuilder rb(&out);
  for (auto _ : state) {
    out.clear();
    for (int i = 0; i < 16; ++i) rb.Bulk("value-0123456789");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 16);
}
BENCHMARK(BM_ReplyBulk);

void BM_TableFindHit(benchmark::State& state) {
  basalt::db::Table table;
  const int n = static_cast<int>(state.range(0));
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) {
    keys.push_back("key:" + std::to_string(i));
    table.Insert(basalt::db::Entry::NewString(keys.back(), "v", basalt::db::Encoding::kEmbStr));
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(table.Find(keys[i++ % keys.size()]));
  }
}
BENCHMARK(BM_TableFindHit)->Arg(1000)->Arg(100000);

}  // namespace

BENCHMARK_MAIN();
