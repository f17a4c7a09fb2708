// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH. The queueing, the
// watch registry and EXEC's locking live in server/transaction.h.
#include "server/client.h"
#include "server/command.h"
#include "server/server.h"
#include "server/transaction.h"

namespace basalt::server {
namespace {

// Without a client (replaying a file) the commands of a transaction arrive
// one by one: MULTI/EXEC are markers only.

void CmdMulti(const ArgList&, CommandContext& ctx) {
  Client* c = ctx.client;
  if (!c) {
    ctx.rb->Ok();
    return;
  }
  if (c->multi) {
    ctx.rb->Error("ERR MULTI calls can not be nested");
    return;
  }
  c->multi = true;
  ctx.rb->Ok();
}

void CmdExec(const ArgList&, CommandContext& ctx) {
  if (!ctx.client) {
    ctx.rb->Ok();
    return;
  }
  ExecTransaction(ctx);
}

void CmdDiscard(const ArgList&, CommandContext& ctx) {
  Client* c = ctx.client;
  if (!c || !c->multi) {
    ctx.rb->Error("ERR DISCARD without MULTI");
    return;
  }
  DiscardTransaction(*c);
  ctx.rb->Ok();
}

// The dispatcher holds the shards of the keys.
void CmdWatch(const ArgList& args, CommandContext& ctx) {
  Client* c = ctx.client;
  if (!c) {
    ctx.rb->Ok();
    return;
  }
  if (c->multi) {
    ctx.rb->Error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  WatchKeys(*c, *ctx.db, args, ctx.now_ms);
  ctx.rb->Ok();
}

void CmdUnwatch(const ArgList&, CommandContext& ctx) {
  Client* c = ctx.client;
  if (c && !c->multi) {
    // Inside EXEC the watches are already gone (EXEC drops them first), so
    // this never locks a shard EXEC holds.
    DiscardTransaction(*c);
  }
  ctx.rb->Ok();
}

}  // namespace

void RegisterTransactionFamily(CommandRegistry& r) {
  constexpr uint32_t kTx = kAclTransaction;
  r.Register({
      Cmd("multi", 1, kNoScript | kLoading | kStale | kFast | kAllowBusy, kTx | kAclFast, CmdMulti)
          .Doc("transactions", "1.2.0", "Mark the start of a transaction block"),
      Cmd("exec", 1, kNoScript | kLoading | kStale | kSkipSlowlog, kTx | kAclSlow, CmdExec)
          .Doc("transactions", "1.2.0", "Execute all commands issued after MULTI",
               "Depends on commands in the transaction"),
      Cmd("discard", 1, kNoScript | kLoading | kStale | kFast | kAllowBusy, kTx | kAclFast,
          CmdDiscard)
          .Doc("transactions", "2.0.0", "Discard all commands issued after MULTI",
               "O(N), when N is the number of queued commands"),
      Cmd("watch", -2, kNoScript | kLoading | kStale | kFast | kAllowBusy, kTx | kAclFast, CmdWatch)
          .Keys(1, -1, 1)
          .Doc("transactions", "2.2.0",
               "Watch the given keys to determine execution of the MULTI/EXEC block",
               "O(1) for every key."),
      Cmd("unwatch", 1, kNoScript | kLoading | kStale | kFast | kAllowBusy, kTx | kAclFast,
          CmdUnwatch)
          .Doc("transactions", "2.2.0", "Forget about all watched keys"),
  });
}

}  // namespace basalt::server
