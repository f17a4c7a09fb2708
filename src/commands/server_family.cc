// Server commands: INFO, CONFIG, TIME, LASTSAVE, DEBUG, SHUTDOWN.
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/errors.h"
#include "common/logging.h"
#include "common/strutil.h"
#include "persist/rdb_save.h"
#include "persist/startup.h"
#include "scripting/engine.h"
#include "server/client.h"
#include "server/command.h"
#include "server/info.h"
#include "server/server.h"

namespace basalt::server {
namespace {

using protocol::ReplyBuilder;

// ---------------------------------------------------------------- INFO

void CmdInfo(const ArgList& args, CommandContext& ctx) {
  std::vector<std::string_view> sections(args.begin() + 1, args.end());
  ctx.rb->Verbatim(GenerateInfo(*ctx.server, InfoRequest::Parse(sections)));
}

// ---------------------------------------------------------------- CONFIG

void CmdConfigGet(const ArgList& args, CommandContext& ctx) {
  std::vector<std::string_view> patterns(args.begin() + 2, args.end());
  auto matches = ctx.server->config().GetMatching(patterns);
  ctx.rb->MapHeader(matches.size());
  for (const auto& [name, value] : matches) {
    ctx.rb->Bulk(name);
    ctx.rb->Bulk(value);
  }
}

void CmdConfigSet(const ArgList& args, CommandContext& ctx) {
  // Arity guarantees one pair; a dangling name is a syntax error, as in Redis.
  if ((args.size() - 2) % 2 != 0) {
    ctx.rb->Error(errors::kSyntax);
    return;
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.reserve((args.size() - 2) / 2);
  for (size_t i = 2; i + 1 < args.size(); i += 2) {
    pairs.emplace_back(std::string(args[i]), std::string(args[i + 1]));
  }
  std::string error;
  if (!ctx.server->config().SetMany(pairs, &error)) {
    ctx.rb->Error(error);
    return;
  }
  ctx.rb->Ok();
}

void CmdConfigResetStat(const ArgList&, CommandContext& ctx) {
  ctx.server->ResetStats();
  ctx.rb->Ok();
}

void CmdConfigRewrite(const ArgList&, CommandContext& ctx) {
  std::string error;
  if (!ctx.server->config().Rewrite(&error)) {
    LOG_WARNING("CONFIG REWRITE failed: %s", error.c_str());
    ctx.rb->Error(error);
    return;
  }
  LOG_NOTICE("CONFIG REWRITE executed with success.");
  ctx.rb->Ok();
}

void CmdConfigHelp(const ArgList&, CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>",
      "    Set the configuration <directive> to <value>.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command.",
      "REWRITE",
      "    Rewrite the configuration file.",
      "HELP",
      "    Prints this help.",
  };
  ctx.rb->SimpleStrings(kLines);
}

void CmdContainer(const ArgList&, CommandContext& ctx) {
  // Reached only with argc == 1, which the containers' arity already rejects.
  ctx.rb->Error(errors::kSyntax);
}

// ---------------------------------------------------------------- TIME, LASTSAVE

void CmdTime(const ArgList&, CommandContext& ctx) {
  int64_t us = SystemClock().NowUs();
  ctx.rb->ArrayHeader(2);
  ctx.rb->Bulk(Int64ToString(us / 1000000));
  ctx.rb->Bulk(Int64ToString(us % 1000000));
}

void CmdLastSave(const ArgList&, CommandContext& ctx) {
  ctx.rb->Integer(ctx.server->lastsave_s.load());
}

// ---------------------------------------------------------------- DEBUG

// Redis's enable-debug-command: "no" (the default), "yes", or "local" (only
// from loopback and unix-socket connections).
bool DebugAllowed(CommandContext& ctx) {
  std::string mode;
  if (!ctx.server->config().Get("enable-debug-command", &mode)) mode = "no";
  if (mode == "yes") return true;
  if (mode == "local") return ctx.client->is_unix() || ctx.client->is_loopback();
  return false;
}

void DebugSleep(std::string_view arg, const Server& server) {
  // Redis reads the argument with strtod and no validation: a malformed
  // number sleeps 0 seconds, a negative one (or one whose microseconds
  // overflow a long long, infinity included) not at all.
  double seconds = strtod(std::string(arg).c_str(), nullptr);
  double us = seconds * 1e6;
  if (!(us >= 1) || !(us < 9.2e18)) return;
  // As in Redis the whole loop stops (this worker's other clients wait too),
  // but a shutdown doesn't wait for the end: Redis's sleep ends on a signal.
  int64_t end = SystemClock().MonotonicUs() + static_cast<int64_t>(us);
  while (!server.shutting_down()) {
    int64_t left = end - SystemClock().MonotonicUs();
    if (left <= 0) break;
    int64_t slice = std::min<int64_t>(left, 10000);
    timespec ts{static_cast<time_t>(slice / 1000000), static_cast<long>(slice % 1000000 * 1000)};
    nanosleep(&ts, nullptr);
  }
}

void CmdDebug(const ArgList& args, CommandContext& ctx) {
  if (!DebugAllowed(ctx)) {
    ctx.rb->Error(errors::kDebugNotAllowed);
    return;
  }
  std::string_view sub = args[1];
  size_t argc = args.size();
  if (argc == 2 && EqualsIgnoreCase(sub, "help")) {
    static constexpr std::string_view kLines[] = {
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "HELP",
        "    Prints this help.",
    };
    ctx.rb->SimpleStrings(kLines);
  } else if (argc == 3 && EqualsIgnoreCase(sub, "sleep")) {
    DebugSleep(args[2], *ctx.server);
    ctx.rb->Ok();
  } else if (argc == 3 && EqualsIgnoreCase(sub, "log")) {
    std::string msg(args[2]);
    LOG_WARNING("DEBUG LOG: %s", msg.c_str());
    ctx.rb->Ok();
  } else if (argc == 3 && EqualsIgnoreCase(sub, "error")) {
    // Written raw, as Redis does: it simulates an error and is not counted
    // in errorstats or as a failed call.
    std::string reply = "-";
    reply.append(args[2]);
    for (size_t i = 1; i < reply.size(); ++i) {
      if (reply[i] == '\r' || reply[i] == '\n') reply[i] = ' ';
    }
    reply.append("\r\n");
    ctx.rb->Raw(reply);
  } else {
    // addReplySubcommandSyntaxError: the command name upper-cased, the
    // subcommand as the client wrote it.
    ctx.rb->Error("ERR unknown subcommand or wrong number of arguments for '" +
                  std::string(sub.substr(0, 128)) + "'. Try DEBUG HELP.");
  }
}

// ---------------------------------------------------------------- SHUTDOWN

void CmdShutdown(const ArgList& args, CommandContext& ctx) {
  bool nosave = false, save = false, now = false, force = false, abort = false;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (EqualsIgnoreCase(a, "nosave")) {
      nosave = true;
    } else if (EqualsIgnoreCase(a, "save")) {
      save = true;
    } else if (EqualsIgnoreCase(a, "now")) {
      now = true;
    } else if (EqualsIgnoreCase(a, "force")) {
      force = true;
    } else if (EqualsIgnoreCase(a, "abort")) {
      abort = true;
    } else {
      ctx.rb->Error(errors::kSyntax);
      return;
    }
  }
  if ((abort && (nosave || save || now || force)) || (nosave && save)) {
    ctx.rb->Error(errors::kSyntax);
    return;
  }
  if (abort) {
    // Shutdown never waits (no replicas to catch up), so none is ever pending.
    ctx.rb->Error(errors::kNoShutdownInProgress);
    return;
  }
  if (!nosave) {
    // As Redis: past busy-reply-threshold only SHUTDOWN NOSAVE goes through
    // (a save would wait for the script's locks).
    if (std::string_view busy = scripting::BusyError(0, 0); !busy.empty()) {
      ctx.rb->Error(busy);
      return;
    }
  }
  // As Redis's prepareForShutdown: SAVE, or save points without NOSAVE.
  if (save || (!nosave && persist::HasSavePoints(*ctx.server))) {
    std::string error;
    if (!persist::FinalSave(*ctx.server, &error) && !force) {
      LOG_WARNING("Error trying to save the DB, can't exit.");
      LOG_WARNING("Errors trying to shut down the server. Check the logs for more information.");
      ctx.rb->Error(errors::kShutdownErrors);
      return;
    }
  }
  persist::MarkShutdownSaveHandled();
  // Like Redis, which exits without replying: the client sees the connection
  // close. Nothing else this client pipelined runs.
  ctx.client->CloseAfterReply();
  ctx.server->RequestShutdown();
}

}  // namespace

