// Start-up replay of a multi-part AOF: the base (an RDB, through the RDB
// loader, or RESP commands) then each incremental file, every command run
// through the same path as live traffic (Server::ExecuteForLoader).
// MULTI ... EXEC blocks are applied whole or not at all.
#pragma once

#include <string>

#include "persist/manifest.h"

namespace basalt::server {
class Server;
}

namespace basalt::persist {

struct AofLoadOptions {
  bool truncate_ok = true;  // aof-load-truncated: cut a torn tail of the last file
};

struct AofLoadResult {
  int64_t commands = 0;
  double seconds = 0;
  bool truncated = false;
};

// False with a message naming the file, the offset and the repair command.
bool LoadAofFiles(server::Server& server, const std::string& dir, const AofManifest& m,
                  const AofLoadOptions& opt, AofLoadResult* res, std::string* error);

}  // namespace basalt::persist
