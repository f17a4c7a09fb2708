#include "persist/status.h"

#include <cstring>

#include "persist/rdb_save.h"
#include "server/server.h"

namespace basalt::persist {

PersistStatus& Status(server::Server&) {
  static PersistStatus* status = new PersistStatus;  // outlives any snapshot thread
  return *status;
}

uint64_t ChangesSinceLastSave(server::Server& server) {
  uint64_t dirty = server.dirty();
  uint64_t base = Status(server).dirty_at_last_save.load(std::memory_order_relaxed);
  return dirty > base ? dirty - base : 0;
}

bool WritesRefused(server::Server& server, std::string* reason) {
  PersistStatus& st = Status(server);
  // As Redis: a failed background save with save points configured first,
  // then a failed AOF write while the AOF is on.
  if (!st.last_bgsave_ok.load(std::memory_order_relaxed) &&
      server.config().stop_writes_on_bgsave_error.load(std::memory_order_relaxed) &&
      HasSavePoints(server)) {
    *reason =
        "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "
        "to disk. Commands that may modify the data set are disabled, because this instance is "
        "configured to report errors during writes if RDB snapshotting fails "
        "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "
        "RDB error.";
    return true;
  }
  int aof_err = st.aof_write_errno.load(std::memory_order_relaxed);
  if (aof_err != 0 && server.config().appendonly.load(std::memory_order_relaxed)) {
    *reason = std::string("MISCONF Errors writing to the AOF file: ") + strerror(aof_err);
    return true;
  }
  return false;
}

}  // namespace basalt::persist
