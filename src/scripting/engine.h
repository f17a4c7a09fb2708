// Lua scripting: EVAL scripts and FUNCTION libraries, Redis 7.0 semantics.
//
// Each worker thread owns its Lua states (one for EVAL scripts, one for
// functions); the script cache and the function libraries are global and
// every worker compiles what it runs lazily, rebuilding its states when a
// flush or a library change bumps the global generation.
//
// Locking: a script runs with the shards of its declared keys locked for its
// whole run, and a redis.call touching a key in another shard fails as in
// cluster mode. A script that declares no keys starts with no lock and takes
// every shard of every database (exclusive mode) at its first keyed access;
// scripts flagged allow-cross-slot-keys run exclusive from the start.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/command.h"

namespace basalt::scripting {

using server::ArgList;
using server::CommandContext;

// EVAL / EVALSHA / EVAL_RO / EVALSHA_RO.
void Eval(CommandContext& ctx, const ArgList& args, bool by_sha, bool read_only);
// FCALL / FCALL_RO.
void FCall(CommandContext& ctx, const ArgList& args, bool read_only);

// SCRIPT LOAD: compiles and caches; replies the sha or the compile error.
void ScriptLoad(CommandContext& ctx, std::string_view body);
bool ScriptExists(std::string_view sha);
void ScriptFlush();

// FUNCTION management.
void FunctionLoad(CommandContext& ctx, std::string_view code, bool replace);
void FunctionDelete(CommandContext& ctx, std::string_view name);
void FunctionFlush();
void FunctionList(CommandContext& ctx, std::string_view pattern, bool has_pattern, bool with_code);
void FunctionStats(CommandContext& ctx);
void FunctionDump(CommandContext& ctx);
enum class RestorePolicy { kAppend, kReplace, kFlush };
void FunctionRestore(CommandContext& ctx, std::string_view payload, RestorePolicy policy);

// SCRIPT KILL (is_eval) / FUNCTION KILL.
void Kill(CommandContext& ctx, bool is_eval);

// INFO memory's scripting figures. Each worker has its own Lua VMs: the VM
// figures are their sums, as of each worker's last script.
struct MemoryInfo {
  uint64_t vm_eval = 0;       // used_memory_vm_eval (and used_memory_lua)
  uint64_t vm_functions = 0;  // used_memory_vm_functions
  uint64_t scripts_eval = 0;  // used_memory_scripts_eval: the EVAL script cache
  uint64_t functions = 0;     // used_memory_functions: the function libraries
  uint64_t cached_scripts = 0;
  uint64_t function_count = 0;
  uint64_t library_count = 0;
};
MemoryInfo GetMemoryInfo();

// The dispatcher's check before a command takes its locks: while a script
// has run past busy-reply-threshold, other clients get -BUSY except for
// allow-busy commands. Returns the error text, or an empty view.
std::string_view BusyError(uint64_t client_id, uint32_t command_flags);
// True on a worker thread while a busy script there lets the worker answer
// its other clients (Worker::ServeWhileBusy). Only commands that take no
// shard lock may run then: the script holds its locks on this same thread.
bool ServingWhileBusy();

}  // namespace basalt::scripting
