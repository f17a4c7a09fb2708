#include "server/db_access.h"

#include "db/access_clock.h"
#include "server/blocking.h"
#include "server/client.h"
#include "server/notify.h"
#include "server/server.h"
#include "server/transaction.h"

namespace basalt::server {

db::Entry* LookupRead(CommandContext& ctx, std::string_view key, int flags) {
  db::Entry* e = ctx.db->Find(key, ctx.now_ms);
  if (!(flags & kLookupNoStats) && ctx.client) {  // no client: loading the AOF
    WorkerStats& st = ctx.client->worker()->stats();
    Bump(e ? st.keyspace_hits : st.keyspace_misses);
  }
  if (e && !(flags & kLookupNoTouch)) e->lru = db::AccessClock::Touch(e->lru, ctx.now_ms);
  if (!e && !(flags & kLookupNoNotify)) NotifyKeyspaceEvent(ctx, kNotifyKeyMiss, "keymiss", key);
  return e;
}

db::Entry* LookupWrite(CommandContext& ctx, std::string_view key) {
  db::Entry* e = ctx.db->Find(key, ctx.now_ms);
  if (e) e->lru = db::AccessClock::Touch(e->lru, ctx.now_ms);
  return e;
}

void KeyModified(CommandContext& ctx, std::string_view key, uint64_t dirty) {
  ctx.dirty += dirty;
  if (dirty && ctx.client) Bump(ctx.client->worker()->stats().dirty, dirty);
  // WATCHers of the key fail their EXEC (one atomic load when nobody watches).
  if (AnyWatchedKeys()) TouchWatchedKey(*ctx.db, key);
  // A write that leaves a value where clients block serves the first of them.
  if (ctx.db->HasWaiters(key)) SignalKeyIfReady(*ctx.db, key, ctx.now_ms);
}

}  // namespace basalt::server
