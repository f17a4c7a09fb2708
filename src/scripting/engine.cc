#include "scripting/engine.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

extern "C" {
#include <liblzf/lzf.h>
#include <lua5.1/lauxlib.h>
#include <lua5.1/lua.h>
#include <lua5.1/lualib.h>
int luaopen_cjson(lua_State* L);
int luaopen_bit(lua_State* L);
}

#include "common/clock.h"
#include "common/errors.h"
#include "common/logging.h"
#include "common/strutil.h"
#include "db/keyspace.h"
#include "persist/crc64.h"
#include "scripting/lua_libs.h"
#include "scripting/sha1.h"
#include "server/client.h"
#include "server/effects.h"
#include "server/eviction.h"
#include "server/server.h"

namespace basalt::scripting {
namespace {

using server::CommandSpec;
using server::Server;

constexpr std::string_view kBusyEval =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
constexpr std::string_view kBusyFunction =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
constexpr std::string_view kNotBusy = "NOTBUSY No scripts in execution right now.";
constexpr std::string_view kUnkillable =
    "UNKILLABLE Sorry the script already executed write commands against the dataset. You can "
    "either wait the script termination or kill the server in a hard way using the SHUTDOWN "
    "NOSAVE command.";
constexpr std::string_view kNonLocalKey =
    "ERR Script attempted to access a non local key in a cluster node script";
constexpr std::string_view kRoWithWriteFlag =
    "ERR Can not execute a script with write flag using *_ro command.";
constexpr const char* kReadonlyTable = "Attempt to modify a readonly table";
constexpr std::string_view kRedisVersion = "7.0.15";
constexpr int kRedisVersionNum = 0x0007000f;

// Script flags: shebang flags= / register_function flags.
enum ScriptFlag : uint32_t {
  kNoWrites = 1 << 0,
  kAllowOom = 1 << 1,
  kAllowStale = 1 << 2,
  kNoCluster = 1 << 3,
  kAllowCrossSlot = 1 << 4,
  kEvalCompat = 1 << 5,  // an EVAL script without shebang: Redis 6 rules
};

struct FlagName {
  uint32_t flag;
  const char* name;
};
constexpr FlagName kFlagNames[] = {{kNoWrites, "no-writes"},
                                   {kAllowOom, "allow-oom"},
                                   {kAllowStale, "allow-stale"},
                                   {kNoCluster, "no-cluster"},
                                   {kAllowCrossSlot, "allow-cross-slot-keys"}};

bool FlagByName(std::string_view name, uint32_t* flag) {
  for (const auto& f : kFlagNames) {
    if (name == f.name) {
      *flag = f.flag;
      return true;
    }
  }
  return false;
}

// ------------------------------------------------------------ global state

struct CachedScript {
  std::string body;
  uint32_t flags;
};

struct ScriptCache {
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<const CachedScript>> scripts;
  std::atomic<uint64_t> generation{1};
};
ScriptCache& Cache() {
  static ScriptCache* c = new ScriptCache;
  return *c;
}

struct FunctionInfo {
  std::string name;
  std::string description;
  bool has_description = false;
  uint32_t flags = 0;
};
struct Library {
  std::string name;
  std::string code;
  std::vector<FunctionInfo> functions;
};
// Copy-on-write: a change publishes a new snapshot; workers compare pointers.
struct Libraries {
  std::map<std::string, std::shared_ptr<const Library>> libs;
  std::unordered_map<std::string, std::pair<const Library*, const FunctionInfo*>> functions;
  void Index() {
    functions.clear();
    for (auto& [_, lib] : libs) {
      for (auto& f : lib->functions) functions[f.name] = {lib.get(), &f};
    }
  }
};
struct FunctionRegistry {
  std::mutex mu;
  std::shared_ptr<const Libraries> current = std::make_shared<Libraries>();
};
FunctionRegistry& Functions() {
  static FunctionRegistry* r = new FunctionRegistry;
  return *r;
}
std::shared_ptr<const Libraries> CurrentLibraries() {
  std::lock_guard<std::mutex> g(Functions().mu);
  return Functions().current;
}

// Scripts in execution, for BUSY, SCRIPT/FUNCTION KILL and FUNCTION STATS.
struct RunSlot {
  uint64_t client_id = 0;
  bool is_eval = true;
  int64_t start_ms = 0;
  std::string name;
  std::vector<std::string> command;
  std::atomic<bool> kill{false};
  std::atomic<bool> wrote{false};
  std::atomic<bool> timed_out{false};  // past busy-reply-threshold
};
std::mutex g_runs_mu;
std::vector<RunSlot*> g_runs;
std::atomic<int> g_busy{0};  // running scripts past busy-reply-threshold

// ------------------------------------------------------------ the run

struct ScriptRun {
  CommandContext* caller = nullptr;
  Server* server = nullptr;
  server::Client* client = nullptr;
  int db_index = 0;
  int resp = 2;
  uint32_t flags = 0;
  bool read_only = false;  // *_RO command or no-writes
  bool oom = false;        // maxmemory was exceeded when the script started
  bool exclusive = false;  // every shard of every database is held
  bool can_escalate = false;
  int repl = 3;                  // redis.set_repl flags
  std::vector<uint32_t> locked;  // sorted (db << kShardBits | shard)
  db::Keyspace* keyspace = nullptr;
  bool took_all = false;    // this run called LockAll
  bool nested_all = false;  // ran inside an EXEC that holds every shard
  std::optional<db::HoldAllShards> hold;
  std::string capture;
  protocol::ReplyBuilder rb{&capture};
  RunSlot slot;
  int64_t threshold_ms = 5000;
};
thread_local ScriptRun* t_run = nullptr;

// ------------------------------------------------------------ Lua helpers

// Raises an error table {err = msg} (Redis's luaPushError + luaError).
[[noreturn]] void RaiseErrorTable(lua_State* L, std::string_view msg) {
  lua_newtable(L);
  lua_pushlstring(L, msg.data(), msg.size());
  lua_setfield(L, -2, "err");
  lua_error(L);
  __builtin_unreachable();
}
void PushErrorTable(lua_State* L, std::string_view msg) {
  lua_newtable(L);
  lua_pushlstring(L, msg.data(), msg.size());
  lua_setfield(L, -2, "err");
}

// Read-only emulation. Redis 7.0 patches Lua with read-only tables; stock
// Lua 5.1 gets proxies instead: an empty table whose metatable reads through
// to the real one and refuses writes. The real table of each proxy is kept in
// the registry so next/pairs/rawget see through and rawset/setmetatable refuse.
const char* kRealOf = "basalt.realof";

int ReadonlyNewIndex(lua_State* L) { return luaL_error(L, "%s", kReadonlyTable); }
int MissingGlobal(lua_State* L) {
  const char* name = lua_tostring(L, 2);
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                    name ? name : "?");
}

// Replaces the value at `idx` (a table) by its read-only proxy on the stack top.
void PushProxy(lua_State* L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_newtable(L);  // proxy
  lua_newtable(L);  // metatable
  lua_pushvalue(L, idx);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_getfield(L, LUA_REGISTRYINDEX, kRealOf);
  lua_pushvalue(L, -2);
  lua_pushvalue(L, idx);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

// If the value at idx is a proxy, replaces it in place by its real table.
// Returns true when it was a proxy.
bool Unproxy(lua_State* L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  if (!lua_istable(L, idx)) return false;
  lua_getfield(L, LUA_REGISTRYINDEX, kRealOf);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 2);
    return false;
  }
  lua_replace(L, idx);
  lua_pop(L, 1);
  return true;
}

// Redis's pcall: an error table from redis.call surfaces as its message.
int RedisStylePcall(lua_State* L) {
  int argc = lua_gettop(L);
  luaL_checkany(L, 1);
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0)) {
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) {
        lua_replace(L, -2);
      } else {
        lua_pop(L, 1);
      }
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}

