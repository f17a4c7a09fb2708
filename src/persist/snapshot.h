// Fork-less point-in-time snapshots (DESIGN.md, Persistence).
//
// StartSnapshot locks every shard for an instant T, writes the RDB header,
// starts a capture on each non-empty shard's table and unlocks. From then on
// the first thread to reach a bucket of a captured table — a command's
// lookup or write, the expiry cron, eviction, or the snapshot's own thread
// walking the tables a few hundred microseconds per lock — serializes that
// bucket's entries as of T before going on (db/table.h). So no write is ever
// seen by the snapshot, no copy of the data is made, and a command pays only
// for the buckets of the keys it touches. Only the snapshot thread writes to
// the sink; pieces that commands fill wait in a queue for it.
//
// Since RDB allows SELECTDB to repeat, pieces are emitted in whatever order
// they get serialized, each piece prefixed by its SELECTDB; the sink receives
// one valid RDB image: header, pieces, EOF, CRC64.
//
// One snapshot runs at a time per process (BGSAVE, SAVE and the AOF rewrite
// base share it).
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace basalt::server {
class Server;
}

namespace basalt::persist {

// Where a snapshot's bytes go. Write calls are serialized by the snapshot
// (never concurrent) but come from any thread, possibly with shard locks
// held: they must not take shard locks or wait for other commands.
class SnapshotSink {
 public:
  virtual ~SnapshotSink() = default;
  // The next bytes of the RDB image, in order. False on an I/O error: the
  // snapshot then stops writing and finishes with ok = false.
  virtual bool Write(std::string_view bytes) = 0;
  // Once, from the snapshot thread, after the last byte (ok) or a failure.
  virtual void Done(bool ok, const std::string& error) = 0;
};

struct SnapshotOptions {
  bool compress = true;   // rdbcompression
  bool checksum = true;   // rdbchecksum: false writes a zero CRC
  bool aof_base = false;  // the aof-base AUX field
  // Per-key IDLE/FREQ, as Redis writes under an LRU/LFU maxmemory-policy.
  bool access_meta = false;
  // Runs exactly at T, with every shard of every database locked: what
  // happens after it is not in the snapshot (the AOF switches files here).
  std::function<void()> at_point_in_time;
};

// Starts a snapshot of `server`'s keyspace into `sink` (which must live until
// its Done). False with *error if one is already running.
bool StartSnapshot(server::Server& server, SnapshotSink* sink, SnapshotOptions opt,
                   std::string* error);
bool SnapshotRunning();
// Blocks until no snapshot runs. Must be called without shard locks held.
void WaitForSnapshot();

}  // namespace basalt::persist
