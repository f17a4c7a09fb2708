// The command table contract. A family file defines handlers in an anonymous
// namespace and ends with one Register...Family(CommandRegistry&) listing
// every command once: name, arity, flags, key positions, ACL categories and
// the docs fields COMMAND INFO/DOCS serve.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "protocol/resp_parser.h"

namespace basalt {
namespace db {
class Database;
class Keyspace;
}  // namespace db

namespace server {

class Client;
class Server;

// Redis's command flags (COMMAND INFO spells them in lower case).
enum CommandFlag : uint32_t {
  kWrite = 1 << 0,
  kReadOnly = 1 << 1,
  kDenyOom = 1 << 2,
  kAdmin = 1 << 3,
  kPubSub = 1 << 4,
  kNoScript = 1 << 5,
  kBlocking = 1 << 6,
  kLoading = 1 << 7,
  kStale = 1 << 8,
  kSkipMonitor = 1 << 9,
  kSkipSlowlog = 1 << 10,
  kAsking = 1 << 11,
  kFast = 1 << 12,
  kNoAuth = 1 << 13,
  kMayReplicate = 1 << 14,
  kNoMandatoryKeys = 1 << 15,
  kNoMulti = 1 << 16,
  kAllowBusy = 1 << 17,
  kNoAsyncLoading = 1 << 18,
  // Basalt: the handler walks or replaces whole databases itself
  // (KEYS, SCAN, FLUSHDB, SWAPDB, ...); the dispatcher takes no shard locks.
  kKeyspaceWide = 1 << 24,
  // Basalt: allowed to a RESP2 client in subscribed mode.
  kPubSubContext = 1 << 25,
};

// ACL categories, as Redis names them (@keyspace, @read, ...).
enum AclCategory : uint32_t {
  kAclKeyspace = 1 << 0,
  kAclRead = 1 << 1,
  kAclWrite = 1 << 2,
  kAclSet = 1 << 3,
  kAclSortedSet = 1 << 4,
  kAclList = 1 << 5,
  kAclHash = 1 << 6,
  kAclString = 1 << 7,
  kAclBitmap = 1 << 8,
  kAclHyperLogLog = 1 << 9,
  kAclGeo = 1 << 10,
  kAclStream = 1 << 11,
  kAclPubSub = 1 << 12,
  kAclAdmin = 1 << 13,
  kAclFast = 1 << 14,
  kAclSlow = 1 << 15,
  kAclBlocking = 1 << 16,
  kAclDangerous = 1 << 17,
  kAclConnection = 1 << 18,
  kAclTransaction = 1 << 19,
  kAclScripting = 1 << 20,
};

using ArgList = protocol::ArgList;

// What a handler sees. It never locks: the keys' shards are already locked.
struct CommandContext {
  Client* client;
  Server* server;
  protocol::ReplyBuilder* rb;
  db::Database* db;  // the client's selected database
  int64_t now_ms;    // one time for the whole command, as Redis caches it
  const struct CommandSpec* spec;
  uint64_t dirty = 0;       // changes made (KeyModified), as Redis's server.dirty delta
  bool propagated = false;  // the handler recorded its own effects (server/effects.h)
};

using Handler = void (*)(const ArgList& args, CommandContext& ctx);
// For commands whose keys are not a first/last/step range (e.g. ZUNIONSTORE's numkeys).
// Appends the indexes of key arguments.
using KeyFinder = void (*)(const ArgList& args, std::vector<int>* key_indexes);

struct KeySpec {
  int first = 0;  // 0: no keys
  int last = 0;   // negative: counts from the end (-1 = last argument)
  int step = 0;
};

struct CommandSpec {
  std::string name;  // lower case; subcommands as "parent|sub"
  int arity = 0;     // negative: at least -arity
  uint32_t flags = 0;
  KeySpec keys;
  uint32_t acl = 0;
  Handler handler = nullptr;
  KeyFinder key_finder = nullptr;
  // docs (COMMAND DOCS)
  std::string summary;
  std::string since;
  std::string group;  // "string", "generic", "server", "connection", ...
  std::string complexity;
  // Subcommands, looked up by argv[1] (CONFIG GET, CLIENT LIST, ...).
  std::vector<std::shared_ptr<CommandSpec>> subcommands;
  const CommandSpec* parent = nullptr;
  int id = -1;  // dense index for per-command stats

  const CommandSpec* FindSubcommand(std::string_view name) const;
  // Appends the indexes of the key arguments in `args`.
  void GetKeys(const ArgList& args, std::vector<int>* out) const;
  // "get", or "config|get" for subcommands.
  const std::string& full_name() const { return name; }
};

// Builder-style declaration used by family tables.
struct Cmd {
  CommandSpec spec;
  Cmd(std::string_view name, int arity, uint32_t flags, uint32_t acl, Handler h);
  Cmd& Keys(int first, int last, int step) {
    spec.keys = {first, last, step};
    return *this;
  }
  Cmd& Finder(KeyFinder f) {
    spec.key_finder = f;
    return *this;
  }
  Cmd& Doc(std::string_view group, std::string_view since, std::string_view summary,
           std::string_view complexity = "O(1)") {
    spec.group = group;
    spec.since = since;
    spec.summary = summary;
    spec.complexity = complexity;
    return *this;
  }
  // Declares a subcommand (name without the parent prefix).
  Cmd& Sub(Cmd sub);
};

class CommandRegistry {
 public:
  void Register(Cmd cmd);
  void Register(std::initializer_list<Cmd> cmds);
  // Case-insensitive lookup of a top-level command.
  const CommandSpec* Find(std::string_view name) const;
  // Resolves subcommands: returns the spec to run for argv, or nullptr.
  const CommandSpec* Lookup(const ArgList& args) const;
  const std::vector<std::unique_ptr<CommandSpec>>& all() const { return commands_; }
  // Every spec including subcommands, indexed by CommandSpec::id.
  const std::vector<const CommandSpec*>& by_id() const { return by_id_; }
  void Finalize();  // assigns ids and builds the lookup index

 private:
  std::vector<std::unique_ptr<CommandSpec>> commands_;
  std::vector<const CommandSpec*> by_id_;
  struct Slot {
    std::string name;
    const CommandSpec* spec;
  };
  std::vector<Slot> index_;  // open addressing on lower-case names
};

// Every family registers here; adding a family adds one line in families.cc.
void RegisterAllFamilies(CommandRegistry& registry);

// Lower-case names of the flag and category bits, for COMMAND INFO.
std::vector<std::string_view> FlagNames(uint32_t flags);
std::vector<std::string_view> AclCategoryNames(uint32_t acl);

}  // namespace server
}  // namespace basalt