int SafeNext(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  Unproxy(L, 1);
  lua_settop(L, 2);
  if (lua_next(L, 1)) return 2;
  lua_pushnil(L);
  return 1;
}
int SafePairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_pushcfunction(L, SafeNext);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}
int SafeRawGet(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  Unproxy(L, 1);
  lua_settop(L, 2);
  lua_rawget(L, 1);
  return 1;
}
[[noreturn]] void RaisePlain(lua_State* L, const char* msg) {
  lua_pushstring(L, msg);
  lua_error(L);
  __builtin_unreachable();
}
int SafeRawSet(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  if (Unproxy(L, 1)) RaisePlain(L, kReadonlyTable);
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}
int SafeSetMetatable(lua_State* L) {
  int t = lua_type(L, 2);
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_argcheck(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table expected");
  if (Unproxy(L, 1)) RaisePlain(L, kReadonlyTable);
  if (luaL_getmetafield(L, 1, "__metatable")) luaL_error(L, "cannot change a protected metatable");
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

// --- Redis's rand48, so math.random gives Redis's sequence.
thread_local uint64_t t_rand48 = 0x1234ABCD330EULL;  // Redis's rand48 initial state
int32_t Lrand48() {
  t_rand48 = (t_rand48 * 0x5DEECE66DULL + 0xB) & ((1ULL << 48) - 1);
  return static_cast<int32_t>(t_rand48 >> 17);
}
void Srand48(int32_t seed) {
  t_rand48 = (static_cast<uint64_t>(static_cast<uint32_t>(seed)) << 16) | 0x330E;
}
int MathRandom(lua_State* L) {
  constexpr int32_t kMax = INT32_MAX;
  lua_Number r = static_cast<lua_Number>(Lrand48() % kMax) / static_cast<lua_Number>(kMax);
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      break;
    case 1: {
      int u = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushnumber(L, floor(r * u) + 1);
      break;
    }
    case 2: {
      int l = luaL_checkint(L, 1);
      int u = luaL_checkint(L, 2);
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      lua_pushnumber(L, floor(r * (u - l + 1)) + l);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}
int MathRandomSeed(lua_State* L) {
  Srand48(luaL_checkint(L, 1));
  return 0;
}

// ------------------------------------------------------------ RESP -> Lua

// Parses one RESP reply at *p into a Lua value. Returns false on malformed input.
bool ParseLine(const char*& p, const char* end, std::string_view* line) {
  const char* e = static_cast<const char*>(memchr(p, '\r', end - p));
  if (!e || e + 1 >= end) return false;
  *line = std::string_view(p, e - p);
  p = e + 2;
  return true;
}

bool PushResp(lua_State* L, const char*& p, const char* end, int depth) {
  if (p >= end || depth > 1000 || !lua_checkstack(L, 4)) return false;
  char type = *p++;
  std::string_view line;
  if (!ParseLine(p, end, &line)) return false;
  int64_t n = 0;
  switch (type) {
    case '+':
      lua_newtable(L);
      lua_pushlstring(L, line.data(), line.size());
      lua_setfield(L, -2, "ok");
      return true;
    case '-':
      PushErrorTable(L, line);
      return true;
    case ':':
      ParseInt64(line, &n);
      lua_pushnumber(L, static_cast<lua_Number>(n));
      return true;
    case '$':
    case '=':
    case '!': {
      ParseInt64(line, &n);
      if (n < 0) {
        lua_pushboolean(L, 0);
        return true;
      }
      if (end - p < n + 2) return false;
      std::string_view s(p, n);
      p += n + 2;
      if (type == '$') {
        lua_pushlstring(L, s.data(), s.size());
      } else if (type == '!') {
        PushErrorTable(L, s);
      } else {
        lua_newtable(L);
        lua_newtable(L);
        std::string_view fmt = s.substr(0, std::min<size_t>(3, s.size()));
        std::string_view str = s.size() >= 4 ? s.substr(4) : std::string_view();
        lua_pushlstring(L, fmt.data(), fmt.size());
        lua_setfield(L, -2, "format");
        lua_pushlstring(L, str.data(), str.size());
        lua_setfield(L, -2, "string");
        lua_setfield(L, -2, "verbatim_string");
      }
      return true;
    }
    case '*':
    case '>':
    case '~':
    case '%': {
      ParseInt64(line, &n);
      if (n < 0) {
        lua_pushboolean(L, 0);
        return true;
      }
      lua_newtable(L);
      if (type == '*' || type == '>') {
        for (int64_t i = 0; i < n; ++i) {
          if (!PushResp(L, p, end, depth + 1)) return false;
          lua_rawseti(L, -2, static_cast<int>(i + 1));
        }
        return true;
      }
      for (int64_t i = 0; i < n; ++i) {
        if (!PushResp(L, p, end, depth + 1)) return false;
        if (type == '%') {
          if (!PushResp(L, p, end, depth + 1)) return false;
        } else {
          lua_pushboolean(L, 1);
        }
        if (lua_isnil(L, -2)) {
          lua_pop(L, 2);
        } else {
          lua_settable(L, -3);
        }
      }
      lua_newtable(L);
      lua_insert(L, -2);
      lua_setfield(L, -2, type == '%' ? "map" : "set");
      return true;
    }
    case '_':
      lua_pushnil(L);
      return true;
    case '#':
      lua_pushboolean(L, line == "t");
      return true;
    case ',': {
      double d = 0;
      if (line == "inf") {
        d = HUGE_VAL;
      } else if (line == "-inf") {
        d = -HUGE_VAL;
      } else if (line == "nan") {
        d = NAN;
      } else {
        d = strtod(std::string(line).c_str(), nullptr);
      }
      lua_newtable(L);
      lua_pushnumber(L, d);
      lua_setfield(L, -2, "double");
      return true;
    }
    case '(':
      lua_newtable(L);
      lua_pushlstring(L, line.data(), line.size());
      lua_setfield(L, -2, "big_number");
      return true;
    case '|': {
      // Attributes are out-of-band: skip them, then read the real reply.
      ParseInt64(line, &n);
      int top = lua_gettop(L);
      for (int64_t i = 0; i < 2 * n; ++i) {
        if (!PushResp(L, p, end, depth + 1)) return false;
      }
      lua_settop(L, top);
      return PushResp(L, p, end, depth);
    }
    default:
      return false;
  }
}

// ------------------------------------------------------------ Lua -> RESP

std::string NoCrLf(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

// Reads field `name` of the table at the top; leaves it pushed; returns its type.
int GetField(lua_State* L, const char* name) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
  return lua_type(L, -1);
}

// Number of key/value pairs of the table on top of the stack (RESP3 map and
// set headers need it before the elements).
size_t TableEntries(lua_State* L) {
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    ++n;
    lua_pop(L, 1);
  }
  return n;
}

void WriteLuaValue(lua_State* L, protocol::ReplyBuilder* rb, int script_resp, int depth) {
  if (!lua_checkstack(L, 4)) {  // Redis's limit: the Lua stack, not a depth
    rb->Error("ERR reached lua stack limit");
    lua_pop(L, 1);
    return;
  }
  int t = lua_type(L, -1);
  switch (t) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      rb->Bulk(std::string_view(s, len));
      break;
    }
    case LUA_TBOOLEAN:
      if (script_resp == 2) {
        if (lua_toboolean(L, -1)) {
          rb->Integer(1);
        } else {
          rb->Null();
        }
      } else {
        rb->Bool(lua_toboolean(L, -1));
      }
      break;
    case LUA_TNUMBER: {
      double d = lua_tonumber(L, -1);
      // Out of range, the x86 conversion Redis relies on yields INT64_MIN.
      int64_t v = INT64_MIN;
      if (d > -9223372036854775808.0 && d < 9223372036854775808.0) v = static_cast<int64_t>(d);
      rb->Integer(v);
      break;
    }
    case LUA_TTABLE: {
      if (GetField(L, "err") == LUA_TSTRING) {
        size_t len;
        const char* s = lua_tolstring(L, -1, &len);
        rb->Error(std::string_view(s, len));
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (GetField(L, "ok") == LUA_TSTRING) {
        size_t len;
        const char* s = lua_tolstring(L, -1, &len);
        rb->SimpleString(NoCrLf(std::string_view(s, len)));
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (GetField(L, "double") == LUA_TNUMBER) {
        rb->Double(lua_tonumber(L, -1));
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (GetField(L, "big_number") == LUA_TSTRING) {
        size_t len;
        const char* s = lua_tolstring(L, -1, &len);
        std::string v = NoCrLf(std::string_view(s, len));
        if (rb->resp3()) {
          rb->Raw("(" + v + "\r\n");
        } else {
          rb->Bulk(v);
        }
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (GetField(L, "map") == LUA_TTABLE) {
        rb->MapHeader(TableEntries(L));
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pushvalue(L, -2);
          WriteLuaValue(L, rb, script_resp, depth + 1);  // key
          WriteLuaValue(L, rb, script_resp, depth + 1);  // value
        }
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (GetField(L, "set") == LUA_TTABLE) {
        rb->SetHeader(TableEntries(L));
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pop(L, 1);
          lua_pushvalue(L, -1);
          WriteLuaValue(L, rb, script_resp, depth + 1);
        }
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (GetField(L, "verbatim_string") == LUA_TTABLE) {
        if (GetField(L, "format") == LUA_TSTRING) {
          lua_pushstring(L, "string");
          lua_rawget(L, -3);
          if (lua_type(L, -1) == LUA_TSTRING) {
            size_t flen, slen;
            const char* f = lua_tolstring(L, -2, &flen);
            const char* s = lua_tolstring(L, -1, &slen);
            rb->Verbatim(std::string_view(s, slen), std::string_view(f, flen));
            lua_pop(L, 4);
            return;
          }
          lua_pop(L, 1);
        }
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
      // An array, up to the first nil.
      int n = 0;
      while (true) {
        lua_rawgeti(L, -1, n + 1);
        bool nil = lua_isnil(L, -1);
        lua_pop(L, 1);
        if (nil) break;
        ++n;
      }
      rb->ArrayHeader(n);
      for (int i = 1; i <= n; ++i) {
        lua_rawgeti(L, -1, i);
        WriteLuaValue(L, rb, script_resp, depth + 1);
      }
      break;
    }
    default:
      rb->Null();
  }
  lua_pop(L, 1);
}

// ------------------------------------------------------------ redis.*

std::string NumberArg(lua_Number n) {
  char buf[64];
  int len = snprintf(buf, sizeof(buf), "%.17g", static_cast<double>(n));
  return std::string(buf, len);
}

// Takes every shard when the run holds none yet (which cannot deadlock).
bool Escalate(ScriptRun& run) {
  if (!run.can_escalate || !run.locked.empty()) return false;
  run.keyspace->LockAll();
  run.hold.emplace();  // commands that lock shards themselves now may run
  run.took_all = true;
  run.exclusive = true;
  return true;
}

// Returns true when the shards of `args`' keys are held (or can be taken).
bool KeysAccessible(ScriptRun& run, const CommandSpec* spec, const ArgList& args) {
  if (run.exclusive) return true;
  thread_local std::vector<int> idx;
  idx.clear();
  spec->GetKeys(args, &idx);
  if (idx.empty()) return true;
  bool ok = true;
  for (int i : idx) {
    uint32_t id =
        static_cast<uint32_t>(run.db_index) << db::kShardBits | db::Database::ShardOf(args[i]);
    if (!std::binary_search(run.locked.begin(), run.locked.end(), id)) {
      ok = false;
      break;
    }
  }
  if (ok) return true;
  return Escalate(run);
}

// Runs one redis.call; pushes the reply and returns true, or sets t_call_err.
// No Lua error is raised here: C++ locals must be destroyed before the
// longjmp of lua_error.
thread_local std::string t_call_err;
bool CallInner(lua_State* L) {
  ScriptRun* run = t_run;
  int argc = lua_gettop(L);
  auto fail = [](std::string_view msg) {
    t_call_err.assign(msg);
    return false;
  };
  if (!run) return fail("ERR redis.call is not allowed here");
  if (argc == 0) return fail("ERR Please specify at least one argument for this redis lib call");
  thread_local std::vector<std::string> storage;
  storage.resize(argc);
  for (int j = 0; j < argc; ++j) {
    int t = lua_type(L, j + 1);
    if (t == LUA_TNUMBER) {
      storage[j] = NumberArg(lua_tonumber(L, j + 1));
    } else if (t == LUA_TSTRING) {
      size_t len;
      const char* s = lua_tolstring(L, j + 1, &len);
      storage[j].assign(s, len);
    } else {
      return fail("ERR Lua redis lib command arguments must be strings or integers");
    }
  }
  ArgList args;
  args.reserve(argc);
  for (int j = 0; j < argc; ++j) args.emplace_back(storage[j]);

  const CommandSpec* spec = run->server->commands().Find(args[0]);
  if (spec && !spec->subcommands.empty() && args.size() >= 2) {
    spec = spec->FindSubcommand(args[1]);
  }
  if (!spec) return fail("ERR Unknown Redis command called from script");
  if ((spec->arity > 0 && spec->arity != argc) || argc < -spec->arity) {
    return fail("ERR Wrong number of args calling Redis command from script");
  }
  if (spec->flags & server::kNoScript) {
    return fail("ERR This Redis command is not allowed from script");
  }
  if (spec->flags & server::kWrite) {
    if (run->read_only) return fail("ERR Write commands are not allowed from read-only scripts.");
    if (run->oom && !(run->flags & kAllowOom) && !run->slot.wrote.load(std::memory_order_relaxed) &&
        (spec->flags & server::kDenyOom)) {
      return fail(errors::kOom);
    }
  }
  bool wide = spec->flags & server::kKeyspaceWide;
  if (wide) {
    // Keyspace-wide commands need every shard.
    if (!run->exclusive && !Escalate(*run)) return fail(kNonLocalKey);
  } else if (!KeysAccessible(*run, spec, args)) {
    return fail(kNonLocalKey);
  }
  if (spec->flags & server::kWrite) run->slot.wrote.store(true, std::memory_order_relaxed);

  server::Client* c = run->client;
  int saved_db = c->db_index;
  int saved_resp = c->resp;
  bool saved_deny = c->deny_blocking;
  c->deny_blocking = true;  // blocking commands answer at once inside scripts
  c->db_index = run->db_index;
  run->capture.clear();
  run->rb.set_resp3(run->resp == 3);
  CommandContext ictx{
      c, run->server, &run->rb, &run->keyspace->db(run->db_index), run->caller->now_ms, spec};
  server::EffectBatch& batch = server::PendingEffects();
  size_t before = batch.records.size();
  run->server->Call(ictx, args);
  if (!(run->repl & 1)) batch.records.resize(before);  // redis.set_repl without AOF
  run->db_index = c->db_index;
  c->db_index = saved_db;
  c->resp = saved_resp;
  c->deny_blocking = saved_deny;

  const char* p = run->capture.data();
  const char* end = p + run->capture.size();
  if (run->capture.empty()) {
    lua_pushboolean(L, 0);
    return true;
  }
  if (*p == '-') {
    std::string_view line(p + 1, end - p - 1);
    size_t crlf = line.find("\r\n");
    if (crlf != std::string_view::npos) line = line.substr(0, crlf);
    std::string msg(line);
    return fail(msg);
  }
  int top = lua_gettop(L);
  if (!PushResp(L, p, end, 0)) {
    lua_settop(L, top);
    return fail("ERR protocol error in the reply of a command called from script");
  }
  return true;
}
int RedisCallImpl(lua_State* L, bool raise) {
  if (CallInner(L)) return 1;
  PushErrorTable(L, t_call_err);
  if (raise) lua_error(L);
  return 1;
}
int RedisCall(lua_State* L) { return RedisCallImpl(L, true); }
int RedisPCall(lua_State* L) { return RedisCallImpl(L, false); }

int RedisSha1Hex(lua_State* L) {
  if (lua_gettop(L) != 1) RaiseErrorTable(L, "ERR wrong number of arguments");
  size_t len;
  const char* s = lua_tolstring(L, 1, &len);
  std::string hex = Sha1Hex(s ? std::string_view(s, len) : std::string_view());
  lua_pushlstring(L, hex.data(), hex.size());
  return 1;
}

int ReturnSingleFieldTable(lua_State* L, const char* field) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushErrorTable(L, "ERR wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushstring(L, field);
  lua_pushvalue(L, -3);
  lua_settable(L, -3);
  return 1;
}
int RedisErrorReply(lua_State* L) { return ReturnSingleFieldTable(L, "err"); }
int RedisStatusReply(lua_State* L) { return ReturnSingleFieldTable(L, "ok"); }

int RedisSetResp(lua_State* L) {
  if (lua_gettop(L) != 1) RaiseErrorTable(L, "ERR redis.setresp() requires one argument.");
  int resp = static_cast<int>(lua_tonumber(L, -1));
  if (resp != 2 && resp != 3) RaiseErrorTable(L, "ERR RESP version must be 2 or 3.");
  if (t_run) t_run->resp = resp;
  return 0;
}

int RedisSetRepl(lua_State* L) {
  if (lua_gettop(L) != 1) RaiseErrorTable(L, "ERR redis.set_repl() requires two arguments.");
  int flags = static_cast<int>(lua_tonumber(L, -1));
  if ((flags & ~3) != 0) {
    RaiseErrorTable(
        L, "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  }
  if (t_run) t_run->repl = flags;
  return 0;
}

int RedisReplicateCommands(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}
int RedisBreakpoint(lua_State* L) {
  lua_pushboolean(L, 0);
  return 1;
}
int RedisDebug(lua_State*) { return 0; }

int RedisAclCheckCmd(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc == 0)
    RaiseErrorTable(L, "ERR Please specify at least one argument for this redis lib call");
  for (int j = 1; j <= argc; ++j) {
    if (lua_type(L, j) != LUA_TSTRING && lua_type(L, j) != LUA_TNUMBER) {
      RaiseErrorTable(L, "ERR Lua redis lib command arguments must be strings or integers");
    }
  }
  const char* name = lua_tostring(L, 1);
  Server* srv = t_run ? t_run->server : nullptr;
  const CommandSpec* spec = srv ? srv->commands().Find(name) : nullptr;
  if (!spec) RaiseErrorTable(L, "ERR Invalid command passed to redis.acl_check_cmd()");
  // No ACL rules restrict the default user in this build: every command is allowed.
  lua_pushboolean(L, 1);
  return 1;
}

int RedisLog(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) RaiseErrorTable(L, "ERR redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) RaiseErrorTable(L, "ERR First argument must be a number (log level).");
  int level = static_cast<int>(lua_tonumber(L, 1));
  if (level < 0 || level > 3) RaiseErrorTable(L, "ERR Invalid debug level.");
  std::string msg;
  for (int j = 2; j <= argc; ++j) {
    size_t len;
    const char* s = lua_tolstring(L, j, &len);
    if (!s) continue;
    if (!msg.empty()) msg += ' ';
    msg.append(s, len);
  }
  auto lvl = static_cast<LogLevel>(level);
  if (lvl >= GetLogLevel()) Log(lvl, "%s", msg.c_str());
  return 0;
}

void SetNumber(lua_State* L, const char* name, lua_Number v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, name);
}
void SetFunc(lua_State* L, const char* name, lua_CFunction f) {
  lua_pushcfunction(L, f);
  lua_setfield(L, -2, name);
}
void PushLogConstants(lua_State* L) {
  SetNumber(L, "LOG_DEBUG", 0);
  SetNumber(L, "LOG_VERBOSE", 1);
  SetNumber(L, "LOG_NOTICE", 2);
  SetNumber(L, "LOG_WARNING", 3);
  lua_pushlstring(L, kRedisVersion.data(), kRedisVersion.size());
  lua_setfield(L, -2, "REDIS_VERSION");
  SetNumber(L, "REDIS_VERSION_NUM", kRedisVersionNum);
}

// Pushes the runtime `redis` table (not yet proxied).
void PushRedisTable(lua_State* L, bool eval) {
  lua_newtable(L);
  SetFunc(L, "call", RedisCall);
  SetFunc(L, "pcall", RedisPCall);
  SetFunc(L, "log", RedisLog);
  SetFunc(L, "sha1hex", RedisSha1Hex);
  SetFunc(L, "error_reply", RedisErrorReply);
  SetFunc(L, "status_reply", RedisStatusReply);
  SetFunc(L, "setresp", RedisSetResp);
  SetFunc(L, "set_repl", RedisSetRepl);
  if (eval) {  // functions get neither the debugger hooks nor the legacy switch
    SetFunc(L, "replicate_commands", RedisReplicateCommands);
    SetFunc(L, "breakpoint", RedisBreakpoint);
    SetFunc(L, "debug", RedisDebug);
  }
  SetFunc(L, "acl_check_cmd", RedisAclCheckCmd);
  PushLogConstants(L);
  SetNumber(L, "REPL_NONE", 0);
  SetNumber(L, "REPL_AOF", 1);
  SetNumber(L, "REPL_SLAVE", 2);
  SetNumber(L, "REPL_REPLICA", 2);
  SetNumber(L, "REPL_ALL", 3);
}

// The error handler every script runs under: adds where the error happened.
const char kErrHandlerSrc[] =
    "local dbg, type, tostring = debug, type, tostring\n"
    "return function(err)\n"
    "  local i = dbg.getinfo(2,'nSl')\n"
    "  if i and i.what == 'C' then i = dbg.getinfo(3,'nSl') end\n"
    "  if type(err) ~= 'table' then err = {err='ERR ' .. tostring(err)} end\n"
    "  if i then err['source'] = i.source; err['line'] = i.currentline end\n"
    "  return err\n"
    "end\n";
const char* kErrHandler = "basalt.errh";
const char* kStore = "basalt.store";        // the real globals behind the _G proxy
const char* kLoadStore = "basalt.loadenv";  // FUNCTION LOAD's globals
const char* kScripts = "basalt.scripts";    // sha -> compiled EVAL function
const char* kFuncs = "basalt.funcs";        // function name -> callback

void CallOpen(lua_State* L, lua_CFunction f, const char* name) {
  lua_pushcfunction(L, f);
  lua_pushstring(L, name);
  lua_call(L, 1, 0);
}

// Builds a sandboxed state. For functions, `functions` also prepares the
// FUNCTION LOAD environment.
lua_State* NewState(bool functions, lua_CFunction register_fn) {
  lua_State* L = luaL_newstate();
  if (!L) return nullptr;
  CallOpen(L, luaopen_base, "");
  CallOpen(L, luaopen_table, LUA_TABLIBNAME);
  CallOpen(L, luaopen_string, LUA_STRLIBNAME);
  CallOpen(L, luaopen_math, LUA_MATHLIBNAME);
  CallOpen(L, luaopen_debug, LUA_DBLIBNAME);
  lua_pushcfunction(L, luaopen_cjson);
  lua_call(L, 0, 1);
  lua_setglobal(L, "cjson");
  CallOpen(L, luaopen_bit, "bit");
  lua_pushcfunction(L, OpenStructLib);
  lua_call(L, 0, 1);
  lua_setglobal(L, "struct");
  lua_pushcfunction(L, OpenCmsgpackLib);
  lua_call(L, 0, 1);
  lua_setglobal(L, "cmsgpack");
  lua_settop(L, 0);

  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kRealOf);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, functions ? kFuncs : kScripts);

  // The error handler, compiled while `debug` is still reachable.
  luaL_loadbuffer(L, kErrHandlerSrc, sizeof(kErrHandlerSrc) - 1, "@err_handler");
  lua_call(L, 0, 1);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, kErrHandler);
  int errh = lua_gettop(L);

  lua_getglobal(L, "math");
  SetFunc(L, "random", MathRandom);
  SetFunc(L, "randomseed", MathRandomSeed);
  lua_pop(L, 1);

  // The store: the allowed globals, libraries behind read-only proxies.
  lua_newtable(L);
  int store = lua_gettop(L);
  static const char* kBase[] = {"_VERSION", "assert", "collectgarbage", "error",
                                "gcinfo",   "ipairs", "load",           "loadstring",
                                "rawequal", "select", "tonumber",       "tostring",
                                "type",     "unpack", "xpcall",         "getmetatable"};
  for (const char* name : kBase) {
    lua_getglobal(L, name);
    lua_setfield(L, store, name);
  }
  SetFunc(L, "pcall", RedisStylePcall);
  SetFunc(L, "next", SafeNext);
  SetFunc(L, "pairs", SafePairs);
  SetFunc(L, "rawget", SafeRawGet);
  SetFunc(L, "rawset", SafeRawSet);
  SetFunc(L, "setmetatable", SafeSetMetatable);
  static const char* kLibs[] = {"coroutine", "string", "table",  "math",
                                "bit",       "cjson",  "struct", "cmsgpack"};
  for (const char* name : kLibs) {
    lua_getglobal(L, name);
    PushProxy(L, -1);
    lua_setfield(L, store, name);
    lua_pop(L, 1);
  }
  PushRedisTable(L, !functions);
  PushProxy(L, -1);
  lua_setfield(L, store, "redis");
  lua_pop(L, 1);
  if (!functions) {
    lua_pushvalue(L, errh);
    lua_setfield(L, store, "__redis__err__handler");
  }
  lua_newtable(L);
  lua_pushcfunction(L, MissingGlobal);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, store);
  lua_pushvalue(L, store);
  lua_setfield(L, LUA_REGISTRYINDEX, kStore);

  if (functions) {
    // FUNCTION LOAD sees only a reduced `redis`.
    lua_newtable(L);
    int lstore = lua_gettop(L);
    lua_newtable(L);
    SetFunc(L, "register_function", register_fn);
    SetFunc(L, "log", RedisLog);
    PushLogConstants(L);
    lua_newtable(L);
    lua_pushcfunction(L, MissingGlobal);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    PushProxy(L, -1);
    lua_setfield(L, lstore, "redis");
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushcfunction(L, MissingGlobal);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, lstore);
    lua_setfield(L, LUA_REGISTRYINDEX, kLoadStore);
  }

  // The globals table itself becomes the proxy of the store.
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  int g = lua_gettop(L);
  lua_pushnil(L);
  std::vector<std::string> keys;
  while (lua_next(L, g)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING) keys.emplace_back(lua_tostring(L, -1));
  }
  for (const auto& k : keys) {
    lua_pushnil(L);
    lua_setfield(L, g, k.c_str());
  }
  lua_pushvalue(L, g);
  lua_setfield(L, store, "_G");
  lua_newtable(L);
  lua_pushvalue(L, store);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, g);
  lua_getfield(L, LUA_REGISTRYINDEX, kRealOf);
  lua_pushvalue(L, g);
  lua_pushvalue(L, store);
  lua_rawset(L, -3);
  lua_settop(L, 0);
  return L;
}

