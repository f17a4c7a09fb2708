// What the keyspace saw change, as commands: Redis's propagate(). Each
// effective write is recorded as canonical RESP while the shards it touched
// are still locked, so a sink (the AOF; replicas later) receives the changes
// of every key in the order they happened.
//
// By default a command that changed something (CommandContext::dirty > 0) is
// recorded as it was sent. A handler whose command is not deterministic or
// relative in time records its effect instead with Propagate(): SET EX → SET
// PXAT, SPOP → SREM, INCRBYFLOAT → SET, BLPOP → LPOP. Once a handler called
// Propagate(), only what it recorded is logged for it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "server/command.h"

namespace basalt::server {

struct EffectRecord {
  int db;
  std::string resp;  // one command, RESP multibulk
};

// The records of one top-level request (a command, an EXEC, a script, or a
// cron step). `transaction` asks the sink to wrap them in MULTI/EXEC.
struct EffectBatch {
  std::vector<EffectRecord> records;
  bool transaction = false;
  bool empty() const { return records.empty(); }
  void clear() {
    records.clear();
    transaction = false;
  }
};

// Receives every batch, in lock order. Append is called with the shard locks
// of the batch's keys held, from any worker: it must only queue the bytes.
// Returns a ticket the caller may wait on (AOF `appendfsync always`).
class EffectSink {
 public:
  virtual ~EffectSink() = default;
  virtual uint64_t Append(const EffectBatch& batch) = 0;
};

// Records `argv` as an effect of the running command in database `db`.
void Propagate(CommandContext& ctx, std::initializer_list<std::string_view> argv);
void Propagate(CommandContext& ctx, const std::vector<std::string>& argv);
void Propagate(CommandContext& ctx, const ArgList& argv);
// Records a change made outside any command (active expiry, eviction):
// `argv` in database `db`, for the calling thread's next FlushEffects.
void PropagateOutsideCommand(Server& server, int db, std::initializer_list<std::string_view> argv);

// True when a sink is installed: handlers may skip building effect argv otherwise.
bool PropagationEnabled(const Server& server);

// The calling thread's batch under construction.
EffectBatch& PendingEffects();
// Hands the pending batch to the sink (if any) and clears it. Call before
// releasing the locks the batch was recorded under. Returns the sink's
// ticket, or 0 when nothing was recorded.
uint64_t FlushEffects(Server& server);

// RESP multibulk encoding of one command.
void AppendCommandResp(std::string* out, std::initializer_list<std::string_view> argv);
void AppendCommandResp(std::string* out, const std::vector<std::string_view>& argv);

}  // namespace basalt::server
