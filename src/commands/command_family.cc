// COMMAND and its subcommands: the command table as Redis 7.0 describes it
// (COMMAND INFO/DOCS/LIST/COUNT/GETKEYS), read from the live CommandRegistry
// so the replies can't drift from what the dispatcher runs.
#include <string>
#include <string_view>
#include <vector>

#include "common/errors.h"
#include "common/strutil.h"
#include "server/command.h"
#include "server/server.h"

namespace basalt::server {
namespace {

using protocol::ReplyBuilder;

// lookupCommandBySds: "get", or "config|get" for a subcommand; at most two
// levels, case-insensitive.
const CommandSpec* FindByFullName(const CommandRegistry& reg, std::string_view name) {
  size_t bar = name.find('|');
  if (bar == std::string_view::npos) return reg.Find(name);
  const CommandSpec* parent = reg.Find(name.substr(0, bar));
  std::string_view sub = name.substr(bar + 1);
  if (!parent || parent->subcommands.empty() || sub.find('|') != std::string_view::npos) {
    return nullptr;
  }
  return parent->FindSubcommand(sub);
}

bool HasKeys(const CommandSpec& c) { return c.key_finder || c.keys.first > 0; }

// Key-spec flags. The table declares command flags, not per-key access, so
// they are derived: a write command's keys are read-write and updated, a
// read-only command's keys are read and their values returned.
std::vector<std::string_view> KeyFlags(const CommandSpec& c) {
  if (c.flags & kWrite) return {"RW", "update"};
  if (c.flags & kReadOnly) return {"RO", "access"};
  return {"RO"};
}

void ReplyFlagSet(ReplyBuilder* rb, const std::vector<std::string_view>& names) {
  rb->SetHeader(names.size());
  for (std::string_view n : names) rb->SimpleString(n);
}

// Commands with a key finder have keys at positions only the finder knows:
// Redis marks them "movablekeys" (between no_multi and allow_busy).
std::vector<std::string_view> CommandFlags(const CommandSpec& c) {
  std::vector<std::string_view> flags = FlagNames(c.flags);
  if (c.key_finder) {
    auto it = flags.end();
    if (!flags.empty() && flags.back() == "allow_busy") --it;
    flags.insert(it, "movablekeys");
  }
  return flags;
}

void ReplyKeySpecs(ReplyBuilder* rb, const CommandSpec& c) {
  if (!HasKeys(c)) {
    rb->SetHeader(0);
    return;
  }
  rb->SetHeader(1);
  rb->MapHeader(3);
  rb->Bulk("flags");
  std::vector<std::string_view> flags = KeyFlags(c);
  if (c.key_finder) flags.push_back("incomplete");
  ReplyFlagSet(rb, flags);
  rb->Bulk("begin_search");
  rb->MapHeader(2);
  rb->Bulk("type");
  if (c.key_finder) {
    // A finder is code, not a declarative spec: say so, as Redis does for
    // specs it can't describe, so clients fall back to COMMAND GETKEYS.
    rb->Bulk("unknown");
    rb->Bulk("spec");
    rb->MapHeader(0);
    rb->Bulk("find_keys");
    rb->MapHeader(2);
    rb->Bulk("type");
    rb->Bulk("unknown");
    rb->Bulk("spec");
    rb->MapHeader(0);
    return;
  }
  rb->Bulk("index");
  rb->Bulk("spec");
  rb->MapHeader(1);
  rb->Bulk("index");
  rb->Integer(c.keys.first);
  rb->Bulk("find_keys");
  rb->MapHeader(2);
  rb->Bulk("type");
  rb->Bulk("range");
  rb->Bulk("spec");
  rb->MapHeader(3);
  rb->Bulk("lastkey");
  // Legacy `last` counts from argv[0] (or from the end when negative); a
  // range spec's lastkey counts from the first key.
  rb->Integer(c.keys.last < 0 ? c.keys.last : c.keys.last - c.keys.first);
  rb->Bulk("keystep");
  rb->Integer(c.keys.step);
  rb->Bulk("limit");
  rb->Integer(0);
}

// addReplyCommandInfo: name, arity, flags, first key, last key, step, ACL
// categories, tips, key specs, subcommands.
void ReplyCommandInfo(ReplyBuilder* rb, const CommandSpec& c) {
  rb->ArrayHeader(10);
  rb->Bulk(c.name);
  rb->Integer(c.arity);
  ReplyFlagSet(rb, CommandFlags(c));
  rb->Integer(c.keys.first);
  rb->Integer(c.keys.last);
  rb->Integer(c.keys.step);
  ReplyFlagSet(rb, AclCategoryNames(c.acl));
  rb->SetHeader(0);  // tips: none are declared
  ReplyKeySpecs(rb, c);
  rb->SetHeader(c.subcommands.size());
  for (const auto& sub : c.subcommands) ReplyCommandInfo(rb, *sub);
}

// addReplyCommandDocs: only the fields the table has; group always.
void ReplyCommandDocs(ReplyBuilder* rb, const CommandSpec& c) {
  size_t fields =
      1 + !c.summary.empty() + !c.since.empty() + !c.complexity.empty() + !c.subcommands.empty();
  rb->MapHeader(fields);
  if (!c.summary.empty()) {
    rb->Bulk("summary");
    rb->Bulk(c.summary);
  }
  if (!c.since.empty()) {
    rb->Bulk("since");
    rb->Bulk(c.since);
  }
  rb->Bulk("group");
  rb->Bulk(c.group.empty() ? std::string_view("generic") : std::string_view(c.group));
  if (!c.complexity.empty()) {
    rb->Bulk("complexity");
    rb->Bulk(c.complexity);
  }
  if (!c.subcommands.empty()) {
    rb->Bulk("subcommands");
    rb->MapHeader(c.subcommands.size());
    for (const auto& sub : c.subcommands) {
      rb->Bulk(sub->name);
      ReplyCommandDocs(rb, *sub);
    }
  }
}

void ReplyAllInfo(const CommandRegistry& reg, ReplyBuilder* rb) {
  rb->ArrayHeader(reg.all().size());
  for (const auto& c : reg.all()) ReplyCommandInfo(rb, *c);
}

// COMMAND with no subcommand: every command's info.
void CmdCommand(const ArgList&, CommandContext& ctx) {
  ReplyAllInfo(ctx.server->commands(), ctx.rb);
}

void CmdCommandInfo(const ArgList& args, CommandContext& ctx) {
  const CommandRegistry& reg = ctx.server->commands();
  if (args.size() == 2) {
    ReplyAllInfo(reg, ctx.rb);
    return;
  }
  ctx.rb->ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    const CommandSpec* c = FindByFullName(reg, args[i]);
    if (c) {
      ReplyCommandInfo(ctx.rb, *c);
    } else {
      ctx.rb->Null();
    }
  }
}

void CmdCommandDocs(const ArgList& args, CommandContext& ctx) {
  const CommandRegistry& reg = ctx.server->commands();
  std::vector<const CommandSpec*> found;
  if (args.size() == 2) {
    for (const auto& c : reg.all()) found.push_back(c.get());
  } else {
    // Unknown names are left out of the map, not answered with nil.
    for (size_t i = 2; i < args.size(); ++i) {
      if (const CommandSpec* c = FindByFullName(reg, args[i])) found.push_back(c);
    }
  }
  ctx.rb->MapHeader(found.size());
  for (const CommandSpec* c : found) {
    ctx.rb->Bulk(c->name);
    ReplyCommandDocs(ctx.rb, *c);
  }
}

void CmdCommandCount(const ArgList&, CommandContext& ctx) {
  ctx.rb->Integer(static_cast<int64_t>(ctx.server->commands().all().size()));
}

// ACLGetCommandCategoryFlagByName: a bare, case-insensitive category name.
// 0 for an unknown one (which then matches no command).
uint32_t AclCategoryByName(std::string_view name) {
  for (int bit = 0; bit < 32; ++bit) {
    uint32_t flag = 1u << bit;
    std::vector<std::string_view> names = AclCategoryNames(flag);
    if (names.size() == 1 && EqualsIgnoreCase(names[0].substr(1), name)) return flag;
  }
  return 0;
}

void CmdCommandList(const ArgList& args, CommandContext& ctx) {
  enum class Filter { kNone, kModule, kAclCat, kPattern } filter = Filter::kNone;
  std::string_view arg;
  if (args.size() == 5 && EqualsIgnoreCase(args[2], "filterby")) {
    arg = args[4];
    if (EqualsIgnoreCase(args[3], "module")) {
      filter = Filter::kModule;
    } else if (EqualsIgnoreCase(args[3], "aclcat")) {
      filter = Filter::kAclCat;
    } else if (EqualsIgnoreCase(args[3], "pattern")) {
      filter = Filter::kPattern;
    } else {
      ctx.rb->Error(errors::kSyntax);
      return;
    }
  } else if (args.size() != 2) {
    ctx.rb->Error(errors::kSyntax);
    return;
  }
  uint32_t category = filter == Filter::kAclCat ? AclCategoryByName(arg) : 0;
  auto matches = [&](const CommandSpec& c) {
    switch (filter) {
      case Filter::kNone:
        return true;
      case Filter::kModule:
        return false;  // no command comes from a module
      case Filter::kAclCat:
        return category != 0 && (c.acl & category) != 0;
      case Filter::kPattern:
        return StringMatch(arg, c.name, /*nocase=*/true);
    }
    return false;
  };
  std::vector<std::string_view> names;
  for (const auto& c : ctx.server->commands().all()) {
    if (matches(*c)) names.push_back(c->name);
    for (const auto& sub : c->subcommands) {
      if (matches(*sub)) names.push_back(sub->name);
    }
  }
  ctx.rb->ArrayHeader(names.size());
  for (std::string_view n : names) ctx.rb->Bulk(n);
}

// getKeysSubcommandImpl: the checks in Redis's order, then the positions the
// dispatcher itself would lock.
void GetKeys(const ArgList& args, CommandContext& ctx, bool with_flags) {
  ArgList cmd_args(args.begin() + 2, args.end());
  const CommandSpec* c = ctx.server->commands().Lookup(cmd_args);
  if (!c) {
    ctx.rb->Error(errors::kGetKeysInvalidCommand);
    return;
  }
  if (!HasKeys(*c)) {
    ctx.rb->Error(errors::kGetKeysNoKeys);
    return;
  }
  int argc = static_cast<int>(cmd_args.size());
  if ((c->arity > 0 && c->arity != argc) || argc < -c->arity) {
    ctx.rb->Error(errors::kGetKeysWrongArity);
    return;
  }
  std::vector<int> keys;
  c->GetKeys(cmd_args, &keys);
  bool valid = !keys.empty();
  for (int i : keys) valid = valid && i > 0 && i < argc;
  if (!valid) {
    // A finder that found nothing usable (e.g. numkeys larger than the
    // arguments) is an error unless the command may have no keys at all.
    if (keys.empty() && (c->flags & kNoMandatoryKeys)) {
      ctx.rb->ArrayHeader(0);
    } else {
      ctx.rb->Error(errors::kGetKeysInvalidArgs);
    }
    return;
  }
  std::vector<std::string_view> flags;
  if (with_flags) flags = KeyFlags(*c);
  ctx.rb->ArrayHeader(keys.size());
  for (int i : keys) {
    if (with_flags) {
      ctx.rb->ArrayHeader(2);
      ctx.rb->Bulk(cmd_args[i]);
      ReplyFlagSet(ctx.rb, flags);
    } else {
      ctx.rb->Bulk(cmd_args[i]);
    }
  }
}

void CmdCommandGetKeys(const ArgList& args, CommandContext& ctx) { GetKeys(args, ctx, false); }

void CmdCommandGetKeysAndFlags(const ArgList& args, CommandContext& ctx) {
  GetKeys(args, ctx, true);
}

void CmdCommandHelp(const ArgList&, CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Return details about all Redis commands.",
      "COUNT",
      "    Return the total number of commands in this Redis server.",
      "LIST",
      "    Return a list of all commands in this Redis server.",
      "INFO [<command-name> ...]",
      "    Return details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "GETKEYS <full-command>",
      "    Return the keys from a full Redis command.",
      "GETKEYSANDFLAGS <full-command>",
      "    Return the keys and the access flags from a full Redis command.",
      "HELP",
      "    Prints this help.",
  };
  ctx.rb->SimpleStrings(kLines);
}

}  // namespace