// Points the globals proxy at `store_key`'s table (runtime or load env).
void SwitchGlobals(lua_State* L, const char* store_key) {
  lua_getmetatable(L, LUA_GLOBALSINDEX);
  lua_getfield(L, LUA_REGISTRYINDEX, store_key);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "__index");
  lua_getfield(L, LUA_REGISTRYINDEX, kRealOf);
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 3);
}

// Sets a global in the store, bypassing read-only protection (KEYS, ARGV).
void SetStoreArray(lua_State* L, const char* name, const ArgList& args, size_t from, size_t n) {
  lua_getfield(L, LUA_REGISTRYINDEX, kStore);
  lua_createtable(L, static_cast<int>(n), 0);
  for (size_t i = 0; i < n; ++i) {
    lua_pushlstring(L, args[from + i].data(), args[from + i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
}

void PushArray(lua_State* L, const ArgList& args, size_t from, size_t n) {
  lua_createtable(L, static_cast<int>(n), 0);
  for (size_t i = 0; i < n; ++i) {
    lua_pushlstring(L, args[from + i].data(), args[from + i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
}

thread_local bool t_serving_while_busy = false;

// The count hook: BUSY state, SCRIPT KILL, shutdown.
void CountHook(lua_State* L, lua_Debug*) {
  ScriptRun* run = t_run;
  if (!run) return;
  int64_t elapsed = SystemClock().NowMs() - run->slot.start_ms;
  if (!run->slot.timed_out.load(std::memory_order_relaxed) && elapsed >= run->threshold_ms) {
    run->slot.timed_out.store(true);
    g_busy.fetch_add(1);
    LOG_WARNING(
        "Slow script detected: still in execution after %lld milliseconds. "
        "You can try killing the script using the %s command.",
        static_cast<long long>(elapsed), run->slot.is_eval ? "SCRIPT KILL" : "FUNCTION KILL");
  }
  if (run->slot.timed_out.load(std::memory_order_relaxed) && !t_serving_while_busy) {
    // Clients of this worker get -BUSY and may SCRIPT KILL, as on the others.
    if (server::Worker* w = server::Worker::Current()) {
      t_serving_while_busy = true;
      w->ServeWhileBusy(run->slot.client_id);
      t_serving_while_busy = false;
    }
  }
  if (run->slot.kill.load()) {
    lua_sethook(L, CountHook, LUA_MASKLINE, 0);  // keep firing if the script catches it
    RaiseErrorTable(L, "ERR Script killed by user with SCRIPT KILL...");
  }
  if (run->server->shutting_down()) {
    lua_sethook(L, CountHook, LUA_MASKLINE, 0);
    RaiseErrorTable(L, "ERR Script killed by user with SHUTDOWN NOSAVE...");
  }
}

// ------------------------------------------------------------ per-thread states

struct LocalScript {
  int ref;
  uint32_t flags;
};

// Bytes a worker's Lua VMs hold, published after each run for INFO.
struct VmMemory {
  std::atomic<uint64_t> eval{0};
  std::atomic<uint64_t> funcs{0};
};
std::mutex g_vm_mu;
std::vector<std::shared_ptr<VmMemory>>& VmMemories() {
  static auto* v = new std::vector<std::shared_ptr<VmMemory>>;
  return *v;
}

uint64_t LuaBytes(lua_State* L) {
  if (!L) return 0;
  return static_cast<uint64_t>(lua_gc(L, LUA_GCCOUNT, 0)) * 1024 +
         static_cast<uint64_t>(lua_gc(L, LUA_GCCOUNTB, 0));
}

struct ThreadEngine {
  ThreadEngine() : mem(std::make_shared<VmMemory>()) {
    std::lock_guard<std::mutex> g(g_vm_mu);
    VmMemories().push_back(mem);
  }
  void PublishMemory() {
    mem->eval.store(LuaBytes(eval), std::memory_order_relaxed);
    mem->funcs.store(LuaBytes(funcs), std::memory_order_relaxed);
  }
  std::shared_ptr<VmMemory> mem;
  lua_State* eval = nullptr;
  uint64_t eval_gen = 0;
  std::unordered_map<std::string, LocalScript> scripts;
  lua_State* funcs = nullptr;
  std::shared_ptr<const Libraries> funcs_libs;
  int gc_counter = 0;
  ~ThreadEngine() {
    if (eval) lua_close(eval);
    if (funcs) lua_close(funcs);
    std::lock_guard<std::mutex> g(g_vm_mu);
    auto& all = VmMemories();
    all.erase(std::find(all.begin(), all.end(), mem));
  }
};
thread_local ThreadEngine t_engine;

// ------------------------------------------------------------ FUNCTION LOAD

struct PendingFunction {
  FunctionInfo info;
  int ref;  // callback in the registry
};
thread_local std::vector<PendingFunction>* t_pending = nullptr;

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

bool Fail(std::string* err, std::string_view msg) {
  err->assign(msg);
  return false;
}

// register_function's work; on failure sets *err (raised by the caller once
// the C++ locals here are gone).
bool RegisterInner(lua_State* L, std::string* err) {
  if (!t_pending)
    return Fail(err, "ERR redis.register_function can only be called on FUNCTION LOAD command");
  int argc = lua_gettop(L);
  PendingFunction pf;
  if (argc == 1) {
    if (!lua_istable(L, 1)) {
      return Fail(err,
                  "ERR calling redis.register_function with a single argument is only "
                  "applicable to Lua table (representing named arguments).");
    }
    bool has_name = false, has_cb = false;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
      if (!lua_isstring(L, -2)) {
        return Fail(err, "ERR named argument key given to redis.register_function is not a string");
      }
      std::string key;
      {
        size_t klen;
        lua_pushvalue(L, -2);  // tostring on a copy: lua_next needs the key intact
        const char* k = lua_tolstring(L, -1, &klen);
        key.assign(k, klen);
        lua_pop(L, 1);
        key = ToLower(key);
      }
      if (key == "function_name") {
        if (!lua_isstring(L, -1)) {
          RaiseErrorTable(
              L, "ERR function_name argument given to redis.register_function must be a string");
        }
        lua_pushvalue(L, -1);
        pf.info.name = lua_tostring(L, -1);
        lua_pop(L, 1);
        has_name = true;
      } else if (key == "description") {
        if (!lua_isstring(L, -1)) {
          RaiseErrorTable(
              L, "ERR description argument given to redis.register_function must be a string");
        }
        lua_pushvalue(L, -1);
        pf.info.description = lua_tostring(L, -1);
        lua_pop(L, 1);
        pf.info.has_description = true;
      } else if (key == "callback") {
        if (lua_type(L, -1) != LUA_TFUNCTION) {
          RaiseErrorTable(
              L, "ERR callback argument given to redis.register_function must be a function");
        }
        if (has_cb) luaL_unref(L, LUA_REGISTRYINDEX, pf.ref);
        lua_pushvalue(L, -1);
        pf.ref = luaL_ref(L, LUA_REGISTRYINDEX);
        has_cb = true;
      } else if (key == "flags") {
        if (lua_type(L, -1) != LUA_TTABLE) {
          return Fail(err,
                      "ERR flags argument to redis.register_function must be a table "
                      "representing function flags");
        }
        int n = static_cast<int>(lua_objlen(L, -1));
        for (int i = 1; i <= n; ++i) {
          lua_rawgeti(L, -1, i);
          uint32_t f;
          if (lua_type(L, -1) != LUA_TSTRING || !FlagByName(lua_tostring(L, -1), &f)) {
            return Fail(err, "ERR unknown flag given");
          }
          pf.info.flags |= f;
          lua_pop(L, 1);
        }
      } else {
        return Fail(err, "ERR unknown argument given to redis.register_function");
      }
      lua_pop(L, 1);
    }
    if (!has_name)
      return Fail(err, "ERR redis.register_function must get a function name argument");
    if (!has_cb) return Fail(err, "ERR redis.register_function must get a callback argument");
  } else if (argc == 2) {
    if (!lua_isstring(L, 1)) {
      return Fail(err, "ERR first argument to redis.register_function must be a string");
    }
    if (lua_type(L, 2) != LUA_TFUNCTION) {
      return Fail(err, "ERR second argument to redis.register_function must be a function");
    }
    pf.info.name = lua_tostring(L, 1);
    lua_pushvalue(L, 2);
    pf.ref = luaL_ref(L, LUA_REGISTRYINDEX);
  } else {
    return Fail(err, "ERR wrong number of arguments to redis.register_function");
  }
  if (!ValidName(pf.info.name)) {
    return Fail(err,
                "ERR Library names can only contain letters, numbers, or underscores(_) and "
                "must be at least one character long");
  }
  for (const auto& other : *t_pending) {
    if (other.info.name == pf.info.name) {
      return Fail(err, "ERR Function already exists in the library");
    }
  }
  t_pending->push_back(std::move(pf));
  return true;
}

int RegisterFunction(lua_State* L) {
  thread_local std::string err;
  if (RegisterInner(L, &err)) return 0;
  RaiseErrorTable(L, err);
}

// A library's top-level code gets 500 ms, as in Redis.
thread_local int64_t t_load_start_ms = 0;
void LoadHook(lua_State* L, lua_Debug*) {
  if (SystemClock().NowMs() - t_load_start_ms > 500) {
    lua_sethook(L, LoadHook, LUA_MASKLINE, 0);  // keep firing if the code catches it
    RaiseErrorTable(L, "ERR FUNCTION LOAD timeout");
  }
}

// Parses "#!lua name=<lib>" off the code's first line.
bool ParseLibraryMeta(std::string_view code, std::string* name, std::string* err) {
  if (code.substr(0, 2) != "#!") {
    *err = "ERR Missing library metadata";
    return false;
  }
  size_t eol = code.find('\n');
  std::string_view line = code.substr(0, eol);
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= line.size()) {
    size_t sp = line.find(' ', pos);
    if (sp == std::string_view::npos) sp = line.size();
    if (sp > pos) parts.push_back(line.substr(pos, sp - pos));
    pos = sp + 1;
  }
  std::string_view engine = parts.empty() ? std::string_view() : parts[0].substr(2);
  bool has_name = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].substr(0, 5) == "name=") {
      *name = std::string(parts[i].substr(5));
      has_name = true;
    } else {
      *err = "ERR Invalid metadata value given: " + std::string(parts[i]);
      return false;
    }
  }
  if (!has_name) {
    *err = "ERR Library name was not given";
    return false;
  }
  if (!EqualsIgnoreCase(engine, "lua")) {
    *err = "ERR Engine '" + std::string(engine) + "' not found";
    return false;
  }
  if (!ValidName(*name)) {
    *err =
        "ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
        "least one character long";
    return false;
  }
  return true;
}

// Compiles and runs a library's code in L (a functions state), collecting
// its register_function calls. On success the callbacks are registered in
// the state's function table when `install` is set.
bool LoadLibraryCode(lua_State* L, std::string_view code, Library* lib, bool install,
                     std::string* err) {
  size_t eol = code.find('\n');
  std::string_view body = eol == std::string_view::npos ? std::string_view() : code.substr(eol);
  lua_getfield(L, LUA_REGISTRYINDEX, kErrHandler);
  int errh = lua_gettop(L);
  if (luaL_loadbuffer(L, body.data(), body.size(), "@user_function")) {
    *err = std::string("ERR Error compiling function: ") + lua_tostring(L, -1);
    lua_settop(L, errh - 1);
    return false;
  }
  std::vector<PendingFunction> pending;
  t_pending = &pending;
  SwitchGlobals(L, kLoadStore);
  t_load_start_ms = SystemClock().NowMs();
  lua_sethook(L, LoadHook, LUA_MASKCOUNT, 100000);
  int rc = lua_pcall(L, 0, 0, errh);
  lua_sethook(L, nullptr, 0, 0);
  SwitchGlobals(L, kStore);
  t_pending = nullptr;
  auto drop = [&] {
    for (auto& pf : pending) luaL_unref(L, LUA_REGISTRYINDEX, pf.ref);
  };
  if (rc) {
    std::string msg = "unknown error";
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) msg = lua_tostring(L, -1);
      lua_pop(L, 1);
    } else if (lua_isstring(L, -1)) {
      msg = lua_tostring(L, -1);
    }
    *err = "ERR Error registering functions: " + msg;
    lua_settop(L, errh - 1);
    drop();
    return false;
  }
  lua_settop(L, errh - 1);
  if (pending.empty()) {
    *err = "ERR No functions registered";
    return false;
  }
  lib->functions.clear();
  for (auto& pf : pending) lib->functions.push_back(pf.info);
  if (install) {
    lua_getfield(L, LUA_REGISTRYINDEX, kFuncs);
    for (auto& pf : pending) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, pf.ref);
      lua_setfield(L, -2, pf.info.name.c_str());
    }
    lua_pop(L, 1);
  }
  drop();
  return true;
}