void RegisterServerFamily(CommandRegistry& r) {
  constexpr uint32_t kAdminAcl = kAclAdmin | kAclSlow | kAclDangerous;
  r.Register({
      Cmd("info", -1, kLoading | kStale, kAclSlow | kAclDangerous, CmdInfo)
          .Doc("server", "1.0.0", "Get information and statistics about the server"),
      Cmd("config", -2, 0, kAclSlow, CmdContainer)
          .Doc("server", "2.0.0", "A container for server configuration commands",
               "Depends on subcommand.")
          .Sub(Cmd("get", -3, kAdmin | kNoScript | kLoading | kStale, kAdminAcl, CmdConfigGet)
                   .Doc("server", "2.0.0", "Get the values of configuration parameters",
                        "O(N) when N is the number of configuration parameters provided"))
          .Sub(Cmd("set", -4, kAdmin | kNoScript | kLoading | kStale, kAdminAcl, CmdConfigSet)
                   .Doc("server", "2.0.0", "Set configuration parameters to the given values",
                        "O(N) when N is the number of configuration parameters provided"))
          .Sub(Cmd("resetstat", 2, kAdmin | kNoScript | kLoading | kStale, kAdminAcl,
                   CmdConfigResetStat)
                   .Doc("server", "2.0.0", "Reset the stats returned by INFO"))
          .Sub(
              Cmd("rewrite", 2, kAdmin | kNoScript | kLoading | kStale, kAdminAcl, CmdConfigRewrite)
                  .Doc("server", "2.8.0",
                       "Rewrite the configuration file with the in memory configuration"))
          .Sub(Cmd("help", 2, kLoading | kStale, kAclSlow, CmdConfigHelp)
                   .Doc("server", "5.0.0", "Show helpful text about the different subcommands")),
      Cmd("time", 1, kLoading | kStale | kFast, kAclFast, CmdTime)
          .Doc("server", "2.6.0", "Return the current server time"),
      Cmd("lastsave", 1, kLoading | kStale | kFast, kAclAdmin | kAclFast | kAclDangerous,
          CmdLastSave)
          .Doc("server", "1.0.0", "Get the UNIX time stamp of the last successful save to disk"),
      Cmd("debug", -2, kAdmin | kNoScript | kLoading | kStale, kAdminAcl, CmdDebug)
          .Doc("server", "1.0.0", "A container for debugging commands", "Depends on subcommand."),
      Cmd("shutdown", -1, kAdmin | kNoScript | kLoading | kStale | kNoMulti | kAllowBusy, kAdminAcl,
          CmdShutdown)
          .Doc("server", "1.0.0",
               "Synchronously save the dataset to disk and then shut down the server",
               "O(N) when saving, where N is the total number of keys in all databases when "
               "saving data, otherwise O(1)"),
  });
}

}  // namespace basalt::server
