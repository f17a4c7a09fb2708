#include "server/notify.h"

#include <string>

#include "common/strutil.h"
#include "server/pubsub.h"

namespace basalt::server {

void PublishKeyspaceEvent(Server& server, int64_t flags, std::string_view event,
                          std::string_view key, int db) {
  std::string dbid = Int64ToString(db);
  std::string channel;
  if (flags & kNotifyKeyspace) {
    channel.reserve(16 + dbid.size() + key.size());
    channel.append("__keyspace@").append(dbid).append("__:").append(key);
    server.pubsub().Publish(ChannelKind::kChannel, channel, event);
  }
  if (flags & kNotifyKeyevent) {
    channel.clear();
    channel.append("__keyevent@").append(dbid).append("__:").append(event);
    server.pubsub().Publish(ChannelKind::kChannel, channel, key);
  }
}

}  // namespace basalt::server