lua_State* FunctionsState() {
  std::shared_ptr<const Libraries> libs = CurrentLibraries();
  ThreadEngine& e = t_engine;
  if (e.funcs && e.funcs_libs == libs) return e.funcs;
  if (e.funcs) lua_close(e.funcs);
  e.funcs = NewState(true, RegisterFunction);
  e.funcs_libs = libs;
  for (auto& [name, lib] : libs->libs) {
    Library tmp;
    std::string err;
    if (!LoadLibraryCode(e.funcs, lib->code, &tmp, true, &err)) {
      LOG_WARNING("Failed to load function library '%s' on a worker: %s", name.c_str(),
                  err.c_str());
    }
  }
  e.PublishMemory();
  return e.funcs;
}

lua_State* EvalState() {
  ThreadEngine& e = t_engine;
  uint64_t gen = Cache().generation.load(std::memory_order_acquire);
  if (e.eval && e.eval_gen == gen) return e.eval;
  if (e.eval) lua_close(e.eval);
  e.scripts.clear();
  e.eval = NewState(false, nullptr);
  e.eval_gen = gen;
  e.PublishMemory();
  return e.eval;
}

// ------------------------------------------------------------ EVAL scripts

bool ParseShebang(std::string_view body, uint32_t* flags, std::string* err) {
  *flags = kEvalCompat;
  if (body.substr(0, 2) != "#!") return true;
  *flags = 0;
  size_t eol = body.find('\n');
  if (eol == std::string_view::npos) {
    *err = "ERR Invalid script shebang";
    return false;
  }
  std::string_view line = body.substr(0, eol);
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= line.size()) {
    size_t sp = line.find(' ', pos);
    if (sp == std::string_view::npos) sp = line.size();
    if (sp > pos) parts.push_back(line.substr(pos, sp - pos));
    pos = sp + 1;
  }
  if (parts.empty() || parts[0] != "#!lua") {
    *err =
        "ERR Unexpected engine in script shebang: " + std::string(parts.empty() ? line : parts[0]);
    return false;
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].substr(0, 6) != "flags=") {
      *err = "ERR Unknown lua shebang option: " + std::string(parts[i]);
      return false;
    }
    std::string_view list = parts[i].substr(6);
    size_t p = 0;
    while (p < list.size()) {
      size_t comma = list.find(',', p);
      if (comma == std::string_view::npos) comma = list.size();
      std::string_view flag = list.substr(p, comma - p);
      uint32_t f;
      if (!flag.empty()) {
        if (!FlagByName(flag, &f)) {
          *err = "ERR Unexpected flag in script shebang: " + std::string(flag);
          return false;
        }
        *flags |= f;
      }
      p = comma + 1;
    }
  }
  return true;
}

