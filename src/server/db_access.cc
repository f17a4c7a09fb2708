#include "server/db_access.h"

#include "server/client.h"
#include "server/server.h"

namespace basalt::server {

db::Entry* LookupRead(CommandContext& ctx, std::string_view key, int flags) {
  db::Entry* e = ctx.db->Find(key, ctx.now_ms);
  if (!(flags & kLookupNoStats)) {
    WorkerStats& st = ctx.client->worker()->stats();
    Bump(e ? st.keyspace_hits : st.keyspace_misses);
  }
  if (e && !(flags & kLookupNoTouch)) e->lru = LruClock(ctx.now_ms);
  return e;
}

db::Entry* LookupWrite(CommandContext& ctx, std::string_view key) {
  db::Entry* e = ctx.db->Find(key, ctx.now_ms);
  if (e) e->lru = LruClock(ctx.now_ms);
  return e;
}

void KeyModified(CommandContext& ctx, std::string_view /*key*/, uint64_t dirty) {
  if (dirty) Bump(ctx.client->worker()->stats().dirty, dirty);
}

uint64_t IdleSeconds(const db::Entry* e, int64_t now_ms) {
  uint32_t now = LruClock(now_ms);
  uint32_t idle = now >= e->lru ? now - e->lru : (0xFFFFFF - e->lru) + now;
  return idle;
}

}  // namespace basalt::server
