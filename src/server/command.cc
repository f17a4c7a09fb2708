#include "server/command.h"

#include "common/strutil.h"
#include "db/table.h"

namespace basalt::server {

Cmd::Cmd(std::string_view name, int arity, uint32_t flags, uint32_t acl, Handler h) {
  spec.name = ToLower(name);
  spec.arity = arity;
  spec.flags = flags;
  spec.acl = acl;
  spec.handler = h;
}

Cmd& Cmd::Sub(Cmd sub) {
  auto s = std::make_shared<CommandSpec>(std::move(sub.spec));
  s->name = spec.name + "|" + s->name;
  if (s->group.empty()) s->group = spec.group;
  if (s->since.empty()) s->since = spec.since;
  spec.subcommands.push_back(std::move(s));
  return *this;
}

const CommandSpec* CommandSpec::FindSubcommand(std::string_view sub) const {
  size_t prefix = name.size() + 1;
  for (const auto& s : subcommands) {
    if (EqualsIgnoreCase(std::string_view(s->name).substr(prefix), sub)) return s.get();
  }
  return nullptr;
}

void CommandSpec::GetKeys(const ArgList& args, std::vector<int>* out) const {
  if (key_finder) {
    key_finder(args, out);
    return;
  }
  if (keys.first <= 0) return;
  int argc = static_cast<int>(args.size());
  int last = keys.last >= 0 ? keys.last : argc + keys.last;
  if (last >= argc) last = argc - 1;
  for (int i = keys.first; i <= last; i += keys.step) out->push_back(i);
}

void CommandRegistry::Register(Cmd cmd) {
  commands_.push_back(std::make_unique<CommandSpec>(std::move(cmd.spec)));
}

void CommandRegistry::Register(std::initializer_list<Cmd> cmds) {
  for (const Cmd& c : cmds) Register(c);
}

void CommandRegistry::Finalize() {
  by_id_.clear();
  for (auto& c : commands_) {
    c->id = static_cast<int>(by_id_.size());
    by_id_.push_back(c.get());
    for (auto& s : c->subcommands) {
      s->parent = c.get();
      s->id = static_cast<int>(by_id_.size());
      by_id_.push_back(s.get());
    }
  }
  size_t cap = 16;
  while (cap < commands_.size() * 4) cap *= 2;
  index_.assign(cap, Slot{});
  for (auto& c : commands_) {
    size_t i = db::HashKey(c->name) & (cap - 1);
    while (index_[i].spec) i = (i + 1) & (cap - 1);
    index_[i] = Slot{c->name, c.get()};
  }
}

const CommandSpec* CommandRegistry::Find(std::string_view name) const {
  if (name.size() > 32 || index_.empty()) return nullptr;
  char lower[32];
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  std::string_view key(lower, name.size());
  size_t mask = index_.size() - 1;
  for (size_t i = db::HashKey(key) & mask;; i = (i + 1) & mask) {
    const Slot& s = index_[i];
    if (!s.spec) return nullptr;
    if (s.name == key) return s.spec;
  }
}

const CommandSpec* CommandRegistry::Lookup(const ArgList& args) const {
  const CommandSpec* c = Find(args[0]);
  if (!c || c->subcommands.empty() || args.size() < 2) return c;
  return c->FindSubcommand(args[1]);
}

std::vector<std::string_view> FlagNames(uint32_t flags) {
  static constexpr std::pair<uint32_t, std::string_view> kNames[] = {
      {kWrite, "write"},
      {kReadOnly, "readonly"},
      {kDenyOom, "denyoom"},
      {kAdmin, "admin"},
      {kPubSub, "pubsub"},
      {kNoScript, "noscript"},
      {kBlocking, "blocking"},
      {kLoading, "loading"},
      {kStale, "stale"},
      {kSkipMonitor, "skip_monitor"},
      {kSkipSlowlog, "skip_slowlog"},
      {kAsking, "asking"},
      {kFast, "fast"},
      {kNoAuth, "no_auth"},
      {kMayReplicate, "may_replicate"},
      {kNoMandatoryKeys, "no_mandatory_keys"},
      {kNoAsyncLoading, "no_async_loading"},
      {kNoMulti, "no_multi"},
      {kAllowBusy, "allow_busy"},
  };
  std::vector<std::string_view> out;
  for (auto [bit, name] : kNames) {
    if (flags & bit) out.push_back(name);
  }
  return out;
}

std::vector<std::string_view> AclCategoryNames(uint32_t acl) {
  static constexpr std::pair<uint32_t, std::string_view> kNames[] = {
      {kAclKeyspace, "@keyspace"},
      {kAclRead, "@read"},
      {kAclWrite, "@write"},
      {kAclSet, "@set"},
      {kAclSortedSet, "@sortedset"},
      {kAclList, "@list"},
      {kAclHash, "@hash"},
      {kAclString, "@string"},
      {kAclBitmap, "@bitmap"},
      {kAclHyperLogLog, "@hyperloglog"},
      {kAclGeo, "@geo"},
      {kAclStream, "@stream"},
      {kAclPubSub, "@pubsub"},
      {kAclAdmin, "@admin"},
      {kAclFast, "@fast"},
      {kAclSlow, "@slow"},
      {kAclBlocking, "@blocking"},
      {kAclDangerous, "@dangerous"},
      {kAclConnection, "@connection"},
      {kAclTransaction, "@transaction"},
      {kAclScripting, "@scripting"},
  };
  std::vector<std::string_view> out;
  for (auto [bit, name] : kNames) {
    if (acl & bit) out.push_back(name);
  }
  return out;
}

}  // namespace basalt::server
