// Keyspace notifications (notify-keyspace-events): Redis's
// notifyKeyspaceEvent. A change publishes "__keyspace@<db>__:<key>" → event
// and "__keyevent@<db>__:<event>" → key through PubSub, exactly as PUBLISH
// would, so every subscriber sees one worker's events in the order they
// happened. Event names and classes are Redis 7.0's, emitted at the same
// points of each command.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include "server/command.h"
#include "server/config.h"
#include "server/server.h"

namespace basalt::server {

// Publishes one event whose class is enabled in `flags`. Not for direct use.
void PublishKeyspaceEvent(Server& server, int64_t flags, std::string_view event,
                          std::string_view key, int db);

// An event of class `type` about `key` in the database of a running command.
inline void NotifyKeyspaceEvent(CommandContext& ctx, NotifyFlag type, std::string_view event,
                                std::string_view key) {
  // Notifications are off on almost every server: one relaxed load decides.
  int64_t flags = ctx.server->config().notify_keyspace_events.load(std::memory_order_relaxed);
  if ((flags & type) == 0) return;
  PublishKeyspaceEvent(*ctx.server, flags, event, key, ctx.db->index());
}

// An event that happens outside any command's logic: keys expired (actively
// or lazily), evicted, or created (the "new" event, raised by the database).
inline void NotifyKeyspaceEvent(Server& server, int db, NotifyFlag type, std::string_view event,
                                std::string_view key) {
  int64_t flags = server.config().notify_keyspace_events.load(std::memory_order_relaxed);
  if ((flags & type) == 0) return;
  PublishKeyspaceEvent(server, flags, event, key, db);
}

}  // namespace basalt::server
