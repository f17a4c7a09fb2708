#include "persist/startup.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "common/logging.h"
#include "persist/aof.h"
#include "persist/rdb_reader.h"
#include "persist/rdb_save.h"
#include "persist/snapshot.h"
#include "persist/status.h"
#include "server/server.h"

namespace basalt::persist {
namespace {

std::atomic<bool> g_shutdown_save_handled{false};

bool LoadRdbFile(server::Server& server, const std::string& path, std::string* error) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return true;  // first start: nothing saved yet
    *error = "Fatal error loading the DB: " + std::string(strerror(errno)) + ". Exiting.";
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    *error = "Fatal error loading the DB: " + std::string(strerror(errno)) + ". Exiting.";
    close(fd);
    return false;
  }
  const auto size = static_cast<size_t>(st.st_size);
  // Mapped, not read: the loader walks it once and the pages stay in the
  // page cache instead of doubling the resident size during the load.
  void* map = size ? mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : nullptr;
  close(fd);
  if (size && map == MAP_FAILED) {
    *error = "Fatal error loading the DB: " + std::string(strerror(errno)) + ". Exiting.";
    return false;
  }
  if (map) madvise(map, size, MADV_SEQUENTIAL);
  PersistStatus& status = Status(server);
  status.loading.store(true);
  int64_t start = SystemClock().MonotonicUs();
  rdb::LoadStats stats;
  std::string why;
  bool ok = rdb::LoadRdb(std::string_view(static_cast<const char*>(map), size), server.keyspace(),
                         LoadLimitsFor(server), SystemClock().NowMs(),
                         server.config().rdbchecksum.load(), &stats, &why);
  if (map) munmap(map, size);
  status.loading.store(false);
  if (!ok) {
    *error = "Fatal error loading the DB (" + path + "): " + why +
             ". Check it with redis-check-rdb. Exiting.";
    return false;
  }
  status.last_load_keys_loaded.store(stats.keys_loaded);
  status.last_load_keys_expired.store(stats.keys_expired);
  LOG_NOTICE("Done loading RDB, keys loaded: %llu, keys expired: %llu.",
             static_cast<unsigned long long>(stats.keys_loaded),
             static_cast<unsigned long long>(stats.keys_expired));
  LOG_NOTICE("DB loaded from disk: %.3f seconds",
             static_cast<double>(SystemClock().MonotonicUs() - start) / 1e6);
  return true;
}

}  // namespace

bool LoadAtStartup(server::Server& server, std::string* error) {
  // The AOF is the source of truth then (an RDB dump is ignored, as Redis does).
  if (server.config().appendonly.load()) return LoadAofAtStartup(server, error);
  return LoadRdbFile(server, server.config().dir() + "/" + server.config().dbfilename(), error);
}

bool FinalSave(server::Server& server, std::string* error) {
  WaitForSnapshot();  // Redis kills its child here; we let ours finish
  LOG_NOTICE("Saving the final RDB snapshot before exiting.");
  bool ok = SaveRdb(server, error);
  if (ok) g_shutdown_save_handled.store(true);
  return ok;
}

void MarkShutdownSaveHandled() { g_shutdown_save_handled.store(true); }

void OnShutdown(server::Server& server) {
  if (Aof* aof = FindAof()) aof->Shutdown();  // flush and fsync what was acknowledged
  if (!g_shutdown_save_handled.load() && HasSavePoints(server)) {
    std::string error;
    if (!FinalSave(server, &error)) LOG_WARNING("Error trying to save the DB, can't exit.");
  }
  WaitForSnapshot();
}

}  // namespace basalt::persist
