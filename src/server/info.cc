#include "server/info.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>

#include "common/clock.h"
#include "common/memory.h"
#include "common/strutil.h"
#include "db/access_clock.h"
#include "db/keyspace.h"
#include "persist/aof.h"
#include "persist/status.h"
#include "scripting/engine.h"
#include "server/client.h"
#include "server/db_access.h"
#include "server/server.h"

namespace basalt::server {
namespace {

void AppendF(std::string* out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void AppendF(std::string* out, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof(buf)) {
    out->append(buf, static_cast<size_t>(n));
    return;
  }
  // Only paths (executable, config_file) can be this long.
  std::string big(static_cast<size_t>(n) + 1, '\0');
  va_start(ap, fmt);
  vsnprintf(big.data(), big.size(), fmt, ap);
  va_end(ap);
  big.pop_back();
  out->append(big);
}

void Field(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->push_back(':');
  out->append(value);
  out->append("\r\n");
}

void Field(std::string* out, std::string_view name, uint64_t value) {
  AppendF(out, "%.*s:%llu\r\n", static_cast<int>(name.size()), name.data(),
          static_cast<unsigned long long>(value));
}

void SignedField(std::string* out, std::string_view name, int64_t value) {
  AppendF(out, "%.*s:%lld\r\n", static_cast<int>(name.size()), name.data(),
          static_cast<long long>(value));
}

// Redis prints ratios as "%.2f" of a float division; a zero denominator
// (possible only before the allocator has stats) reads as 0 rather than inf.
void RatioField(std::string* out, std::string_view name, uint64_t num, uint64_t den) {
  double r = den ? static_cast<double>(num) / static_cast<double>(den) : 0.0;
  AppendF(out, "%.*s:%.2f\r\n", static_cast<int>(name.size()), name.data(), r);
}

// What only each worker's own thread may read: its open connections.
struct LiveClients {
  uint64_t net_input = 0;   // bytes read by connections still open
  uint64_t net_output = 0;  // (closed ones are already in WorkerStats)
  size_t max_query_buffer = 0;
  size_t max_output_buffer = 0;
  size_t memory = 0;  // mem_clients_normal, counted as CLIENT LIST's tot-mem
};

LiveClients GatherLiveClients(Server& server) {
  std::mutex mu;
  LiveClients total;
  server.RunOnAllWorkers([&](Worker& w) {
    LiveClients local;
    for (const auto& [id, c] : w.clients()) {
      local.net_input += c->bytes_read();
      local.net_output += c->bytes_written();
      size_t qbuf = c->in().size();
      size_t obuf = c->pending_output();
      local.max_query_buffer = std::max(local.max_query_buffer, qbuf);
      local.max_output_buffer = std::max(local.max_output_buffer, obuf);
      local.memory += sizeof(Client) + c->in().capacity() + obuf;
    }
    std::lock_guard lock(mu);
    total.net_input += local.net_input;
    total.net_output += local.net_output;
    total.max_query_buffer = std::max(total.max_query_buffer, local.max_query_buffer);
    total.max_output_buffer = std::max(total.max_output_buffer, local.max_output_buffer);
    total.memory += local.memory;
  });
  return total;
}

// Sum of one WorkerStats counter over every worker.
uint64_t SumStat(Server& server, Counter WorkerStats::*field) {
  uint64_t n = 0;
  for (const auto& w : server.workers()) n += Read(w->stats().*field);
  return n;
}

struct InfoContext {
  Server& server;
  int64_t now_us;
  const LiveClients* live;  // set when a section that needs it was requested
};

// Replication ids exist for the tools that read them; Basalt has no
// replication, so one random id per process is all there is to report.
const std::string& ReplicationId() {
  static const std::string id = [] {
    std::random_device rd;
    std::string s;
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 40; ++i) s.push_back(kHex[rd() & 15]);
    return s;
  }();
  return id;
}

std::string ExecutablePath(const Server& server) {
  const std::string& exe = server.executable();
  if (!exe.empty() && exe[0] == '/') return exe;
  // Redis prints the absolute path; a relative argv[0] may no longer resolve
  // from the current directory (`dir` changes it), the kernel's link does.
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n > 0) return std::string(buf, static_cast<size_t>(n));
  return exe;
}