// Finds or compiles the script in this thread's state. Returns nullptr with
// `err` set on failure.
const LocalScript* CompileScript(lua_State* L, const std::string& sha, std::string_view body,
                                 uint32_t flags, std::string* err) {
  ThreadEngine& e = t_engine;
  auto it = e.scripts.find(sha);
  if (it != e.scripts.end()) return &it->second;
  std::string_view code = body;
  if (!(flags & kEvalCompat)) {
    size_t eol = code.find('\n');
    code = eol == std::string_view::npos ? std::string_view() : code.substr(eol);
  }
  if (luaL_loadbuffer(L, code.data(), code.size(), "@user_script")) {
    *err = std::string("ERR Error compiling script (new function): ") + lua_tostring(L, -1);
    lua_pop(L, 1);
    return nullptr;
  }
  int ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return &e.scripts.emplace(sha, LocalScript{ref, flags}).first->second;
}

// Adds a script to the cache (compiling it here). Returns the local script.
const LocalScript* AddScript(lua_State* L, std::string_view body, std::string* sha,
                             std::string* err) {
  *sha = Sha1Hex(body);
  uint32_t flags;
  if (!ParseShebang(body, &flags, err)) return nullptr;
  const LocalScript* ls = CompileScript(L, *sha, body, flags, err);
  if (!ls) return nullptr;
  ScriptCache& cache = Cache();
  std::lock_guard<std::mutex> g(cache.mu);
  auto& slot = cache.scripts[*sha];
  if (!slot) slot = std::make_shared<CachedScript>(CachedScript{std::string(body), flags});
  return ls;
}