void RegisterCommandFamily(CommandRegistry& r) {
  constexpr uint32_t kFlags = kLoading | kStale;
  constexpr uint32_t kAcl = kAclSlow | kAclConnection;
  r.Register({
      Cmd("command", -1, kFlags, kAcl, CmdCommand)
          .Doc("server", "2.8.13", "Get array of Redis command details",
               "O(N) where N is the total number of Redis commands")
          .Sub(Cmd("count", 2, kFlags, kAcl, CmdCommandCount)
                   .Doc("server", "2.8.13", "Get total number of Redis commands"))
          .Sub(Cmd("docs", -2, kFlags, kAcl, CmdCommandDocs)
                   .Doc("server", "7.0.0", "Get array of specific Redis command documentation",
                        "O(N) where N is the number of commands to look up"))
          .Sub(Cmd("help", 2, kFlags, kAcl, CmdCommandHelp)
                   .Doc("server", "5.0.0", "Show helpful text about the different subcommands"))
          .Sub(Cmd("list", -2, kFlags, kAcl, CmdCommandList)
                   .Doc("server", "7.0.0", "Get an array of Redis command names",
                        "O(N) where N is the total number of Redis commands"))
          .Sub(Cmd("getkeys", -4, kFlags, kAcl, CmdCommandGetKeys)
                   .Doc("server", "2.8.13", "Extract keys given a full Redis command",
                        "O(N) where N is the number of arguments to the command"))
          .Sub(Cmd("getkeysandflags", -4, kFlags, kAcl, CmdCommandGetKeysAndFlags)
                   .Doc("server", "7.0.0",
                        "Extract keys and access flags given a full Redis command",
                        "O(N) where N is the number of arguments to the command"))
          .Sub(Cmd("info", -2, kFlags, kAcl, CmdCommandInfo)
                   .Doc("server", "2.8.13",
                        "Get array of specific Redis command details, or all when no argument is "
                        "given.",
                        "O(N) where N is the number of commands to look up")),
  });
}

}  // namespace basalt::server