void AppendServer(InfoContext& x, std::string* out) {
  Server& s = x.server;
  utsname name{};
  uname(&name);
  int64_t uptime = (x.now_us / 1000 - s.start_time_ms()) / 1000;
  Field(out, "redis_version", "7.0.15");
  Field(out, "basalt_version", kBasaltVersion);
  Field(out, "redis_git_sha1", "00000000");
  Field(out, "redis_git_dirty", uint64_t{0});
  Field(out, "redis_mode", "standalone");
  AppendF(out, "os:%s %s %s\r\n", name.sysname, name.release, name.machine);
  AppendF(out, "arch_bits:%d\r\n", static_cast<int>(sizeof(void*) * 8));
  Field(out, "monotonic_clock", "POSIX clock_gettime");
  Field(out, "multiplexing_api", "epoll");
#ifdef __GNUC__
  AppendF(out, "gcc_version:%d.%d.%d\r\n", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  Field(out, "gcc_version", "0.0.0");
#endif
  SignedField(out, "process_id", getpid());
  Field(out, "process_supervised", "no");
  Field(out, "run_id", s.run_id());
  SignedField(out, "tcp_port", s.tcp_port());
  SignedField(out, "server_time_usec", x.now_us);
  SignedField(out, "uptime_in_seconds", uptime);
  SignedField(out, "uptime_in_days", uptime / 86400);
  int64_t hz = s.config().hz.load(std::memory_order_relaxed);
  SignedField(out, "hz", hz);
  SignedField(out, "configured_hz", hz);
  Field(out, "lru_clock", uint64_t{db::AccessClock::LruClock(x.now_us / 1000)});
  Field(out, "executable", ExecutablePath(s));
  Field(out, "config_file", s.config().config_file());
  // Every worker does its own socket I/O; with more than one, I/O is threaded.
  Field(out, "io_threads_active", uint64_t{s.workers().size() > 1 ? 1u : 0u});
}

void AppendClients(InfoContext& x, std::string* out) {
  Server& s = x.server;
  SignedField(out, "connected_clients", s.connected_clients.load());
  Field(out, "cluster_connections", uint64_t{0});
  SignedField(out, "maxclients", s.config().maxclients.load(std::memory_order_relaxed));
  Field(out, "client_recent_max_input_buffer", x.live->max_query_buffer);
  Field(out, "client_recent_max_output_buffer", x.live->max_output_buffer);
  SignedField(out, "blocked_clients", s.blocked_clients.load(std::memory_order_relaxed));
}

// used_memory_peak, raised to the current value as Redis does when INFO runs.
uint64_t UpdatePeak(Server& s, uint64_t used) {
  uint64_t peak = s.peak_memory.load(std::memory_order_relaxed);
  while (used > peak &&
         !s.peak_memory.compare_exchange_weak(peak, used, std::memory_order_relaxed)) {
  }
  return std::max(peak, used);
}

void AppendMemory(InfoContext& x, std::string* out) {
  Server& s = x.server;
  MemoryStats m = ReadMemoryStats();
  uint64_t used = m.allocated;
  uint64_t peak = UpdatePeak(s, used);
  uint64_t system =
      static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  int64_t maxmemory = s.config().maxmemory.load(std::memory_order_relaxed);
  auto diff = [](uint64_t a, uint64_t b) {
    return static_cast<int64_t>(a) - static_cast<int64_t>(b);
  };

  Field(out, "used_memory", used);
  Field(out, "used_memory_human", BytesToHuman(used));
  Field(out, "used_memory_rss", m.rss);
  Field(out, "used_memory_rss_human", BytesToHuman(m.rss));
  Field(out, "used_memory_peak", peak);
  Field(out, "used_memory_peak_human", BytesToHuman(peak));
  AppendF(out, "used_memory_peak_perc:%.2f%%\r\n",
          peak ? static_cast<double>(used) * 100 / static_cast<double>(peak) : 0.0);
  Field(out, "allocator_allocated", m.allocated);
  Field(out, "allocator_active", m.active);
  Field(out, "allocator_resident", m.resident);
  Field(out, "total_system_memory", system);
  Field(out, "total_system_memory_human", BytesToHuman(system));
  scripting::MemoryInfo lua = scripting::GetMemoryInfo();
  Field(out, "used_memory_lua", lua.vm_eval);
  Field(out, "used_memory_vm_eval", lua.vm_eval);
  Field(out, "used_memory_lua_human", BytesToHuman(lua.vm_eval));
  Field(out, "used_memory_scripts_eval", lua.scripts_eval);
  Field(out, "number_of_cached_scripts", lua.cached_scripts);
  Field(out, "number_of_functions", lua.function_count);
  Field(out, "number_of_libraries", lua.library_count);
  Field(out, "used_memory_vm_functions", lua.vm_functions);
  Field(out, "used_memory_vm_total", lua.vm_eval + lua.vm_functions);
  Field(out, "used_memory_vm_total_human", BytesToHuman(lua.vm_eval + lua.vm_functions));
  Field(out, "used_memory_functions", lua.functions);
  Field(out, "used_memory_scripts", lua.scripts_eval + lua.functions);
  Field(out, "used_memory_scripts_human", BytesToHuman(lua.scripts_eval + lua.functions));
  SignedField(out, "maxmemory", maxmemory);
  Field(out, "maxmemory_human", BytesToHuman(static_cast<size_t>(std::max<int64_t>(maxmemory, 0))));
  Field(out, "maxmemory_policy", s.config().maxmemory_policy());
  RatioField(out, "allocator_frag_ratio", m.active, m.allocated);
  SignedField(out, "allocator_frag_bytes", diff(m.active, m.allocated));
  RatioField(out, "allocator_rss_ratio", m.resident, m.active);
  SignedField(out, "allocator_rss_bytes", diff(m.resident, m.active));
  RatioField(out, "rss_overhead_ratio", m.rss, m.resident);
  SignedField(out, "rss_overhead_bytes", diff(m.rss, m.resident));
  RatioField(out, "mem_fragmentation_ratio", m.rss, used);
  SignedField(out, "mem_fragmentation_bytes", diff(m.rss, used));
  Field(out, "mem_not_counted_for_evict", uint64_t{0});
  Field(out, "mem_replication_backlog", uint64_t{0});
  Field(out, "mem_total_replication_buffers", uint64_t{0});
  Field(out, "mem_clients_slaves", uint64_t{0});
  Field(out, "mem_clients_normal", x.live->memory);
  Field(out, "mem_cluster_links", uint64_t{0});
  Field(out, "mem_aof_buffer", uint64_t{0});
  Field(out, "mem_allocator", AllocatorName());
  Field(out, "active_defrag_running", uint64_t{0});
}

// Redis 7.0's field order. Snapshots don't fork, so the copy-on-write
// figures are zero.
void AppendPersistence(InfoContext& x, std::string* out) {
  Server& s = x.server;
  persist::PersistStatus& ps = persist::Status(s);
  Field(out, "loading", uint64_t{ps.loading.load() ? 1u : 0u});
  Field(out, "async_loading", uint64_t{0});
  Field(out, "current_cow_peak", uint64_t{0});
  Field(out, "current_cow_size", uint64_t{0});
  Field(out, "current_cow_size_age", uint64_t{0});
  Field(out, "current_fork_perc", "0.00");
  Field(out, "current_save_keys_processed", uint64_t{0});
  Field(out, "current_save_keys_total", uint64_t{0});
  Field(out, "rdb_changes_since_last_save", persist::ChangesSinceLastSave(s));
  const bool bgsave = ps.bgsave_in_progress.load();
  Field(out, "rdb_bgsave_in_progress", uint64_t{bgsave ? 1u : 0u});
  SignedField(out, "rdb_last_save_time", s.lastsave_s.load());
  Field(out, "rdb_last_bgsave_status", ps.last_bgsave_ok.load() ? "ok" : "err");
  SignedField(out, "rdb_last_bgsave_time_sec", ps.last_bgsave_time_sec.load());
  SignedField(out, "rdb_current_bgsave_time_sec",
              bgsave ? (SystemClock().NowMs() - ps.bgsave_start_ms.load()) / 1000 : -1);
  Field(out, "rdb_saves", ps.rdb_saves.load());
  Field(out, "rdb_last_cow_size", uint64_t{0});
  Field(out, "rdb_last_load_keys_expired", ps.last_load_keys_expired.load());
  Field(out, "rdb_last_load_keys_loaded", ps.last_load_keys_loaded.load());
  persist::GetAof(s).AppendInfoFields(out);  // aof_enabled ... aof_delayed_fsync
}

void AppendStats(InfoContext& x, std::string* out) {
  Server& s = x.server;
  Field(out, "total_connections_received", SumStat(s, &WorkerStats::connections_received));
  Field(out, "total_commands_processed", SumStat(s, &WorkerStats::commands));
  Field(out, "instantaneous_ops_per_sec", s.ops_sampler.PerSecond());
  Field(out, "total_net_input_bytes",
        SumStat(s, &WorkerStats::net_input_bytes) + x.live->net_input);
  Field(out, "total_net_output_bytes",
        SumStat(s, &WorkerStats::net_output_bytes) + x.live->net_output);
  Field(out, "total_net_repl_input_bytes", uint64_t{0});
  Field(out, "total_net_repl_output_bytes", uint64_t{0});
  Field(out, "rejected_connections", SumStat(s, &WorkerStats::rejected_connections));
  Field(out, "sync_full", uint64_t{0});
  Field(out, "sync_partial_ok", uint64_t{0});
  Field(out, "sync_partial_err", uint64_t{0});
  Field(out, "expired_keys", SumStat(s, &WorkerStats::expired_keys));
  Field(out, "evicted_keys", SumStat(s, &WorkerStats::evicted_keys));
  Field(out, "evicted_clients", uint64_t{0});
  Field(out, "keyspace_hits", SumStat(s, &WorkerStats::keyspace_hits));
  Field(out, "keyspace_misses", SumStat(s, &WorkerStats::keyspace_misses));
  Field(out, "pubsub_channels", s.pubsub().NumChannels(ChannelKind::kChannel));
  Field(out, "pubsub_patterns", s.pubsub().NumPatterns());
  Field(out, "pubsubshard_channels", s.pubsub().NumChannels(ChannelKind::kShard));
  // Snapshots don't fork (docs: DESIGN.md, Persistence).
  Field(out, "latest_fork_usec", uint64_t{0});
  Field(out, "total_forks", uint64_t{0});
  Field(out, "total_error_replies", SumStat(s, &WorkerStats::total_error_replies));
  // Not in Redis 7.0; named as later Redis versions report them.
  Field(out, "client_query_buffer_limit_disconnections",
        SumStat(s, &WorkerStats::client_qbuf_limit_disconnections));
  Field(out, "client_output_buffer_limit_disconnections",
        SumStat(s, &WorkerStats::client_obuf_limit_disconnections));
}

void AppendReplication(InfoContext&, std::string* out) {
  Field(out, "role", "master");
  Field(out, "connected_slaves", uint64_t{0});
  Field(out, "master_failover_state", "no-failover");
  Field(out, "master_replid", ReplicationId());
  Field(out, "master_replid2", "0000000000000000000000000000000000000000");
  Field(out, "master_repl_offset", uint64_t{0});
  SignedField(out, "second_repl_offset", -1);
  Field(out, "repl_backlog_active", uint64_t{0});
  Field(out, "repl_backlog_first_byte_offset", uint64_t{0});
  Field(out, "repl_backlog_histlen", uint64_t{0});
}

void AppendCpu(InfoContext&, std::string* out) {
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  auto tv = [out](const char* name, const timeval& t) {
    AppendF(out, "%s:%ld.%06ld\r\n", name, static_cast<long>(t.tv_sec),
            static_cast<long>(t.tv_usec));
  };
  tv("used_cpu_sys", self.ru_stime);
  tv("used_cpu_user", self.ru_utime);
  tv("used_cpu_sys_children", children.ru_stime);
  tv("used_cpu_user_children", children.ru_utime);
}

// Basalt loads no modules: the section is its header alone, as in Redis
// without modules.
void AppendModules(InfoContext&, std::string*) {}

// Parent commands come before their subcommands ("cmdstat_config|get"), the
// order of CommandRegistry::by_id(); unused commands are left out.
void AppendCommandStats(InfoContext& x, std::string* out) {
  Server& s = x.server;
  const auto& specs = s.commands().by_id();
  for (size_t id = 0; id < specs.size(); ++id) {
    uint64_t calls = 0, usec = 0, rejected = 0, failed = 0;
    for (const auto& w : s.workers()) {
      const CommandStats& cs = w->stats().per_command[id];
      calls += Read(cs.calls);
      usec += Read(cs.usec);
      rejected += Read(cs.rejected_calls);
      failed += Read(cs.failed_calls);
    }
    if (!calls && !rejected && !failed) continue;
    float per_call = calls ? static_cast<float>(usec) / static_cast<float>(calls) : 0.0f;
    AppendF(out,
            "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,"
            "failed_calls=%llu\r\n",
            specs[id]->name.c_str(), static_cast<unsigned long long>(calls),
            static_cast<unsigned long long>(usec), static_cast<double>(per_call),
            static_cast<unsigned long long>(rejected), static_cast<unsigned long long>(failed));
  }
}

// Error codes in byte order, as Redis's radix tree lists them.
void AppendErrorStats(InfoContext& x, std::string* out) {
  std::map<std::string, uint64_t> merged;
  for (const auto& w : x.server.workers()) {
    WorkerStats& st = w->stats();
    std::lock_guard lock(st.errors_mu);
    for (const auto& [code, n] : st.errors) merged[code] += n;
  }
  for (const auto& [code, n] : merged) {
    // A code is the first word of an error reply, which a few errors build
    // from client input: keep the line parseable, as getSafeInfoString does.
    std::string safe = code;
    for (char& ch : safe) {
      if (ch == ':' || ch == ',' || ch == '\r' || ch == '\n') ch = '_';
    }
    out->append("errorstat_");
    out->append(safe);
    AppendF(out, ":count=%llu\r\n", static_cast<unsigned long long>(n));
  }
}

void AppendCluster(InfoContext&, std::string* out) { Field(out, "cluster_enabled", uint64_t{0}); }

// avg_ttl is an estimate, as in Redis (which averages what its active expire
// cycle happens to sample): the first buckets of each shard that has keys
// with a TTL, a bounded amount of work whatever the database size.
void AppendKeyspace(InfoContext& x, std::string* out) {
  constexpr int kTtlSamplesPerShard = 16;
  constexpr int kBucketsPerShard = 16;
  db::Keyspace& ks = x.server.keyspace();
  int64_t now_ms = x.now_us / 1000;
  for (int d = 0; d < ks.size(); ++d) {
    db::Database& database = ks.db(d);
    uint64_t keys = 0, expires = 0;
    long double ttl_sum = 0;
    uint64_t ttl_count = 0;
    for (unsigned i = 0; i < db::kShardCount; ++i) {
      db::Shard& sh = database.shard(i);
      std::lock_guard lock(sh.mu);
      keys += sh.table.size();
      expires += sh.expires;
      if (sh.expires == 0) continue;
      int sampled = 0;
      uint64_t cursor = 0;
      for (int b = 0; b < kBucketsPerShard && sampled < kTtlSamplesPerShard; ++b) {
        cursor = sh.table.Scan(cursor, [&](db::Entry* e) {
          if (e->expire_ms > now_ms) {
            ttl_sum += static_cast<long double>(e->expire_ms - now_ms);
            ++ttl_count;
            ++sampled;
          }
        });
        if (cursor == 0) break;
      }
    }
    if (keys == 0) continue;
    long long avg_ttl = ttl_count ? static_cast<long long>(ttl_sum / ttl_count) : 0;
    AppendF(out, "db%d:keys=%llu,expires=%llu,avg_ttl=%lld\r\n", d,
            static_cast<unsigned long long>(keys), static_cast<unsigned long long>(expires),
            avg_ttl);
  }
}

struct Section {
  std::string_view name;
  std::string_view title;
  bool in_default;
  bool needs_live_clients;
  void (*append)(InfoContext&, std::string*);
};

// Redis 7.0's genRedisInfoString order. Not generated: latencystats (no
// latency histograms are kept).
constexpr Section kSections[] = {
    {"server", "Server", true, false, AppendServer},
    {"clients", "Clients", true, true, AppendClients},
    {"memory", "Memory", true, true, AppendMemory},
    {"persistence", "Persistence", true, false, AppendPersistence},
    {"stats", "Stats", true, true, AppendStats},
    {"replication", "Replication", true, false, AppendReplication},
    {"cpu", "CPU", true, false, AppendCpu},
    {"modules", "Modules", true, false, AppendModules},
    {"commandstats", "Commandstats", false, false, AppendCommandStats},
    {"errorstats", "Errorstats", true, false, AppendErrorStats},
    {"cluster", "Cluster", true, false, AppendCluster},
    {"keyspace", "Keyspace", true, false, AppendKeyspace},
};

}  // namespace

