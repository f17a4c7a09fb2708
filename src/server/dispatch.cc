// The request path: the generic checks Redis's processCommand makes, in its
// order (unknown command, arity, auth), then the key shard locks, the
// handler, and the per-command statistics.
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/errors.h"
#include "db/keyspace.h"
#include "persist/status.h"
#include "scripting/engine.h"
#include "server/blocking.h"
#include "server/client.h"
#include "server/effects.h"
#include "server/eviction.h"
#include "server/server.h"
#include "server/transaction.h"

namespace basalt::server {
namespace {

std::string UnknownCommandError(const ArgList& args) {
  std::string rest;
  for (size_t i = 1; i < args.size() && rest.size() < 128; ++i) {
    size_t room = 128 - rest.size();
    rest += "'";
    rest.append(args[i].substr(0, room));
    rest += "' ";
  }
  std::string msg = "ERR unknown command '";
  msg.append(args[0].substr(0, 128));
  msg += "', with args beginning with: ";
  msg += rest;
  return msg;
}

void Reject(Client& c, const CommandSpec* spec, std::string_view msg) {
  protocol::ReplyBuilder& rb = c.rb();
  // Inside MULTI a rejection aborts the transaction; EXEC itself answers EXECABORT.
  if (!OnCommandRejected(c, spec, msg)) rb.Error(msg);
  WorkerStats& st = c.worker()->stats();
  st.CountError(rb.last_error_code());
  if (spec) Bump(st.per_command[spec->id].rejected_calls);
}

// Redis 7.0 wraps the effects of one command in MULTI/EXEC when there are
// several (SPOP with a count, or the DELs of keys it expired on the way).
void WrapSeveralEffects() {
  EffectBatch& batch = PendingEffects();
  if (batch.records.size() > 1) batch.transaction = true;
}

}  // namespace

namespace {

// Of the allow-busy commands, those that touch no shard: the only ones a
// worker runs while a busy script holds its locks on the same thread.
bool RunsWhileBusyOnSameThread(const CommandSpec& spec) {
  static constexpr std::string_view kSafe[] = {"auth",          "hello",          "script|kill",
                                               "function|kill", "function|stats", "shutdown"};
  for (std::string_view name : kSafe) {
    if (spec.name == name) return true;
  }
  return false;
}

}  // namespace

void Server::Execute(Client& c, ArgList& args) {
  int64_t start_us = SystemClock().NowUs();
  int64_t now_ms = start_us / 1000;
  c.last_interaction_ms = now_ms;

  const CommandSpec* spec = commands_.Find(args[0]);
  if (spec && !spec->subcommands.empty() && args.size() >= 2) {
    const CommandSpec* sub = spec->FindSubcommand(args[1]);
    if (!sub) {
      std::string upper(args[0]);
      for (char& ch : upper) ch = static_cast<char>(toupper(static_cast<unsigned char>(ch)));
      std::string msg = "ERR unknown subcommand '";
      msg.append(args[1].substr(0, 128));
      msg += "'. Try " + upper + " HELP.";
      Reject(c, nullptr, msg);
      return;
    }
    spec = sub;
  }
  if (!spec) {
    Reject(c, nullptr, UnknownCommandError(args));
    return;
  }
  c.last_cmd = spec;
  int argc = static_cast<int>(args.size());
  if ((spec->arity > 0 && spec->arity != argc) || argc < -spec->arity) {
    Reject(c, spec, "ERR wrong number of arguments for '" + spec->name + "' command");
    return;
  }
  // Clients start authenticated when the default user has no password, as in Redis.
  if (!c.authenticated && !(spec->flags & kNoAuth)) {
    Reject(c, spec, errors::kNoAuth);
    return;
  }
  if (c.multi && (spec->flags & kNoMulti)) {
    Reject(c, spec, "ERR Command not allowed inside a transaction");
    return;
  }
  std::string_view busy = scripting::BusyError(c.id(), spec->flags);
  if (busy.empty() && scripting::ServingWhileBusy() && !RunsWhileBusyOnSameThread(*spec)) {
    busy = scripting::BusyError(c.id(), 0);  // WATCH, MULTI ...: they would need the script's locks
  }
  if (!busy.empty()) {
    Reject(c, spec, busy);  // a script past busy-reply-threshold (scripting/engine.h)
    return;
  }

  const uint32_t flags = EffectiveFlags(c, spec);
  if (PerformEvictions(*this, *c.worker(), start_us) == EvictResult::kFail && (flags & kDenyOom)) {
    Reject(c, spec, errors::kOom);
    return;
  }

  // Disk errors (AOF write, failed BGSAVE) refuse writes, and PING, as Redis does.
  if ((flags & kWrite) || spec == ping_spec_) {
    std::string denied;
    if (persist::WritesRefused(*this, &denied)) {
      Reject(c, spec, denied);
      return;
    }
  }

  // RESP2 subscribers speak a reduced protocol (RESP3 clients may run anything).
  if (c.resp == 2 && c.subscriptions() > 0 && !(spec->flags & kPubSubContext)) {
    Reject(c, spec,
           "ERR Can't execute '" + spec->name +
               "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
               "allowed in this context");
    return;
  }

  if (c.multi && !RunsInsideMulti(spec)) {
    QueueCommand(c, spec, args);
    return;
  }

  CommandContext ctx{&c, this, &c.rb(), &keyspace_->db(c.db_index), now_ms, spec};
  CallWithKeyLocks(ctx, args, start_us);
}

void Server::CallWithKeyLocks(CommandContext& ctx, const ArgList& args, int64_t start_us) {
  const CommandSpec* spec = ctx.spec;
  // Commands that walk or replace whole databases lock what they touch themselves.
  bool self_locking = spec->flags & kKeyspaceWide || (spec->keys.first <= 0 && !spec->key_finder);
  thread_local std::vector<int> key_idx;
  thread_local std::unique_ptr<db::LockSet> locks;
  if (!self_locking) {
    if (!locks) locks = std::make_unique<db::LockSet>(keyspace_.get());
    key_idx.clear();
    spec->GetKeys(args, &key_idx);
    for (int i : key_idx) locks->AddKey(ctx.db->index(), args[i]);
    locks->Lock();
  }
  Call(ctx, args, start_us);
  WrapSeveralEffects();
  FlushEffects(*this);  // before the unlock: the sink sees effects in lock order
  if (!self_locking) locks->Clear();
}

namespace {

// The command this thread is running, for FlushEffectsBeforeUnlock.
struct RunningCommand {
  CommandContext* ctx = nullptr;
  const ArgList* args = nullptr;
};
thread_local RunningCommand t_running;

// Sets t_running for the handler's duration (nested Calls: EXEC, scripts).
class RunningScope {
 public:
  RunningScope(CommandContext* ctx, const ArgList* args) : saved_(t_running) {
    t_running = {ctx, args};
  }
  ~RunningScope() { t_running = saved_; }

