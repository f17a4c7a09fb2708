// Pub/Sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE,
// SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB. Delivery across workers is
// server/pubsub.h's; this file is the command surface.
#include <algorithm>
#include <string>
#include <vector>

#include "common/strutil.h"
#include "server/client.h"
#include "server/command.h"
#include "server/pubsub.h"
#include "server/server.h"

namespace basalt::server {
namespace {

Subscriptions& SetOf(Client* c, ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kChannel:
      return c->channels;
    case ChannelKind::kPattern:
      return c->patterns;
    case ChannelKind::kShard:
      return c->shard_channels;
  }
  return c->channels;
}

// The count in (un)subscribe replies: shard subscriptions count apart, as in Redis.
size_t CountFor(Client* c, ChannelKind kind) {
  return kind == ChannelKind::kShard ? c->shard_channels.size()
                                     : c->channels.size() + c->patterns.size();
}

void Confirm(CommandContext& ctx, std::string_view what, std::string_view name, bool null_name,
             int64_t count) {
  ctx.rb->PushHeader(3);
  ctx.rb->Bulk(what);
  if (null_name) {
    ctx.rb->Null();
  } else {
    ctx.rb->Bulk(name);
  }
  ctx.rb->Integer(count);
}

void SubscribeGeneric(const ArgList& args, CommandContext& ctx, ChannelKind kind,
                      std::string_view reply) {
  Client* c = ctx.client;
  PubSub& ps = ctx.server->pubsub();
  auto& mine = SetOf(c, kind);
  for (size_t i = 1; i < args.size(); ++i) {
    std::string name(args[i]);
    if (mine.Add(name)) ps.Subscribe(kind, name, c->worker()->index(), c->id());
    Confirm(ctx, reply, name, false, static_cast<int64_t>(CountFor(c, kind)));
  }
}

void UnsubscribeGeneric(const ArgList& args, CommandContext& ctx, ChannelKind kind,
                        std::string_view reply) {
  Client* c = ctx.client;
  PubSub& ps = ctx.server->pubsub();
  auto& mine = SetOf(c, kind);
  auto drop = [&](const std::string& name) {
    if (mine.Remove(name)) ps.Unsubscribe(kind, name, c->worker()->index(), c->id());
    Confirm(ctx, reply, name, false, static_cast<int64_t>(CountFor(c, kind)));
  };
  if (args.size() > 1) {
    for (size_t i = 1; i < args.size(); ++i) drop(std::string(args[i]));
    return;
  }
  if (mine.empty()) {  // nothing to drop: one reply with a null name
    Confirm(ctx, reply, {}, true, static_cast<int64_t>(CountFor(c, kind)));
    return;
  }
  std::vector<std::string> all = mine.names();
  for (const std::string& name : all) drop(name);
}

void CmdSubscribe(const ArgList& args, CommandContext& ctx) {
  SubscribeGeneric(args, ctx, ChannelKind::kChannel, "subscribe");
}
void CmdUnsubscribe(const ArgList& args, CommandContext& ctx) {
  UnsubscribeGeneric(args, ctx, ChannelKind::kChannel, "unsubscribe");
}
void CmdPSubscribe(const ArgList& args, CommandContext& ctx) {
  SubscribeGeneric(args, ctx, ChannelKind::kPattern, "psubscribe");
}
void CmdPUnsubscribe(const ArgList& args, CommandContext& ctx) {
  UnsubscribeGeneric(args, ctx, ChannelKind::kPattern, "punsubscribe");
}
void CmdSSubscribe(const ArgList& args, CommandContext& ctx) {
  SubscribeGeneric(args, ctx, ChannelKind::kShard, "ssubscribe");
}
void CmdSUnsubscribe(const ArgList& args, CommandContext& ctx) {
  UnsubscribeGeneric(args, ctx, ChannelKind::kShard, "sunsubscribe");
}

void CmdPublish(const ArgList& args, CommandContext& ctx) {
  ctx.rb->Integer(ctx.server->pubsub().Publish(ChannelKind::kChannel, args[1], args[2]));
}

void CmdSPublish(const ArgList& args, CommandContext& ctx) {
  ctx.rb->Integer(ctx.server->pubsub().Publish(ChannelKind::kShard, args[1], args[2]));
}

void ChannelsGeneric(const ArgList& args, CommandContext& ctx, ChannelKind kind) {
  if (args.size() > 3) {
    ctx.rb->Error("ERR unknown subcommand or wrong number of arguments for '" +
                  std::string(args[1]) + "'. Try PUBSUB HELP.");
    return;
  }
  std::vector<std::string> names =
      ctx.server->pubsub().Channels(kind, args.size() == 3 ? args[2] : "", args.size() == 2);
  ctx.rb->ArrayHeader(names.size());
  for (const std::string& n : names) ctx.rb->Bulk(n);
}

void NumSubGeneric(const ArgList& args, CommandContext& ctx, ChannelKind kind) {
  ctx.rb->MapHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    ctx.rb->Bulk(args[i]);
    ctx.rb->Integer(ctx.server->pubsub().NumSubscribers(kind, args[i]));
  }
}

