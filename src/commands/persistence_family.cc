// Persistence commands: SAVE, BGSAVE, DUMP, RESTORE.
#include <string>
#include <vector>

#include "common/errors.h"
#include "common/logging.h"
#include "common/strutil.h"
#include "db/access_clock.h"
#include "db/database.h"
#include "persist/rdb_dump.h"
#include "persist/rdb_save.h"
#include "persist/snapshot.h"
#include "persist/status.h"
#include "server/db_access.h"
#include "server/effects.h"
#include "server/notify.h"
#include "server/server.h"

namespace basalt::server {
namespace {

constexpr std::string_view kBgsaveInProgress = "ERR Background save already in progress";

// ---------------------------------------------------------------- SAVE, BGSAVE

void CmdSave(const ArgList&, CommandContext& ctx) {
  if (persist::SnapshotRunning()) {
    ctx.rb->Error(kBgsaveInProgress);
    return;
  }
  std::string error;
  if (!persist::SaveRdb(*ctx.server, &error)) {
    // Redis answers a failed SAVE with the bare shared "-ERR".
    ctx.rb->Error("ERR");
    return;
  }
  ctx.rb->Ok();
}

void CmdBgsave(const ArgList& args, CommandContext& ctx) {
  bool schedule = false;
  if (args.size() > 1) {
    if (args.size() == 2 && EqualsIgnoreCase(args[1], "schedule")) {
      schedule = true;
    } else {
      ctx.rb->Error(errors::kSyntax);
      return;
    }
  }
  persist::PersistStatus& st = persist::Status(*ctx.server);
  if (st.bgsave_in_progress.load()) {
    ctx.rb->Error(kBgsaveInProgress);
    return;
  }
  // Inside EXEC (which holds every shard for a BGSAVE, db::HoldAllShards)
  // Redis defers the save to the cron, as it can't fork there.
  const bool in_exec = db::t_hold_all_shards;
  if (persist::SnapshotRunning() || in_exec) {  // the AOF rewrite's snapshot, or EXEC
    if (schedule || in_exec) {
      st.bgsave_scheduled.store(true);
      ctx.rb->SimpleString("Background saving scheduled");
    } else {
      ctx.rb->Error(
          "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
          "SCHEDULE in order to schedule a BGSAVE whenever possible.");
    }
    return;
  }
  std::string error;
  if (!persist::StartBgsave(*ctx.server, &error)) {
    if (error == "Background save already in progress") {
      ctx.rb->Error(kBgsaveInProgress);
    } else {
      LOG_WARNING("Can't save in background: %s", error.c_str());
      ctx.rb->Error("ERR");
    }
    return;
  }
  ctx.rb->SimpleString("Background saving started");
}

// ---------------------------------------------------------------- DUMP, RESTORE

void CmdDump(const ArgList& args, CommandContext& ctx) {
  db::Entry* e = LookupRead(ctx, args[1]);
  if (!e) {
    ctx.rb->Null();
    return;
  }
  persist::rdb::WriteOptions opt;
  opt.compress = ctx.server->config().rdbcompression.load();
  ctx.rb->Bulk(persist::rdb::DumpPayload(*e, opt));
}

bool ParseLongLong(CommandContext& ctx, std::string_view s, int64_t* out) {
  if (ParseInt64(s, out)) return true;
  ctx.rb->Error(errors::kNotInteger);
  return false;
}

void CmdRestore(const ArgList& args, CommandContext& ctx) {
  bool replace = false, absttl = false;
  int64_t idle = -1, freq = -1;
  for (size_t j = 4; j < args.size(); ++j) {
    const size_t additional = args.size() - j - 1;
    if (EqualsIgnoreCase(args[j], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(args[j], "absttl")) {
      absttl = true;
    } else if (EqualsIgnoreCase(args[j], "idletime") && additional >= 1 && freq == -1) {
      if (!ParseLongLong(ctx, args[j + 1], &idle)) return;
      if (idle < 0) {
        ctx.rb->Error("ERR Invalid IDLETIME value, must be >= 0");
        return;
      }
      ++j;
    } else if (EqualsIgnoreCase(args[j], "freq") && additional >= 1 && idle == -1) {
      if (!ParseLongLong(ctx, args[j + 1], &freq)) return;
      if (freq < 0 || freq > 255) {
        ctx.rb->Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
        return;
      }
      ++j;
    } else {
      ctx.rb->Error(errors::kSyntax);
      return;
    }
  }
  std::string_view key = args[1];
  db::Entry* old = LookupWrite(ctx, key);
  if (!replace && old) {
    ctx.rb->Error("BUSYKEY Target key name already exists.");
    return;
  }
  int64_t ttl;
  if (!ParseLongLong(ctx, args[2], &ttl)) return;
  if (ttl < 0) {
    ctx.rb->Error("ERR Invalid TTL value, must be >= 0");
    return;
  }
  if (!persist::rdb::VerifyDumpPayload(args[3], /*skip_checksum=*/false)) {
    ctx.rb->Error("ERR DUMP payload version or checksum are wrong");
    return;
  }
  std::string why;
  db::Entry* fresh =
      persist::rdb::ParseDumpPayload(args[3], key, persist::LoadLimitsFor(*ctx.server), &why);
  if (!fresh) {
    ctx.rb->Error("ERR Bad data format");
    return;
  }
  if (ttl && !absttl) ttl += ctx.now_ms;
  if (ttl && ttl <= ctx.now_ms) {
    // Already expired: the key ends up deleted, which is all that propagates.
    db::Entry::Free(fresh);
    if (old && ctx.db->Delete(key)) {
      KeyModified(ctx, key);
      Propagate(ctx, {"DEL", key});
      NotifyKeyspaceEvent(ctx, kNotifyGeneric, "del", key);
    } else {
      ctx.propagated = true;  // nothing changed
    }
    ctx.rb->Ok();
    return;
  }
  fresh->expire_ms = ttl;
  // Redis deletes the old key and adds a new one (its "new" notification included).
  if (old) ctx.db->Delete(key);
  ctx.db->Add(fresh);
  db::Entry* e = fresh;
  if (db::AccessClock::lfu()) {
    if (freq >= 0) {
      auto minutes = static_cast<uint32_t>(ctx.now_ms / 60000) & 0xFFFF;
      e->lru = minutes << 8 | static_cast<uint32_t>(freq);
    }
  } else if (idle >= 0) {
    e->lru = db::AccessClock::LruClock(ctx.now_ms - idle * 1000);
  }
  // Notified before KeyModified wakes a blocked client, whose events must come after.
  NotifyKeyspaceEvent(ctx, kNotifyGeneric, "restore", key);
  KeyModified(ctx, key);
  if (ttl && !absttl && PropagationEnabled(*ctx.server)) {
    // A relative TTL is replayed as the absolute time it resolved to.
    std::vector<std::string> argv(args.begin(), args.end());
    argv[2] = std::to_string(ttl);
    argv.emplace_back("ABSTTL");
    Propagate(ctx, argv);
  }
  ctx.rb->Ok();
}

}  // namespace

void RegisterPersistenceFamily(CommandRegistry& r) {
  constexpr uint32_t kAdminAcl = kAclAdmin | kAclSlow | kAclDangerous;
  r.Register({
      Cmd("save", 1, kAdmin | kNoScript | kNoAsyncLoading | kNoMulti, kAdminAcl, CmdSave)
          .Doc("server", "1.0.0", "Synchronously save the dataset to disk",
               "O(N) where N is the total number of keys in all databases"),
      Cmd("bgsave", -1, kAdmin | kNoScript | kNoAsyncLoading, kAdminAcl, CmdBgsave)
          .Doc("server", "1.0.0", "Asynchronously save the dataset to disk", "O(1)"),
      Cmd("dump", 2, kReadOnly, kAclKeyspace | kAclRead | kAclSlow, CmdDump)
          .Keys(1, 1, 1)
          .Doc("generic", "2.6.0",
               "Return a serialized version of the value stored at the specified key.",
               "O(1) to access the key and additional O(N*M) to serialize it, where N is the "
               "number of Redis objects composing the value and M their average size. For small "
               "string values the time complexity is thus O(1)+O(1*M) where M is small, so "
               "simply O(1)."),
      Cmd("restore", -4, kWrite | kDenyOom, kAclKeyspace | kAclWrite | kAclSlow | kAclDangerous,
          CmdRestore)
          .Keys(1, 1, 1)
          .Doc("generic", "2.6.0",
               "Create a key using the provided serialized value, previously obtained using DUMP.",
               "O(1) to create the new key and additional O(N*M) to reconstruct the serialized "
               "value, where N is the number of Redis objects composing the value and M their "
               "average size. For small string values the time complexity is thus O(1)+O(1*M) "
               "where M is small, so simply O(1). However for sorted set values the complexity is "
               "O(N*M*log(N)) because inserting values into sorted sets is O(log(N))."),
  });
}

}  // namespace basalt::server
