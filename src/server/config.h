// Server configuration with Redis's directive names. Sources, in order of
// precedence: `--name value` flags, BASALT_<NAME> environment variables, the
// config file, defaults. CONFIG GET/SET/REWRITE work on the same table.
//
// Thread-safety: numeric values are atomics readable from any worker;
// string values are read through Get*() under the config mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace basalt::server {

struct OutputBufferLimit {
  std::atomic<int64_t> hard{0}, soft{0}, soft_seconds{0};
};

class Config {
 public:
  Config();
  ~Config();  // defined where Option is complete

  // Hot numeric settings, read lock-free on the request path.
  std::atomic<int64_t> port{6379};
  std::atomic<int64_t> tcp_backlog{511};
  std::atomic<int64_t> timeout{0};
  std::atomic<int64_t> tcp_keepalive{300};
  std::atomic<int64_t> maxclients{10000};
  std::atomic<int64_t> databases{16};
  std::atomic<int64_t> io_threads{0};  // 0: one per available core
  std::atomic<int64_t> proto_max_bulk_len{512LL * 1024 * 1024};
  std::atomic<int64_t> client_query_buffer_limit{1024LL * 1024 * 1024};
  std::atomic<int64_t> hz{10};
  std::atomic<int64_t> maxmemory{0};
  std::atomic<int64_t> maxmemory_samples{5};
  std::atomic<int64_t> lfu_log_factor{10};
  std::atomic<int64_t> lfu_decay_time{1};
  std::atomic<int64_t> unixsocketperm{0};
  std::atomic<int64_t> active_expire_effort{1};
  // Compact-encoding thresholds of the aggregate types.
  std::atomic<int64_t> list_max_listpack_size{-2};
  std::atomic<int64_t> list_compress_depth{0};
  std::atomic<int64_t> hash_max_listpack_entries{512};  // compiled-in default (redis.conf sets 128)
  std::atomic<int64_t> hash_max_listpack_value{64};
  std::atomic<int64_t> set_max_intset_entries{512};
  std::atomic<int64_t> zset_max_listpack_entries{128};
  std::atomic<int64_t> zset_max_listpack_value{64};
  std::atomic<int64_t> hll_sparse_max_bytes{3000};
  std::atomic<bool> protected_mode{true};
  std::atomic<bool> daemonize{false};
  // Persistence (Redis's directives and defaults).
  std::atomic<bool> appendonly{false};
  std::atomic<int64_t> appendfsync{1};  // AppendFsync below
  std::atomic<int64_t> auto_aof_rewrite_percentage{100};
  std::atomic<int64_t> auto_aof_rewrite_min_size{64LL * 1024 * 1024};
  std::atomic<bool> aof_use_rdb_preamble{true};
  std::atomic<bool> aof_load_truncated{true};
  std::atomic<bool> aof_timestamp_enabled{false};
  std::atomic<bool> no_appendfsync_on_rewrite{false};
  std::atomic<bool> aof_rewrite_incremental_fsync{true};
  std::atomic<bool> rdbcompression{true};
  std::atomic<bool> rdbchecksum{true};
  std::atomic<bool> stop_writes_on_bgsave_error{true};
  std::atomic<bool> rdb_del_sync_files{false};
  // Keyspace notifications: NotifyFlag bits of notify-keyspace-events.
  std::atomic<int64_t> notify_keyspace_events{0};
  // Scripts: after this many ms a running script makes others get -BUSY (0: never).
  std::atomic<int64_t> busy_reply_threshold{5000};
  OutputBufferLimit obuf_normal, obuf_replica, obuf_pubsub;

  std::string requirepass() const;
  std::string bind() const;  // space-separated
  std::string unixsocket() const;
  std::string logfile() const;
  std::string dir() const;
  std::string pidfile() const;
  std::string maxmemory_policy() const;
  std::string config_file() const;
  std::string dbfilename() const;
  std::string appendfilename() const;
  std::string appenddirname() const;