 private:
  RunningCommand saved_;
};

// A command that changed something and recorded no effect of its own is
// logged as it was sent.
void PropagateAsSent(CommandContext& ctx, const ArgList& args) {
  if (ctx.dirty && !ctx.propagated && ctx.server->effect_sink()) Propagate(ctx, args);
}

}  // namespace

void Server::FlushEffectsBeforeUnlock() {
  RunningCommand r = t_running;
  if (!r.ctx) return;  // crons and eviction flush before they unlock
  PropagateAsSent(*r.ctx, *r.args);
  FlushEffects(*r.ctx->server);
}

void Server::Call(CommandContext& ctx, const ArgList& args, int64_t start_us) {
  const CommandSpec* spec = ctx.spec;
  protocol::ReplyBuilder& rb = *ctx.rb;
  if (ctx.client && start_us == 0) start_us = SystemClock().NowUs();
  rb.ResetErrorState();
  {
    RunningScope running(&ctx, &args);
    spec->handler(args, ctx);
  }
  PropagateAsSent(ctx, args);
  // Replaying a file (ExecuteForLoader): no statistics, as Redis's fake client.
  if (!ctx.client) return;
  // A command that blocked counts once: when it is served or ends unserved.
  if (ctx.client->blocked() && !ctx.client->block->done) return;

  ctx.client->worker()->stats().CountCall(
      spec->id, static_cast<uint64_t>(SystemClock().NowUs() - start_us),
      rb.had_error() ? rb.last_error_code() : std::string_view());
}

bool Server::ExecuteForLoader(int db_index, const ArgList& args, std::string* reply) {
  const CommandSpec* spec = commands_.Lookup(args);
  if (!spec) {
    *reply = "-" + UnknownCommandError(args);
    return false;
  }
  int argc = static_cast<int>(args.size());
  if ((spec->arity > 0 && spec->arity != argc) || argc < -spec->arity) {
    *reply = "-ERR wrong number of arguments for '" + spec->name + "' command";
    return false;
  }
  reply->clear();
  protocol::ReplyBuilder rb(reply);
  CommandContext ctx{nullptr, this, &rb, &keyspace_->db(db_index), SystemClock().NowMs(), spec};
  CallWithKeyLocks(ctx, args, 0);
  return true;
}

}  // namespace basalt::server
