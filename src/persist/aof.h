// The append-only file (Redis 7 multi-part AOF; layout in persist/manifest.h).
//
// Workers never touch the disk. Append() (the server's EffectSink) encodes a
// batch under a mutex into a buffer, adding SELECT when the database changes
// and MULTI/EXEC around transactions; it runs with the batch's shard locks
// held, so the file's order is the order of effects on each key. A writer
// thread writes the buffer out and fsyncs per appendfsync:
//   always:   group commit. Each batch gets a ticket; one fsync covers every
//             batch queued before it. A client whose output holds the reply
//             to ticket t keeps it unsent until Durable(t) (Client::HoldOutput);
//             the writer then posts a release to the workers holding clients.
//   everysec: an fsync at most every second, on the writer thread.
//   no:       the OS decides.
// A failed write or fsync is retried every second; meanwhile write commands
// get -MISCONF (persist/status.h) and reads keep working.
//
// Rewrite (BGREWRITEAOF, auto-aof-rewrite-*, CONFIG SET appendonly yes):
// a new incremental file is created and added to the manifest first (empty,
// so the manifest stays loadable); then, with every shard locked for an
// instant, the writer is switched to it and the point in time T of the new
// base is taken. The base is written to a temp file, fsynced and renamed; a
// final manifest names the new base and the new incremental file only, and
// the old files are deleted. A crash at any step leaves a manifest whose
// files load to the same data.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "persist/manifest.h"
#include "server/effects.h"

namespace basalt::server {
class Server;
}
namespace basalt::db {
class Keyspace;
}

namespace basalt::persist {

class Aof : public server::EffectSink {
 public:
  explicit Aof(server::Server* server);
  ~Aof() override;

  // --- start-up, before the workers run ---
  // Loads the AOF the configuration names. 1: loaded; 0: there is none;
  // -1: it can't be loaded (*error names the file, offset and the fix).
  int Load(std::string* error);
  // With appendonly yes: creates the AOF if there is none (a base of the
  // current data), opens the last incremental file, installs the sink.
  bool Open(std::string* error);

  // --- runtime ---
  // CONFIG SET appendonly yes/no.
  void Enable();
  void Disable();
  enum class RewriteStart { kStarted, kAlreadyRunning, kFailed };
  RewriteStart StartRewrite(std::string* error);
  // BGREWRITEAOF: starts a rewrite, or schedules it while a snapshot (BGSAVE)
  // runs. Returns the status reply text, or an error text starting "ERR".
  std::string BgRewrite(bool* is_error);
  // Worker 0's cron: follows appendonly (CONFIG SET), runs scheduled and
  // automatic rewrites.
  void Cron();
  // Flushes and fsyncs what is queued and stops the threads (clean shutdown).
  void Shutdown();

  uint64_t Append(const server::EffectBatch& batch) override;
  // True once the batch with `ticket` is on disk per appendfsync.
  bool Durable(uint64_t ticket) const { return durable_.load(std::memory_order_acquire) >= ticket; }
  // A client of worker `worker` holds output until a ticket is durable; the
  // worker is told (Client::ReleaseHeldOutput) after the next fsync.
  void Hold(int worker, uint64_t client_id, uint64_t ticket);

  bool enabled() const { return enabled_.load(std::memory_order_acquire); }
  // The aof_* lines of INFO persistence, in Redis's order.
  void AppendInfoFields(std::string* out);

 private:
  struct HeldList {
    std::mutex mu;
    std::vector<uint64_t> ids;
  };

  void StartWriter();
  void StopWriter();
  void WriterMain();
  // Writes `*data` to `fd`, erasing what was written. errno-style result.
  static int WriteAll(int fd, std::string* data);
  void ReleaseHeld();
  void MaybeAutoRewrite();
  void RewriteMain(bool enabling);
  // The whole keyspace as RESP commands, with every shard locked; called at
  // T with the writer switch in `at_t` done under the same locks.
  std::string SnapshotAsCommands(const std::function<void()>& at_t);
  std::string SerializeKeyspace(db::Keyspace& ks, bool rdb_format,
                                const std::function<void()>& at_t);
  // Rewrites the RDB file at `path` as RESP commands (aof-use-rdb-preamble no).
  bool ConvertBaseToResp(const std::string& path, int64_t* size, std::string* error);
  bool CreateInitial(std::string* error);
  void DeleteFiles(const std::vector<AofFileInfo>& files);
  int64_t FileSize(const std::string& name) const;
  std::string dir() const;
  std::string filename() const;

  server::Server* server_;

  // Encoding state and the writer's queue.
  std::mutex mu_;
  std::condition_variable cv_;
  std::string buf_;
  int cur_db_ = -1;
  int64_t last_ts_ = 0;
  uint64_t issued_ = 0;
  bool accepting_ = false;
  bool stop_ = false;
  bool writer_idle_ = false;  // the writer sleeps until an Append wakes it
  bool switch_pending_ = false;
  std::string switch_tail_;  // bytes for the old file, queued before the switch
  int switch_fd_ = -1;
  int64_t switch_size_ = 0;

  // Writer thread state.
  std::thread writer_;
  int fd_ = -1;
  std::string out_;  // unwritten bytes for fd_
  std::atomic<uint64_t> durable_{0};
  std::atomic<bool> enabled_{false};
  std::atomic<bool> write_ok_{true};
  std::atomic<int64_t> incr_size_{0};   // bytes in the current incremental file
  std::atomic<int64_t> other_size_{0};  // base and older incremental files
  std::atomic<int64_t> base_size_{0};
  std::atomic<int64_t> rewrite_base_size_{0};  // aof_current_size after the last rewrite
  std::atomic<int64_t> buffered_{0};
  std::atomic<int64_t> delayed_fsync_{0};
  std::array<HeldList, 128> held_;
  std::array<std::atomic<bool>, 128> held_any_{};

  // Manifest and rewrite.
  std::mutex manifest_mu_;
  AofManifest manifest_;
  std::mutex rewrite_mu_;
  std::thread rewrite_thread_;
  std::atomic<bool> rewrite_running_{false};
  std::atomic<bool> rewrite_scheduled_{false};
  std::atomic<int64_t> rewrite_start_ms_{0};
  std::atomic<int64_t> last_failure_ms_{0};
  std::atomic<int64_t> last_rewrite_time_sec_{-1};
  std::atomic<bool> last_rewrite_ok_{true};
  std::atomic<uint64_t> rewrites_{0};
  std::atomic<uint64_t> rewrite_failures_{0};
};

// The process's AOF (one server per process), created on first use.
Aof& GetAof(server::Server& server);
// nullptr until GetAof created it.
Aof* FindAof();

// The ticket of the last batch the calling thread appended under
// appendfsync always (0: none), cleared by the call. The client takes it
// after each command to know which fsync its reply waits for.
uint64_t TakeAppendTicket();

// Worker 0's cron tick: Aof::Cron, creating the AOF object only when needed.
void AofCron(server::Server& server);

// LoadAtStartup's AOF half (appendonly yes): load, then open for appending.
bool LoadAofAtStartup(server::Server& server, std::string* error);

}  // namespace basalt::persist
