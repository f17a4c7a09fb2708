// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT: the command surface over
// scripting/engine.h, which owns the Lua states, the cache and the locking.
#include <string_view>
#include <vector>

#include "common/errors.h"
#include "common/strutil.h"
#include "scripting/engine.h"
#include "server/command.h"

namespace basalt::server {
namespace {

// EVAL script numkeys key... arg...: the keys for COMMAND GETKEYS.
void NumKeysFinder(const ArgList& args, std::vector<int>* out) {
  int64_t n;
  if (args.size() < 3 || !ParseInt64(args[2], &n) || n < 0) return;
  for (int64_t i = 0; i < n && 3 + i < static_cast<int64_t>(args.size()); ++i) {
    out->push_back(static_cast<int>(3 + i));
  }
}

void CmdEval(const ArgList& args, CommandContext& ctx) { scripting::Eval(ctx, args, false, false); }
void CmdEvalSha(const ArgList& args, CommandContext& ctx) {
  scripting::Eval(ctx, args, true, false);
}
void CmdEvalRo(const ArgList& args, CommandContext& ctx) {
  scripting::Eval(ctx, args, false, true);
}
void CmdEvalShaRo(const ArgList& args, CommandContext& ctx) {
  scripting::Eval(ctx, args, true, true);
}

void CmdScriptLoad(const ArgList& args, CommandContext& ctx) {
  scripting::ScriptLoad(ctx, args[2]);
}

void CmdScriptExists(const ArgList& args, CommandContext& ctx) {
  ctx.rb->ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i)
    ctx.rb->Integer(scripting::ScriptExists(args[i]) ? 1 : 0);
}

void CmdScriptFlush(const ArgList& args, CommandContext& ctx) {
  if (args.size() > 3 || (args.size() == 3 && !EqualsIgnoreCase(args[2], "sync") &&
                          !EqualsIgnoreCase(args[2], "async"))) {
    ctx.rb->Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return;
  }
  scripting::ScriptFlush();
  ctx.rb->Ok();
}

void CmdScriptKill(const ArgList&, CommandContext& ctx) { scripting::Kill(ctx, true); }

void CmdScriptDebug(const ArgList& args, CommandContext& ctx) {
  if (EqualsIgnoreCase(args[2], "no")) {
    ctx.rb->Ok();
  } else if (EqualsIgnoreCase(args[2], "yes") || EqualsIgnoreCase(args[2], "sync")) {
    // The Lua debugger (LDB) is not part of this server.
    ctx.rb->Error("ERR SCRIPT DEBUG is not supported by this server: use SCRIPT DEBUG NO");
  } else {
    ctx.rb->Error("ERR Use SCRIPT DEBUG YES/SYNC/NO");
  }
}

void CmdScriptHelp(const ArgList&, CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DEBUG (YES|SYNC|NO)",
      "    Set the debug mode for subsequent scripts executed.",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
      "HELP",
      "    Prints this help.",
  };
  ctx.rb->SimpleStrings(kLines);
}

void CmdContainer(const ArgList&, CommandContext& ctx) { ctx.rb->Error(errors::kSyntax); }

}  // namespace

void RegisterScriptingFamily(CommandRegistry& r) {
  // Scripts take their own locks (scripting/engine.h): kKeyspaceWide keeps
  // the dispatcher from locking; the finder serves COMMAND GETKEYS.
  constexpr uint32_t kEvalFlags =
      kNoScript | kStale | kSkipMonitor | kNoMandatoryKeys | kKeyspaceWide;
  constexpr uint32_t kAcl = kAclSlow | kAclScripting;
  r.Register({
      Cmd("eval", -3, kEvalFlags, kAcl, CmdEval)
          .Finder(NumKeysFinder)
          .Doc("scripting", "2.6.0", "Execute a Lua script server side",
               "Depends on the script that is executed."),
      Cmd("evalsha", -3, kEvalFlags, kAcl, CmdEvalSha)
          .Finder(NumKeysFinder)
          .Doc("scripting", "2.6.0", "Execute a Lua script server side",
               "Depends on the script that is executed."),
      Cmd("eval_ro", -3, kEvalFlags | kReadOnly, kAcl, CmdEvalRo)
          .Finder(NumKeysFinder)
          .Doc("scripting", "7.0.0", "Execute a read-only Lua script server side",
               "Depends on the script that is executed."),
      Cmd("evalsha_ro", -3, kEvalFlags | kReadOnly, kAcl, CmdEvalShaRo)
          .Finder(NumKeysFinder)
          .Doc("scripting", "7.0.0", "Execute a read-only Lua script server side",
               "Depends on the script that is executed."),
      Cmd("script", -2, 0, kAclSlow, CmdContainer)
          .Doc("scripting", "2.6.0", "A container for Lua scripts management commands",
               "Depends on subcommand.")
          .Sub(Cmd("load", 3, kNoScript | kStale, kAcl, CmdScriptLoad)
                   .Doc("scripting", "2.6.0",
                        "Load the specified Lua script into the script cache.",
                        "O(N) with N being the length in bytes of the script body."))
          .Sub(Cmd("exists", -3, kNoScript, kAcl, CmdScriptExists)
                   .Doc("scripting", "2.6.0", "Check existence of scripts in the script cache.",
                        "O(N) with N being the number of scripts to check (so checking a single "
                        "script is an O(1) operation)."))
          .Sub(Cmd("flush", -2, kNoScript, kAcl, CmdScriptFlush)
                   .Doc("scripting", "2.6.0", "Remove all the scripts from the script cache.",
                        "O(N) with N being the number of scripts in cache"))
          .Sub(Cmd("kill", 2, kNoScript | kAllowBusy, kAcl, CmdScriptKill)
                   .Doc("scripting", "2.6.0", "Kill the script currently in execution."))
          .Sub(Cmd("debug", 3, kNoScript, kAcl, CmdScriptDebug)
                   .Doc("scripting", "3.2.0", "Set the debug mode for executed scripts.", "O(1)"))
          .Sub(Cmd("help", 2, kLoading | kStale, kAcl, CmdScriptHelp)
                   .Doc("scripting", "5.0.0", "Show helpful text about the different subcommands")),
  });
}

}  // namespace basalt::server
