// SAVE, BGSAVE and the `save` points: snapshots written to `dir`/`dbfilename`
// through a temporary file that is fsynced and then renamed over the old
// dump, so a crash leaves either the old or the new file, never a torn one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "persist/rdb_reader.h"

namespace basalt::server {
class Server;
}

namespace basalt::persist {

// The encoding thresholds loaded values are built with (RESTORE, startup).
rdb::LoadLimits LoadLimitsFor(server::Server& server);

// Synchronous save (SAVE, SHUTDOWN): snapshot and wait. Other clients keep
// running meanwhile; the file holds the state at the start.
bool SaveRdb(server::Server& server, std::string* error);

// BGSAVE. False with *error when a snapshot is already running.
bool StartBgsave(server::Server& server, std::string* error);

// Once per cron tick (worker 0): save points and scheduled BGSAVEs.
void RdbCron(server::Server& server, int64_t now_ms);

// The `save` directive's (seconds, changes) pairs.
std::vector<std::pair<int64_t, int64_t>> SavePoints(server::Server& server);
bool HasSavePoints(server::Server& server);

}  // namespace basalt::persist
