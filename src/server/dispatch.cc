// The request path: the generic checks Redis's processCommand makes, in its
// order (unknown command, arity, auth), then the key shard locks, the
// handler, and the per-command statistics.
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/errors.h"
#include "db/keyspace.h"
#include "server/client.h"
#include "server/effects.h"
#include "server/eviction.h"
#include "server/server.h"

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
  rb.Error(msg);
  WorkerStats& st = c.worker()->stats();
  st.CountError(rb.last_error_code());
  if (spec) Bump(st.per_command[spec->id].rejected_calls);
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

  if (PerformEvictions(*this, *c.worker(), start_us) == EvictResult::kFail &&
      (spec->flags & kDenyOom)) {
    Reject(c, spec, errors::kOom);
    return;
  }

  // RESP2 subscribers speak a reduced protocol (RESP3 clients may run anything).
  if (c.resp == 2 && c.subscriptions() > 0 && !(spec->flags & kPubSubContext)) {
    Reject(c, spec,
           "ERR Can't execute '" + spec->name +
               "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
               "allowed in this context");
    return;
  }

  CommandContext ctx{&c, this, &c.rb(), &keyspace_->db(c.db_index), now_ms, spec};
  if (spec->flags & kKeyspaceWide || (spec->keys.first <= 0 && !spec->key_finder)) {
    Call(ctx, args, start_us);
    FlushEffects(*this);
  } else {
    thread_local std::vector<int> key_idx;
    thread_local std::unique_ptr<db::LockSet> locks;
    if (!locks) locks = std::make_unique<db::LockSet>(keyspace_.get());
    key_idx.clear();
    spec->GetKeys(args, &key_idx);
    for (int i : key_idx) locks->AddKey(c.db_index, args[i]);
    locks->Lock();
    Call(ctx, args, start_us);
    FlushEffects(*this);
    locks->Clear();
  }
}

void Server::Call(CommandContext& ctx, const ArgList& args, int64_t start_us) {
  const CommandSpec* spec = ctx.spec;
  protocol::ReplyBuilder& rb = *ctx.rb;
  WorkerStats& st = ctx.client->worker()->stats();
  if (start_us == 0) start_us = SystemClock().NowUs();
  rb.ResetErrorState();
  spec->handler(args, ctx);
  if (ctx.dirty && !ctx.propagated && effect_sink()) Propagate(ctx, args);

  int64_t end_us = SystemClock().NowUs();
  CommandStats& cs = st.per_command[spec->id];
  Bump(cs.calls);
  Bump(cs.usec, static_cast<uint64_t>(end_us - start_us));
  Bump(st.commands);
  if (rb.had_error()) {
    Bump(cs.failed_calls);
    st.CountError(rb.last_error_code());
  }
}

}  // namespace basalt::server
