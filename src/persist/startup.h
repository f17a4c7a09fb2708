// What happens to persisted data when the server starts and stops. The one
// entry point for loading: the AOF (when appendonly is on) or the RDB dump.
#pragma once

#include <string>

namespace basalt::server {
class Server;
}

namespace basalt::persist {

// Called by Server::Run after the keyspace exists and before any worker
// starts. False with a message (the server then exits) when the data can't
// be loaded; a missing file is not an error.
bool LoadAtStartup(server::Server& server, std::string* error);

// Called by Server::Run after the workers stopped: waits for a running
// snapshot and, on a signal-triggered shutdown with save points, saves (as
// Redis's prepareForShutdown). SHUTDOWN's own save goes through
// FinalSave and marks it done so it isn't repeated here.
void OnShutdown(server::Server& server);

// The final save of a shutdown: waits for a running snapshot, then SAVE.
bool FinalSave(server::Server& server, std::string* error);
// SHUTDOWN decided (saved, or NOSAVE): OnShutdown must not save again.
void MarkShutdownSaveHandled();

}  // namespace basalt::persist