bool ParseNumKeys(CommandContext& ctx, const ArgList& args, int64_t* numkeys) {
  if (!ParseInt64(args[2], numkeys)) {
    ctx.rb->Error(errors::kNotInteger);
    return false;
  }
  if (*numkeys > static_cast<int64_t>(args.size()) - 3) {
    ctx.rb->Error("ERR Number of keys can't be greater than number of args");
    return false;
  }
  if (*numkeys < 0) {
    ctx.rb->Error("ERR Number of keys can't be negative");
    return false;
  }
  return true;
}

// Runs the function on the top of L's stack (with its arguments pushed
// above it when nargs > 0) under the sandbox, locks and busy accounting, and
// writes the reply.
void Run(CommandContext& ctx, lua_State* L, int nargs, const ArgList& args, int64_t numkeys,
         uint32_t flags, bool read_only_cmd, bool oom, bool is_eval, const std::string& name) {
  Server& srv = *ctx.server;
  ScriptRun run;
  run.caller = &ctx;
  run.server = &srv;
  run.client = ctx.client;
  run.db_index = ctx.client->db_index;
  run.flags = flags;
  run.keyspace = &srv.keyspace();
  run.read_only = read_only_cmd || (flags & kNoWrites);
  run.oom = oom;
  run.threshold_ms = srv.config().busy_reply_threshold.load();
  run.slot.client_id = ctx.client->id();
  run.slot.is_eval = is_eval;
  run.slot.start_ms = SystemClock().NowMs();
  run.slot.name = name;
  for (const auto& a : args) run.slot.command.emplace_back(a);

  // Locks: the declared keys' shards, or everything for cross-slot scripts.
  db::LockSet locks(run.keyspace);
  if (db::t_hold_all_shards) {
    run.nested_all = true;
    run.exclusive = true;
  } else if (flags & kAllowCrossSlot) {
    run.keyspace->LockAll();
    run.hold.emplace();
    run.took_all = true;
    run.exclusive = true;
  } else if (numkeys == 0) {
    run.can_escalate = true;
  } else {
    for (int64_t i = 0; i < numkeys; ++i) {
      std::string_view key = args[3 + i];
      locks.AddKey(run.db_index, key);
      run.locked.push_back(static_cast<uint32_t>(run.db_index) << db::kShardBits |
                           db::Database::ShardOf(key));
    }
    std::sort(run.locked.begin(), run.locked.end());
    run.locked.erase(std::unique(run.locked.begin(), run.locked.end()), run.locked.end());
    locks.Lock();
  }

  {
    std::lock_guard<std::mutex> g(g_runs_mu);
    g_runs.push_back(&run.slot);
  }
  server::PendingEffects().transaction = true;
  ScriptRun* prev = t_run;
  t_run = &run;

  lua_getfield(L, LUA_REGISTRYINDEX, kErrHandler);
  int errh = lua_gettop(L) - nargs - 1;
  lua_insert(L, errh);
  lua_sethook(L, CountHook, LUA_MASKCOUNT, 100000);
  int rc = lua_pcall(L, nargs, 1, errh);
  lua_sethook(L, nullptr, 0, 0);

  if (rc) {
    std::string msg;
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      size_t len = 0;
      const char* e = lua_tolstring(L, -1, &len);
      msg = e ? std::string(e, len) : "ERR unknown error";
      lua_pop(L, 1);
      lua_getfield(L, -1, "source");
      const char* source = lua_tostring(L, -1);
      std::string src = source ? source : "?";
      lua_pop(L, 1);
      lua_getfield(L, -1, "line");
      std::string line = lua_isnumber(L, -1) ? std::to_string(lua_tointeger(L, -1)) : "?";
      lua_pop(L, 1);
      if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "source");
        bool has_source = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (has_source) msg += " script: " + name + ", on " + src + ":" + line + ".";
      }
      ctx.rb->Error(msg);
    } else {
      const char* e = lua_tostring(L, -1);
      ctx.rb->Error(std::string("ERR Error running script (call to ") + (is_eval ? "f_" : "") +
                    name + "): @user_script:?: " + (e ? e : "unknown error"));
    }
  } else {
    WriteLuaValue(L, ctx.rb, run.resp, 0);
  }
  lua_settop(L, errh - 1);

  t_run = prev;
  {
    std::lock_guard<std::mutex> g(g_runs_mu);
    g_runs.erase(std::find(g_runs.begin(), g_runs.end(), &run.slot));
  }
  if (run.slot.timed_out.load()) g_busy.fetch_sub(1);
  if (!run.nested_all) server::FlushEffects(srv);  // an enclosing EXEC flushes its own
  run.hold.reset();
  if (run.took_all) run.keyspace->UnlockAll();
  locks.Clear();
  ctx.propagated = true;
  if (++t_engine.gc_counter >= 50) {
    t_engine.gc_counter = 0;
    lua_gc(L, LUA_GCSTEP, 10);
  }
  t_engine.PublishMemory();
}

// Redis's scriptPrepareForRun checks for scripts declaring their flags.
bool CheckFlagsBeforeRun(CommandContext& ctx, uint32_t flags, bool read_only_cmd, bool* oom) {
  *oom = false;
  if (flags & kEvalCompat) {
    if (!read_only_cmd) {
      *oom = server::PerformEvictions(*ctx.server, *ctx.client->worker(), SystemClock().NowUs()) ==
             server::EvictResult::kFail;
    }
    return true;
  }
  if (read_only_cmd && !(flags & kNoWrites)) {
    ctx.rb->Error(kRoWithWriteFlag);
    return false;
  }
  if (!(flags & kAllowOom) && !(flags & kNoWrites)) {
    if (server::PerformEvictions(*ctx.server, *ctx.client->worker(), SystemClock().NowUs()) ==
        server::EvictResult::kFail) {
      ctx.rb->Error(errors::kOom);
      return false;
    }
  }
  return true;
}

}  // namespace

