// FCALL, FCALL_RO and FUNCTION: the command surface over scripting/engine.h.
#include <string_view>
#include <vector>

#include "common/errors.h"
#include "common/strutil.h"
#include "scripting/engine.h"
#include "server/command.h"

namespace basalt::server {
namespace {

void NumKeysFinder(const ArgList& args, std::vector<int>* out) {
  int64_t n;
  if (args.size() < 3 || !ParseInt64(args[2], &n) || n < 0) return;
  for (int64_t i = 0; i < n && 3 + i < static_cast<int64_t>(args.size()); ++i) {
    out->push_back(static_cast<int>(3 + i));
  }
}

void CmdFCall(const ArgList& args, CommandContext& ctx) { scripting::FCall(ctx, args, false); }
void CmdFCallRo(const ArgList& args, CommandContext& ctx) { scripting::FCall(ctx, args, true); }

void CmdFunctionLoad(const ArgList& args, CommandContext& ctx) {
  bool replace = false;
  size_t i = 2;
  for (; i + 1 < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "replace")) {
      replace = true;
    } else {
      ctx.rb->Error("ERR Unknown option given: " + std::string(args[i]));
      return;
    }
  }
  if (i != args.size() - 1) {
    ctx.rb->Error("ERR Function code was not given");
    return;
  }
  scripting::FunctionLoad(ctx, args[i], replace);
}

void CmdFunctionDelete(const ArgList& args, CommandContext& ctx) {
  scripting::FunctionDelete(ctx, args[2]);
}

void CmdFunctionFlush(const ArgList& args, CommandContext& ctx) {
  if (args.size() > 3) {
    ctx.rb->Error("ERR unknown subcommand or wrong number of arguments for '" +
                  std::string(args[1]) + "'. Try FUNCTION HELP.");
    return;
  }
  if (args.size() == 3 && !EqualsIgnoreCase(args[2], "sync") &&
      !EqualsIgnoreCase(args[2], "async")) {
    ctx.rb->Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  scripting::FunctionFlush();
  ctx.rb->Ok();
}

void CmdFunctionList(const ArgList& args, CommandContext& ctx) {
  bool with_code = false, has_pattern = false;
  std::string_view pattern;
  for (size_t i = 2; i < args.size(); ++i) {
    if (!with_code && EqualsIgnoreCase(args[i], "withcode")) {
      with_code = true;
    } else if (!has_pattern && EqualsIgnoreCase(args[i], "libraryname")) {
      if (i + 1 >= args.size()) {
        ctx.rb->Error("ERR library name argument was not given");
        return;
      }
      pattern = args[++i];
      has_pattern = true;
    } else {
      ctx.rb->Error("ERR Unknown argument " + std::string(args[i]));
      return;
    }
  }
  scripting::FunctionList(ctx, pattern, has_pattern, with_code);
}

void CmdFunctionDump(const ArgList&, CommandContext& ctx) { scripting::FunctionDump(ctx); }

void CmdFunctionRestore(const ArgList& args, CommandContext& ctx) {
  if (args.size() > 4) {
    ctx.rb->Error("ERR unknown subcommand or wrong number of arguments for '" +
                  std::string(args[1]) + "'. Try FUNCTION HELP.");
    return;
  }
  scripting::RestorePolicy policy = scripting::RestorePolicy::kAppend;
  if (args.size() == 4) {
    if (EqualsIgnoreCase(args[3], "append")) {
      policy = scripting::RestorePolicy::kAppend;
    } else if (EqualsIgnoreCase(args[3], "replace")) {
      policy = scripting::RestorePolicy::kReplace;
    } else if (EqualsIgnoreCase(args[3], "flush")) {
      policy = scripting::RestorePolicy::kFlush;
    } else {
      ctx.rb->Error(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
      return;
    }
  }
  scripting::FunctionRestore(ctx, args[2], policy);
}

void CmdFunctionStats(const ArgList&, CommandContext& ctx) { scripting::FunctionStats(ctx); }
void CmdFunctionKill(const ArgList&, CommandContext& ctx) { scripting::Kill(ctx, false); }

void CmdFunctionHelp(const ArgList&, CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code.",
      "DELETE <LIBRARY NAME>",
      "    Delete the given library.",
      "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
      "    Return general information on all the libraries:",
      "    * Library name",
      "    * The engine used to run the Library",
      "    * Library description",
      "    * Functions list",
      "    * Library code (if WITHCODE is given)",
      "    It also possible to get only function that matches a pattern using LIBRARYNAME "
      "argument.",
      "STATS",
      "    Return information about the current function running:",
      "    * Function name",
      "    * Command used to run the function",
      "    * Duration in MS that the function is running",
      "    If no function is running, return nil",
      "    In addition, returns a list of available engines.",
      "KILL",
      "    Kill the current running function.",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the libraries.",
      "    * SYNC: Synchronously flush the libraries.",
      "DUMP",
      "    Return a serialized payload representing the current libraries, can be restored using "
      "FUNCTION RESTORE command",
      "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
      "    Restore the libraries represented by the given payload, it is possible to give a "
      "restore "
      "policy to",
      "    control how to handle existing libraries (default APPEND):",
      "    * FLUSH: delete all existing libraries.",
      "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
      "abort.",
      "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
      "replace "
      "the old",
      "      libraries with the new libraries (notice that even on this option there is a chance "
      "of "
      "failure",
      "      in case of functions name collision with another library).",
      "HELP",
      "    Prints this help.",
  };
  ctx.rb->SimpleStrings(kLines);
}

void CmdContainer(const ArgList&, CommandContext& ctx) { ctx.rb->Error(errors::kSyntax); }

}  // namespace