void CmdPubSubChannels(const ArgList& args, CommandContext& ctx) {
  ChannelsGeneric(args, ctx, ChannelKind::kChannel);
}
void CmdPubSubShardChannels(const ArgList& args, CommandContext& ctx) {
  ChannelsGeneric(args, ctx, ChannelKind::kShard);
}
void CmdPubSubNumSub(const ArgList& args, CommandContext& ctx) {
  NumSubGeneric(args, ctx, ChannelKind::kChannel);
}
void CmdPubSubShardNumSub(const ArgList& args, CommandContext& ctx) {
  NumSubGeneric(args, ctx, ChannelKind::kShard);
}
void CmdPubSubNumPat(const ArgList&, CommandContext& ctx) {
  ctx.rb->Integer(ctx.server->pubsub().NumPatterns());
}

void CmdPubSubHelp(const ArgList&, CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Prints this help.",
  };
  ctx.rb->SimpleStrings(kLines);
}

void CmdPubSubContainer(const ArgList&, CommandContext& ctx) { ctx.rb->Error("ERR syntax error"); }

}  // namespace

void RegisterPubSubFamily(CommandRegistry& r) {
  constexpr uint32_t kSub = kPubSub | kNoScript | kLoading | kStale | kPubSubContext;
  constexpr uint32_t kAcl = kAclPubSub | kAclSlow;
  constexpr uint32_t kIntro = kPubSub | kLoading | kStale;
  r.Register({
      Cmd("subscribe", -2, kSub, kAcl, CmdSubscribe)
          .Doc("pubsub", "2.0.0", "Listen for messages published to the given channels",
               "O(N) where N is the number of channels to subscribe to."),
      Cmd("unsubscribe", -1, kSub, kAcl, CmdUnsubscribe)
          .Doc("pubsub", "2.0.0", "Stop listening for messages posted to the given channels",
               "O(N) where N is the number of clients already subscribed to a channel."),
      Cmd("psubscribe", -2, kSub, kAcl, CmdPSubscribe)
          .Doc("pubsub", "2.0.0",
               "Listen for messages published to channels matching the given patterns",
               "O(N) where N is the number of patterns the client is already subscribed to."),
      Cmd("punsubscribe", -1, kSub, kAcl, CmdPUnsubscribe)
          .Doc("pubsub", "2.0.0",
               "Stop listening for messages posted to channels matching the given patterns",
               "O(N+M) where N is the number of patterns the client is already subscribed and M is "
               "the number of total patterns subscribed in the system (by any client)."),
      Cmd("ssubscribe", -2, kSub, kAcl, CmdSSubscribe)
          .Keys(1, -1, 1)
          .Doc("pubsub", "7.0.0", "Listen for messages published to the given shard channels",
               "O(N) where N is the number of shard channels to subscribe to."),
      Cmd("sunsubscribe", -1, kSub, kAcl, CmdSUnsubscribe)
          .Keys(1, -1, 1)
          .Doc("pubsub", "7.0.0", "Stop listening for messages posted to the given shard channels",
               "O(N) where N is the number of clients already subscribed to a shard channel."),
      Cmd("publish", 3, kPubSub | kLoading | kStale | kFast, kAclPubSub | kAclFast, CmdPublish)
          .Doc("pubsub", "2.0.0", "Post a message to a channel",
               "O(N+M) where N is the number of clients subscribed to the receiving channel and M "
               "is the total number of subscribed patterns (by any client)."),
      Cmd("spublish", 3, kPubSub | kLoading | kStale | kFast, kAclPubSub | kAclFast, CmdSPublish)
          .Keys(1, 1, 1)
          .Doc("pubsub", "7.0.0", "Post a message to a shard channel",
               "O(N) where N is the number of clients subscribed to the receiving shard channel."),
      Cmd("pubsub", -2, 0, kAclSlow, CmdPubSubContainer)
          .Doc("pubsub", "2.8.0", "A container for Pub/Sub commands", "Depends on subcommand.")
          .Sub(Cmd("channels", -2, kIntro, kAcl, CmdPubSubChannels)
                   .Doc("pubsub", "2.8.0", "List active channels",
                        "O(N) where N is the number of active channels, and assuming constant time "
                        "pattern matching (relatively short channels and patterns)"))
          .Sub(Cmd("numsub", -2, kIntro, kAcl, CmdPubSubNumSub)
                   .Doc("pubsub", "2.8.0", "Get the count of subscribers for channels",
                        "O(N) for the NUMSUB subcommand, where N is the number of requested "
                        "channels"))
          .Sub(
              Cmd("numpat", 2, kIntro, kAcl, CmdPubSubNumPat)
                  .Doc("pubsub", "2.8.0", "Get the count of unique patterns pattern subscriptions"))
          .Sub(Cmd("shardchannels", -2, kIntro, kAcl, CmdPubSubShardChannels)
                   .Doc("pubsub", "7.0.0", "List active shard channels",
                        "O(N) where N is the number of active shard channels, and assuming "
                        "constant time pattern matching (relatively short shard channels)."))
          .Sub(Cmd("shardnumsub", -2, kIntro, kAcl, CmdPubSubShardNumSub)
                   .Doc("pubsub", "7.0.0", "Get the count of subscribers for shard channels",
                        "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested "
                        "shard channels"))
          .Sub(Cmd("help", 2, kLoading | kStale, kAclSlow, CmdPubSubHelp)
                   .Doc("pubsub", "6.2.0", "Show helpful text about the different subcommands")),
  });
}

}  // namespace basalt::server