// ------------------------------------------------------------ public API

void Eval(CommandContext& ctx, const ArgList& args, bool by_sha, bool read_only) {
  if (t_run) {
    ctx.rb->Error("ERR This Redis command is not allowed from script");
    return;
  }
  int64_t numkeys;
  if (!ParseNumKeys(ctx, args, &numkeys)) return;
  lua_State* L = EvalState();
  std::string sha;
  std::string err;
  const LocalScript* ls = nullptr;
  if (!by_sha) {
    ls = AddScript(L, args[1], &sha, &err);
    if (!ls) {
      ctx.rb->Error(err);
      return;
    }
  } else {
    sha = std::string(args[1].substr(0, 40));
    for (char& c : sha) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    auto it = t_engine.scripts.find(sha);
    if (it != t_engine.scripts.end() && args[1].size() == 40) {
      ls = &it->second;
    } else {
      std::shared_ptr<const CachedScript> cs;
      if (args[1].size() == 40) {
        std::lock_guard<std::mutex> g(Cache().mu);
        auto ci = Cache().scripts.find(sha);
        if (ci != Cache().scripts.end()) cs = ci->second;
      }
      if (!cs) {
        ctx.rb->Error("NOSCRIPT No matching script. Please use EVAL.");
        return;
      }
      ls = CompileScript(L, sha, cs->body, cs->flags, &err);
      if (!ls) {
        ctx.rb->Error(err);
        return;
      }
    }
  }
  uint32_t flags = ls->flags;
  bool oom;
  if (!CheckFlagsBeforeRun(ctx, flags, read_only, &oom)) return;
  int ref = ls->ref;
  SetStoreArray(L, "KEYS", args, 3, static_cast<size_t>(numkeys));
  SetStoreArray(L, "ARGV", args, 3 + numkeys, args.size() - 3 - numkeys);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  Run(ctx, L, 0, args, numkeys, flags, read_only, oom, true, sha);
}

void FCall(CommandContext& ctx, const ArgList& args, bool read_only) {
  if (t_run) {
    ctx.rb->Error("ERR This Redis command is not allowed from script");
    return;
  }
  std::shared_ptr<const Libraries> libs = CurrentLibraries();
  auto it = libs->functions.find(std::string(args[1]));
  if (it == libs->functions.end()) {
    ctx.rb->Error("ERR Function not found");
    return;
  }
  int64_t numkeys;
  if (!ParseInt64(args[2], &numkeys)) {
    ctx.rb->Error("ERR Bad number of keys provided");
    return;
  }
  if (!ParseNumKeys(ctx, args, &numkeys)) return;
  uint32_t flags = it->second.second->flags;
  bool oom;
  if (!CheckFlagsBeforeRun(ctx, flags, read_only, &oom)) return;
  std::string name = it->second.second->name;
  lua_State* L = FunctionsState();
  lua_getfield(L, LUA_REGISTRYINDEX, kFuncs);
  lua_getfield(L, -1, name.c_str());
  lua_remove(L, -2);
  if (!lua_isfunction(L, -1)) {
    lua_pop(L, 1);
    ctx.rb->Error("ERR Function not found");
    return;
  }
  PushArray(L, args, 3, static_cast<size_t>(numkeys));
  PushArray(L, args, 3 + numkeys, args.size() - 3 - numkeys);
  Run(ctx, L, 2, args, numkeys, flags, read_only, oom, false, name);
}

void ScriptLoad(CommandContext& ctx, std::string_view body) {
  lua_State* L = EvalState();
  std::string sha, err;
  if (!AddScript(L, body, &sha, &err)) {
    ctx.rb->Error(err);
    return;
  }
  ctx.rb->Bulk(sha);
}

