#include "server/effects.h"

#include <cstring>

#include "common/strutil.h"
#include "db/database.h"
#include "server/server.h"

namespace basalt::server {
namespace {

thread_local EffectBatch t_batch;

// Decimal digits of n.
size_t Digits(size_t n) {
  size_t d = 1;
  while (n >= 10) {
    n /= 10;
    ++d;
  }
  return d;
}

// Writes "<c><n>\r\n" at p; returns the end.
char* PutLen(char* p, char c, size_t n, size_t digits) {
  *p = c;
  char* q = p + digits;
  do {
    *q-- = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n);
  p += digits + 1;
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

template <typename Range>
void AppendResp(std::string* out, const Range& argv, size_t n) {
  // The exact size first: one allocation, then plain stores.
  size_t total = 3 + Digits(n);
  for (const auto& a : argv) {
    size_t len = std::string_view(a).size();
    total += 5 + Digits(len) + len;
  }
  size_t old = out->size();
  out->resize(old + total);
  char* p = out->data() + old;
  p = PutLen(p, '*', n, Digits(n));
  for (const auto& a : argv) {
    std::string_view v(a);
    p = PutLen(p, '$', v.size(), Digits(v.size()));
    memcpy(p, v.data(), v.size());
    p += v.size();
    *p++ = '\r';
    *p++ = '\n';
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