void RegisterFunctionFamily(CommandRegistry& r) {
  constexpr uint32_t kCallFlags =
      kNoScript | kStale | kSkipMonitor | kNoMandatoryKeys | kKeyspaceWide;
  constexpr uint32_t kAcl = kAclSlow | kAclScripting;
  constexpr uint32_t kWAcl = kAclWrite | kAclSlow | kAclScripting;
  r.Register({
      Cmd("fcall", -3, kCallFlags, kAcl, CmdFCall)
          .Finder(NumKeysFinder)
          .Doc("scripting", "7.0.0", "Invoke a function",
               "Depends on the function that is executed."),
      Cmd("fcall_ro", -3, kCallFlags | kReadOnly, kAcl, CmdFCallRo)
          .Finder(NumKeysFinder)
          .Doc("scripting", "7.0.0", "Invoke a read-only function",
               "Depends on the function that is executed."),
      Cmd("function", -2, 0, kAclSlow, CmdContainer)
          .Doc("scripting", "7.0.0", "A container for function commands", "Depends on subcommand.")
          .Sub(Cmd("load", -3, kWrite | kDenyOom | kNoScript, kWAcl, CmdFunctionLoad)
                   .Doc("scripting", "7.0.0",
                        "Create a function with the given arguments (name, code, description)",
                        "O(1) (considering compilation time is redundant)"))
          .Sub(Cmd("delete", 3, kWrite | kNoScript, kWAcl, CmdFunctionDelete)
                   .Doc("scripting", "7.0.0", "Delete a function by name"))
          .Sub(Cmd("list", -2, kNoScript, kAcl, CmdFunctionList)
                   .Doc("scripting", "7.0.0", "List information about all the functions",
                        "O(N) where N is the number of functions"))
          .Sub(Cmd("flush", -2, kWrite | kNoScript, kWAcl, CmdFunctionFlush)
                   .Doc("scripting", "7.0.0", "Deleting all functions",
                        "O(N) where N is the number of functions deleted"))
          .Sub(Cmd("dump", 2, kNoScript, kAcl, CmdFunctionDump)
                   .Doc("scripting", "7.0.0", "Dump all functions into a serialized binary payload",
                        "O(N) where N is the number of functions"))
          .Sub(Cmd("restore", -3, kWrite | kDenyOom | kNoScript, kWAcl, CmdFunctionRestore)
                   .Doc("scripting", "7.0.0", "Restore all the functions on the given payload",
                        "O(N) where N is the number of functions on the payload"))
          .Sub(Cmd("stats", 2, kNoScript | kAllowBusy, kAcl, CmdFunctionStats)
                   .Doc("scripting", "7.0.0",
                        "Return information about the function currently running (name, "
                        "description, duration)"))
          .Sub(Cmd("kill", 2, kNoScript | kAllowBusy, kAcl, CmdFunctionKill)
                   .Doc("scripting", "7.0.0", "Kill the function currently in execution."))
          .Sub(Cmd("help", 2, kLoading | kStale, kAcl, CmdFunctionHelp)
                   .Doc("scripting", "7.0.0", "Show helpful text about the different subcommands")),
  });
}

}  // namespace basalt::server
