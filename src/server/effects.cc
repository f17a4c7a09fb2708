#include "server/effects.h"

#include "common/strutil.h"
#include "db/database.h"
#include "server/server.h"

namespace basalt::server {
namespace {

thread_local EffectBatch t_batch;

template <typename Range>
void AppendResp(std::string* out, const Range& argv, size_t n) {
  out->push_back('*');
  out->append(Int64ToString(static_cast<int64_t>(n)));
  out->append("\r\n");
  for (const auto& a : argv) {
    std::string_view v(a);
    out->push_back('$');
    out->append(Int64ToString(static_cast<int64_t>(v.size())));
    out->append("\r\n");
    out->append(v);
    out->append("\r\n");
  }
}

template <typename Range>
void Record(CommandContext& ctx, const Range& argv, size_t n) {
  ctx.propagated = true;
  if (!PropagationEnabled(*ctx.server)) return;
  EffectRecord r{ctx.db->index(), {}};
  AppendResp(&r.resp, argv, n);
  t_batch.records.push_back(std::move(r));
}

}  // namespace

bool PropagationEnabled(const Server& server) { return server.effect_sink() != nullptr; }

void AppendCommandResp(std::string* out, std::initializer_list<std::string_view> argv) {
  AppendResp(out, argv, argv.size());
}

void AppendCommandResp(std::string* out, const std::vector<std::string_view>& argv) {
  AppendResp(out, argv, argv.size());
}

void Propagate(CommandContext& ctx, std::initializer_list<std::string_view> argv) {
  Record(ctx, argv, argv.size());
}

void Propagate(CommandContext& ctx, const std::vector<std::string>& argv) {
  Record(ctx, argv, argv.size());
}

void Propagate(CommandContext& ctx, const ArgList& argv) { Record(ctx, argv, argv.size()); }

void PropagateOutsideCommand(Server& server, int db, std::initializer_list<std::string_view> argv) {
  if (!PropagationEnabled(server)) return;
  EffectRecord r{db, {}};
  AppendResp(&r.resp, argv, argv.size());
  t_batch.records.push_back(std::move(r));
}

EffectBatch& PendingEffects() { return t_batch; }

uint64_t FlushEffects(Server& server) {
  if (t_batch.empty()) return 0;
  uint64_t ticket = 0;
  if (EffectSink* sink = server.effect_sink()) ticket = sink->Append(t_batch);
  t_batch.clear();
  return ticket;
}

}  // namespace basalt::server