InfoRequest InfoRequest::Parse(const std::vector<std::string_view>& args) {
  InfoRequest req;
  auto add_defaults = [&req] {
    for (const Section& s : kSections) {
      if (s.in_default) req.names.emplace_back(s.name);
    }
  };
  if (args.empty()) add_defaults();
  for (std::string_view a : args) {
    if (EqualsIgnoreCase(a, "all")) {
      req.all = true;
    } else if (EqualsIgnoreCase(a, "everything")) {
      req.everything = true;
    } else if (EqualsIgnoreCase(a, "default")) {
      add_defaults();
    } else {
      req.names.push_back(ToLower(a));
    }
  }
  return req;
}

bool InfoRequest::Wants(std::string_view section) const {
  if (all || everything) return true;
  for (const std::string& n : names) {
    if (n == section) return true;
    // Redis 7.0 names the module list section "module_list" in its defaults
    // and also accepts "modules".
    if (section == "modules" && n == "module_list") return true;
  }
  return false;
}

std::string GenerateInfo(Server& server, const InfoRequest& request) {
  bool need_live = false;
  for (const Section& s : kSections) {
    if (s.needs_live_clients && request.Wants(s.name)) need_live = true;
  }
  LiveClients live;
  if (need_live) live = GatherLiveClients(server);
  InfoContext ctx{server, SystemClock().NowUs(), &live};
  std::string out;
  bool first = true;
  for (const Section& s : kSections) {
    if (!request.Wants(s.name)) continue;
    if (!first) out.append("\r\n");
    first = false;
    out.append("# ");
    out.append(s.title);
    out.append("\r\n");
    s.append(ctx, &out);
  }
  return out;
}

}  // namespace basalt::server
