// MULTI/EXEC/DISCARD and WATCH: a client's queued commands and the registry
// of watched keys.
//
// Queueing. Between MULTI and EXEC the dispatcher runs its usual checks on
// each command (unknown, arity, auth, no-multi, OOM ...). A command that
// fails them flags the transaction (EXEC then replies EXECABORT); one that
// passes is copied into the client's queue and answered +QUEUED
// (QueueCommand). MULTI, EXEC, DISCARD, WATCH, QUIT and RESET run at once.
//
// Atomicity. EXEC locks, with one db::LockSet, the shards of every key of
// every queued command in the database it will run in (a queued SELECT moves
// the later commands to another database) plus the shards of the watched
// keys, checks the watches, runs the commands through Server::Call and hands
// the effects to the sink before it unlocks. A transaction holding a
// command that walks whole databases (kKeyspaceWide) or a keyless command
// that may read server-wide state locks every shard of every database and
// sets db::HoldAllShards, so those commands' own locking becomes a no-op.
// Such a command may also need the other workers (INFO, CLIENT LIST/KILL,
// a script's redis.call), which could be waiting for one of our shards: so
// EXEC first parks every other worker between commands (they hold no shard
// lock while parked) and Server::RunOnAllWorkers runs their part on EXEC's
// thread until they resume.
//
// WATCH. Each watched (db, key) is recorded in a map per shard, guarded by
// that shard's lock, so marking watchers dirty costs a lookup under the lock
// the writer already holds. Every effective change reaches TouchWatchedKey:
// KeyModified (writes), the key listener (expiry, eviction), and whole-db
// operations (FLUSHDB, FLUSHALL, SWAPDB) through TouchAllWatchedKeysInDb.
// When no key is watched anywhere, the cost is one relaxed atomic load.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "db/keyspace.h"
#include "server/command.h"

namespace basalt::server {

class Client;
class Server;
struct TxnState;

// One WATCHed key of one client. Lives in the client's list and in its
// shard's registry map; `expired` is guarded by the key's shard lock.
struct WatchedKey {
  TxnState* owner;
  int db;
  std::string key;
  bool expired;  // the key was logically expired when WATCH ran (Redis 7.0)
};

struct QueuedCommand {
  const CommandSpec* spec;
  std::vector<std::string> argv;
};

// A client's transaction and watch state (Client::txn). Touched only on the
// client's worker except `dirty_cas` (any thread) and the WatchedKey records
// (under their shard locks).
struct TxnState {
  bool dirty_exec = false;  // a command failed the checks while queueing
  std::vector<QueuedCommand> queue;
  uint32_t queued_flags = 0;  // union of the queued commands' flags
  size_t argv_bytes = 0;
  std::vector<std::unique_ptr<WatchedKey>> watched;
  std::atomic<bool> dirty_cas{false};  // a watched key was touched
};

// Watched keys over all clients and databases: the fast path of every write.
inline std::atomic<int64_t> g_watched_key_count{0};
inline bool AnyWatchedKeys() { return g_watched_key_count.load(std::memory_order_relaxed) != 0; }

// --- the dispatcher's side ---
// True for the commands that run at once inside MULTI.
bool RunsInsideMulti(const CommandSpec* spec);
// Queues an already-checked command and replies +QUEUED.
void QueueCommand(Client& c, const CommandSpec* spec, const ArgList& args);
// A command was rejected by the generic checks: flags the transaction. For
// EXEC itself, discards the transaction and replies EXECABORT with `msg`;
// returns true then (the caller must not reply).
bool OnCommandRejected(Client& c, const CommandSpec* spec, std::string_view msg);
// The flags that decide the OOM and disk-error rejections: EXEC's include its
// queued commands'; inside MULTI every other command but DISCARD, QUIT and
// RESET counts as denyoom (queueing takes memory), as in Redis.
uint32_t EffectiveFlags(const Client& c, const CommandSpec* spec);

// --- client state ---
// Ends the transaction (if any) and unwatches everything, locking the
// watched keys' shards itself (RESET, DISCARD, client teardown).
void DiscardTransaction(Client& c);
// CLIENT LIST: multi=<n> (-1 outside MULTI), the 'x' and 'd' flags, multi-mem.
int64_t QueuedCount(const Client& c);
bool DirtyCas(const Client& c);
size_t MultiMemory(const Client& c);

// --- touching watched keys ---
// `key` of `db` changed. Caller holds the key's shard lock. `removed`: the
// key is being deleted by the server (expiry, eviction) though it may still
// be in its table.
void TouchWatchedKey(db::Database& db, std::string_view key, bool removed = false);
// FLUSHDB/FLUSHALL (replaced_with = -1) and SWAPDB: watchers of keys that
// exist in `emptied` (or in `replaced_with`) become dirty. Caller holds every
// shard of both databases.
void TouchAllWatchedKeysInDb(db::Keyspace& ks, int emptied, int replaced_with, int64_t now_ms);

// --- the command handlers' side (transaction_family.cc) ---
void WatchKeys(Client& c, db::Database& db, const ArgList& args, int64_t now_ms);
void ExecTransaction(CommandContext& ctx);

// Parks every other worker between two of its commands, holding no shard
// lock, until destroyed; one stopper at a time. Construct it on a worker
// thread holding no shard lock (EXEC does; so could a script about to take
// every shard). Meanwhile Server::RunOnAllWorkers runs the parked workers'
// share on this thread.
class StopTheWorld {
 public:
  explicit StopTheWorld(Server& server);
  ~StopTheWorld();
  StopTheWorld(const StopTheWorld&) = delete;
  StopTheWorld& operator=(const StopTheWorld&) = delete;

 private:
  struct ParkState;
  std::shared_ptr<ParkState> state_;
};

// True on the thread of a live StopTheWorld.
bool WorldStoppedByCurrentThread();

}  // namespace basalt::server
