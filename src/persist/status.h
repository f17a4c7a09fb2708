// Persistence state the rest of the server looks at: INFO persistence, the
// MISCONF write refusal, save points. RDB fields here; the AOF adds its own.
//
// All fields are atomics: workers read them without locks (INFO, every
// write command's MISCONF check) while a snapshot thread updates them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace basalt::server {
class Server;
}

namespace basalt::persist {

struct PersistStatus {
  std::atomic<bool> loading{false};
  // RDB
  std::atomic<bool> bgsave_in_progress{false};
  std::atomic<bool> bgsave_scheduled{false};
  std::atomic<int64_t> bgsave_start_ms{0};
  std::atomic<int64_t> last_bgsave_try_s{0};
  std::atomic<bool> last_bgsave_ok{true};
  std::atomic<int64_t> last_bgsave_time_sec{-1};
  std::atomic<uint64_t> rdb_saves{0};
  // Server::dirty() as of the last successful save's point in time.
  std::atomic<uint64_t> dirty_at_last_save{0};
  std::atomic<uint64_t> last_load_keys_loaded{0};
  std::atomic<uint64_t> last_load_keys_expired{0};
  // AOF: errno of the last failed write/fsync, 0 once a write succeeds.
  std::atomic<int> aof_write_errno{0};
};

// The process's persistence status (one server per process).
PersistStatus& Status(server::Server& server);

// rdb_changes_since_last_save.
uint64_t ChangesSinceLastSave(server::Server& server);

// Whether write commands must be refused because persistence is failing
// (Redis's writeCommandsDeniedByDiskError); *reason gets the full error
// reply text, "-MISCONF ..." without the dash.
bool WritesRefused(server::Server& server, std::string* reason);

}  // namespace basalt::persist