bool ScriptExists(std::string_view sha) {
  if (sha.size() != 40) return false;
  std::string lower(sha);
  for (char& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  std::lock_guard<std::mutex> g(Cache().mu);
  return Cache().scripts.count(lower) > 0;
}

void ScriptFlush() {
  ScriptCache& cache = Cache();
  std::lock_guard<std::mutex> g(cache.mu);
  cache.scripts.clear();
  cache.generation.fetch_add(1, std::memory_order_release);
}

void FunctionLoad(CommandContext& ctx, std::string_view code, bool replace) {
  auto lib = std::make_shared<Library>();
  std::string err;
  if (!ParseLibraryMeta(code, &lib->name, &err)) {
    ctx.rb->Error(err);
    return;
  }
  lib->code = std::string(code);
  if (!replace && CurrentLibraries()->libs.count(lib->name)) {
    ctx.rb->Error("ERR Library '" + lib->name + "' already exists");
    return;
  }
  // Validate in a scratch state: a failed load must leave no trace.
  lua_State* L = NewState(true, RegisterFunction);
  bool ok = LoadLibraryCode(L, code, lib.get(), false, &err);
  lua_close(L);
  if (!ok) {
    ctx.rb->Error(err);
    return;
  }
  FunctionRegistry& reg = Functions();
  std::lock_guard<std::mutex> g(reg.mu);
  const Libraries& cur = *reg.current;
  if (cur.libs.count(lib->name) && !replace) {
    ctx.rb->Error("ERR Library '" + lib->name + "' already exists");
    return;
  }
  for (const auto& f : lib->functions) {
    auto fi = cur.functions.find(f.name);
    if (fi != cur.functions.end() && fi->second.first->name != lib->name) {
      ctx.rb->Error("ERR Function " + f.name + " already exists");
      return;
    }
  }
  auto next = std::make_shared<Libraries>(cur);
  next->libs[lib->name] = lib;
  next->Index();
  reg.current = next;
  ctx.rb->Bulk(lib->name);
}

void FunctionDelete(CommandContext& ctx, std::string_view name) {
  FunctionRegistry& reg = Functions();
  std::lock_guard<std::mutex> g(reg.mu);
  auto it = reg.current->libs.find(std::string(name));
  if (it == reg.current->libs.end()) {
    ctx.rb->Error("ERR Library not found");
    return;
  }
  auto next = std::make_shared<Libraries>(*reg.current);
  next->libs.erase(std::string(name));
  next->Index();
  reg.current = next;
  ctx.rb->Ok();
}

void FunctionFlush() {
  FunctionRegistry& reg = Functions();
  std::lock_guard<std::mutex> g(reg.mu);
  reg.current = std::make_shared<Libraries>();
}

void FunctionList(CommandContext& ctx, std::string_view pattern, bool has_pattern, bool with_code) {
  std::shared_ptr<const Libraries> libs = CurrentLibraries();
  std::vector<const Library*> out;
  for (auto& [name, lib] : libs->libs) {
    if (has_pattern && !StringMatch(pattern, name, false)) continue;
    out.push_back(lib.get());
  }
  protocol::ReplyBuilder* rb = ctx.rb;
  rb->ArrayHeader(out.size());
  for (const Library* lib : out) {
    rb->MapHeader(with_code ? 4 : 3);
    rb->Bulk("library_name");
    rb->Bulk(lib->name);
    rb->Bulk("engine");
    rb->Bulk("LUA");
    rb->Bulk("functions");
    rb->ArrayHeader(lib->functions.size());
    for (const auto& f : lib->functions) {
      rb->MapHeader(3);
      rb->Bulk("name");
      rb->Bulk(f.name);
      rb->Bulk("description");
      if (f.has_description) {
        rb->Bulk(f.description);
      } else {
        rb->Null();
      }
      rb->Bulk("flags");
      size_t n = 0;
      for (const auto& fl : kFlagNames) n += (f.flags & fl.flag) ? 1 : 0;
      rb->SetHeader(n);
      for (const auto& fl : kFlagNames) {
        if (f.flags & fl.flag) rb->SimpleString(fl.name);
      }
    }
    if (with_code) {
      rb->Bulk("library_code");
      rb->Bulk(lib->code);
    }
  }
}

void FunctionStats(CommandContext& ctx) {
  {
    std::lock_guard<std::mutex> g(g_runs_mu);
    for (const RunSlot* r : g_runs) {
      if (r->is_eval && r->timed_out.load() && r->client_id != ctx.client->id()) {
        ctx.rb->Error(kBusyEval);
        return;
      }
    }
  }
  std::shared_ptr<const Libraries> libs = CurrentLibraries();
  protocol::ReplyBuilder* rb = ctx.rb;
  rb->MapHeader(2);
  rb->Bulk("running_script");
  {
    std::lock_guard<std::mutex> g(g_runs_mu);
    const RunSlot* s = nullptr;
    for (const RunSlot* r : g_runs) {
      if (!r->is_eval) s = r;
    }
    if (!s) {
      rb->Null();
    } else {
      rb->MapHeader(3);
      rb->Bulk("name");
      rb->Bulk(s->name);
      rb->Bulk("command");
      rb->ArrayHeader(s->command.size());
      for (const auto& a : s->command) rb->Bulk(a);
      rb->Bulk("duration_ms");
      rb->Integer(SystemClock().NowMs() - s->start_ms);
    }
  }
  rb->Bulk("engines");
  rb->MapHeader(1);
  rb->Bulk("LUA");
  rb->MapHeader(2);
  rb->Bulk("libraries_count");
  rb->Integer(static_cast<int64_t>(libs->libs.size()));
  rb->Bulk("functions_count");
  rb->Integer(static_cast<int64_t>(libs->functions.size()));
}

namespace {

constexpr unsigned char kRdbOpcodeFunction2 = 245;
constexpr uint16_t kRdbVersion = 10;

void RdbSaveLen(std::string* out, uint64_t len) {
  if (len < (1 << 6)) {
    out->push_back(static_cast<char>(len));
  } else if (len < (1 << 14)) {
    out->push_back(static_cast<char>(0x40 | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xFF));
  } else if (len <= UINT32_MAX) {
    out->push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
  }
}

bool RdbLoadLen(std::string_view& in, uint64_t* len, bool* encoded) {
  *encoded = false;
  if (in.empty()) return false;
  auto b = static_cast<unsigned char>(in[0]);
  int type = b >> 6;
  if (type == 0) {
    *len = b & 0x3F;
    in.remove_prefix(1);
  } else if (type == 1) {
    if (in.size() < 2) return false;
    *len = (static_cast<uint64_t>(b & 0x3F) << 8) | static_cast<unsigned char>(in[1]);
    in.remove_prefix(2);
  } else if (type == 3) {
    *encoded = true;
    *len = b & 0x3F;
    in.remove_prefix(1);
  } else if (b == 0x80) {
    if (in.size() < 5) return false;
    *len = 0;
    for (int i = 1; i <= 4; ++i) *len = (*len << 8) | static_cast<unsigned char>(in[i]);
    in.remove_prefix(5);
  } else if (b == 0x81) {
    if (in.size() < 9) return false;
    *len = 0;
    for (int i = 1; i <= 8; ++i) *len = (*len << 8) | static_cast<unsigned char>(in[i]);
    in.remove_prefix(9);
  } else {
    return false;
  }
  return true;
}

bool RdbLoadString(std::string_view& in, std::string* out) {
  uint64_t len;
  bool encoded;
  if (!RdbLoadLen(in, &len, &encoded)) return false;
  if (!encoded) {
    if (in.size() < len) return false;
    out->assign(in.data(), len);
    in.remove_prefix(len);
    return true;
  }
  auto read_le = [&](int n, int64_t* v) {
    if (in.size() < static_cast<size_t>(n)) return false;
    uint64_t u = 0;
    for (int i = n - 1; i >= 0; --i) u = (u << 8) | static_cast<unsigned char>(in[i]);
    in.remove_prefix(n);
    if (n == 1)
      *v = static_cast<int8_t>(u);
    else if (n == 2)
      *v = static_cast<int16_t>(u);
    else
      *v = static_cast<int32_t>(u);
    return true;
  };
  int64_t v;
  switch (len) {
    case 0:
      if (!read_le(1, &v)) return false;
      *out = std::to_string(v);
      return true;
    case 1:
      if (!read_le(2, &v)) return false;
      *out = std::to_string(v);
      return true;
    case 2:
      if (!read_le(4, &v)) return false;
      *out = std::to_string(v);
      return true;
    case 3: {
      uint64_t clen, ulen;
      bool e1, e2;
      if (!RdbLoadLen(in, &clen, &e1) || e1 || !RdbLoadLen(in, &ulen, &e2) || e2) return false;
      if (in.size() < clen || ulen > (1ULL << 32)) return false;
      out->resize(ulen);
      unsigned got = lzf_decompress(in.data(), static_cast<unsigned>(clen), out->data(),
                                    static_cast<unsigned>(ulen));
      if (got != ulen) return false;
      in.remove_prefix(clen);
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

void FunctionDump(CommandContext& ctx) {
  std::shared_ptr<const Libraries> libs = CurrentLibraries();
  std::string out;
  for (auto& [name, lib] : libs->libs) {
    out.push_back(static_cast<char>(kRdbOpcodeFunction2));
    const std::string& code = lib->code;
    std::string compressed;
    if (code.size() > 20) {
      compressed.resize(code.size());
      unsigned clen = lzf_compress(code.data(), static_cast<unsigned>(code.size()),
                                   compressed.data(), static_cast<unsigned>(code.size() - 4));
      if (clen > 0) {
        out.push_back(static_cast<char>(0xC3));
        RdbSaveLen(&out, clen);
        RdbSaveLen(&out, code.size());
        out.append(compressed.data(), clen);
        continue;
      }
    }
    RdbSaveLen(&out, code.size());
    out.append(code);
  }
  out.push_back(static_cast<char>(kRdbVersion & 0xFF));
  out.push_back(static_cast<char>(kRdbVersion >> 8));
  uint64_t crc = persist::Crc64(0, out.data(), out.size());
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  ctx.rb->Bulk(out);
}

void FunctionRestore(CommandContext& ctx, std::string_view payload, RestorePolicy policy) {
  if (payload.size() < 10) {
    ctx.rb->Error("ERR DUMP payload version or checksum are wrong");
    return;
  }
  const char* footer = payload.data() + payload.size() - 10;
  uint16_t ver = static_cast<uint16_t>(static_cast<unsigned char>(footer[0]) |
                                       static_cast<unsigned char>(footer[1]) << 8);
  uint64_t crc = 0;
  for (int i = 7; i >= 0; --i) crc = (crc << 8) | static_cast<unsigned char>(footer[2 + i]);
  if (ver > kRdbVersion || persist::Crc64(0, payload.data(), payload.size() - 8) != crc) {
    ctx.rb->Error("ERR DUMP payload version or checksum are wrong");
    return;
  }
  std::string_view in = payload.substr(0, payload.size() - 10);
  std::vector<std::shared_ptr<Library>> loaded;
  while (!in.empty()) {
    auto op = static_cast<unsigned char>(in[0]);
    in.remove_prefix(1);
    if (op != kRdbOpcodeFunction2) {
      ctx.rb->Error("ERR given type is not a function");
      return;
    }
    std::string code;
    if (!RdbLoadString(in, &code)) {
      ctx.rb->Error("ERR Failed loading library payload");
      return;
    }
    auto lib = std::make_shared<Library>();
    std::string err;
    if (!ParseLibraryMeta(code, &lib->name, &err)) {
      ctx.rb->Error(err);
      return;
    }
    lib->code = code;
    lua_State* L = NewState(true, RegisterFunction);
    bool ok = LoadLibraryCode(L, code, lib.get(), false, &err);
    lua_close(L);
    if (!ok) {
      ctx.rb->Error(err);
      return;
    }
    loaded.push_back(lib);
  }
  FunctionRegistry& reg = Functions();
  std::lock_guard<std::mutex> g(reg.mu);
  auto next = policy == RestorePolicy::kFlush ? std::make_shared<Libraries>()
                                              : std::make_shared<Libraries>(*reg.current);
  for (auto& lib : loaded) {
    if (next->libs.count(lib->name)) {
      if (policy != RestorePolicy::kReplace) {
        ctx.rb->Error("ERR Library " + lib->name + " already exists");
        return;
      }
    }
    next->libs[lib->name] = lib;
  }
  // A function may not move between libraries unless its library is replaced.
  std::unordered_map<std::string, std::string> owner;
  for (auto& [name, lib] : next->libs) {
    for (auto& f : lib->functions) {
      auto [it, inserted] = owner.emplace(f.name, name);
      if (!inserted) {
        ctx.rb->Error("ERR Function " + f.name + " already exists");
        return;
      }
    }
  }
  next->Index();
  reg.current = next;
  ctx.rb->Ok();
}

void Kill(CommandContext& ctx, bool is_eval) {
  std::lock_guard<std::mutex> g(g_runs_mu);
  RunSlot* target = nullptr;
  for (RunSlot* r : g_runs) {
    if (r->client_id != ctx.client->id()) {
      target = r;
      if (r->timed_out) break;
    }
  }
  if (!target) {
    ctx.rb->Error(kNotBusy);
    return;
  }
  if (target->wrote.load()) {
    ctx.rb->Error(kUnkillable);
    return;
  }
  if (is_eval && !target->is_eval) {
    ctx.rb->Error(kBusyFunction);
    return;
  }
  if (!is_eval && target->is_eval) {
    ctx.rb->Error(kBusyEval);
    return;
  }
  target->kill.store(true);
  ctx.rb->Ok();
}

MemoryInfo GetMemoryInfo() {
  MemoryInfo m;
  {
    std::lock_guard<std::mutex> g(g_vm_mu);
    for (const auto& vm : VmMemories()) {
      m.vm_eval += vm->eval.load(std::memory_order_relaxed);
      m.vm_functions += vm->funcs.load(std::memory_order_relaxed);
    }
  }
  {
    // Per script: its body, its SHA1 key and the cache entry around them.
    constexpr uint64_t kEntryOverhead = 40 + sizeof(CachedScript) + 64;
    ScriptCache& c = Cache();
    std::lock_guard<std::mutex> g(c.mu);
    m.cached_scripts = c.scripts.size();
    for (const auto& [sha, script] : c.scripts)
      m.scripts_eval += script->body.size() + kEntryOverhead;
  }
  std::shared_ptr<const Libraries> libs = CurrentLibraries();
  m.library_count = libs->libs.size();
  m.function_count = libs->functions.size();
  m.functions = sizeof(Libraries);
  for (const auto& [name, lib] : libs->libs) {
    m.functions += sizeof(Library) + name.size() + lib->code.size();
    for (const FunctionInfo& f : lib->functions) {
      m.functions += sizeof(FunctionInfo) + f.name.size() + f.description.size();
    }
  }
  return m;
}

bool ServingWhileBusy() { return t_serving_while_busy; }

std::string_view BusyError(uint64_t client_id, uint32_t command_flags) {
  if (g_busy.load(std::memory_order_relaxed) == 0) return {};
  if (command_flags & server::kAllowBusy) return {};
  std::lock_guard<std::mutex> g(g_runs_mu);
  for (RunSlot* r : g_runs) {
    if (r->timed_out && r->client_id != client_id) return r->is_eval ? kBusyEval : kBusyFunction;
  }
  return {};
}

}  // namespace basalt::scripting