  // Startup: parses the file text. Returns false with a Redis-style report in *error.
  bool LoadFile(const std::string& path, std::string* error);
  // Startup: "--name value ..." arguments (after an optional config file path).
  bool LoadArgs(const std::vector<std::string>& args, std::string* error);
  // Startup: BASALT_<NAME> environment variables.
  bool LoadEnv(std::string* error);

  // One directive. On failure `error` gets, at startup, the bare reason (Redis
  // wording); at runtime, the whole CONFIG SET error reply ("ERR ...").
  bool Set(std::string_view name, const std::vector<std::string>& values, bool startup,
           std::string* error);
  // CONFIG SET: all-or-nothing over several name/value pairs.
  bool SetMany(const std::vector<std::pair<std::string, std::string>>& pairs, std::string* error);
  // CONFIG GET: every (name, value) whose name or alias matches one of the globs.
  std::vector<std::pair<std::string, std::string>> GetMatching(
      const std::vector<std::string_view>& patterns) const;
  bool Get(std::string_view name, std::string* value) const;
  // CONFIG REWRITE: rewrites the file it was loaded from, keeping comments and
  // unknown lines. False with a reason when there is no file or it can't write.
  bool Rewrite(std::string* error);

  // Called after a runtime change, with the canonical name (logging, listeners...).
  void SetChangeListener(std::function<void(const std::string&)> fn) { on_change_ = std::move(fn); }

 private:
  struct Option;
  Option* FindOption(std::string_view name);
  const Option* FindOption(std::string_view name) const;
  bool Apply(Option& opt, const std::vector<std::string>& values, bool startup, std::string* error);
  // REQUIRES(write_mu_). One file (and its includes); `depth` bounds include nesting.
  bool LoadFileAt(const std::string& path, int depth, std::string* error);
  // CONFIG SET core: (name as the client wrote it, values) pairs, validated then applied.
  bool SetRuntime(const std::vector<std::pair<std::string, std::vector<std::string>>>& items,
                  std::string* error);

  // Serializes writers (Set, SetMany, Load*, Rewrite); always taken before mu_.
  std::mutex write_mu_;
  bool startup_save_seen_ = false;  // GUARDED_BY(write_mu_): later `save` lines append

  mutable std::mutex mu_;
  std::vector<Option> options_;
  std::map<std::string, std::string, std::less<>> strings_;  // string-valued options
  std::string config_file_;
  std::function<void(const std::string&)> on_change_;
};

enum class AppendFsync : int64_t { kNo = 0, kEverySec = 1, kAlways = 2 };

// notify-keyspace-events classes, with the letters Redis uses for them.
enum NotifyFlag : int64_t {
  kNotifyKeyspace = 1 << 0,  // K
  kNotifyKeyevent = 1 << 1,  // E
  kNotifyGeneric = 1 << 2,   // g
  kNotifyString = 1 << 3,    // $
  kNotifyList = 1 << 4,      // l
  kNotifySet = 1 << 5,       // s
  kNotifyHash = 1 << 6,      // h
  kNotifyZSet = 1 << 7,      // z
  kNotifyExpired = 1 << 8,   // x
  kNotifyEvicted = 1 << 9,   // e
  kNotifyStream = 1 << 10,   // t
  kNotifyKeyMiss = 1 << 11,  // m (not part of A)
  kNotifyModule = 1 << 12,   // d
  kNotifyNew = 1 << 13,      // n (not part of A)
  kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
               kNotifyZSet | kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyModule,
};
// "KEA"-style text <-> flags; false on an unknown class character.
bool ParseNotifyFlags(std::string_view text, int64_t* flags);
std::string FormatNotifyFlags(int64_t flags);

// Redis memtoull: "1gb", "10mb", "1k" (1000), "1kb" (1024)... Returns false if malformed.
bool ParseMemory(std::string_view s, int64_t* out);

}  // namespace basalt::server
