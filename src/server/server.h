// The server: configuration, the keyspace, the command table, and N workers,
// each an event loop thread owning its connections.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "db/keyspace.h"
#include "net/event_loop.h"
#include "net/listener.h"
#include "server/command.h"
#include "server/config.h"
#include "server/pubsub.h"
#include "server/stats.h"

namespace basalt::server {

class Client;
class Server;
class EffectSink;

class Worker {
 public:
  Worker(Server* server, int index);
  ~Worker();

  int index() const { return index_; }
  Server* server() const { return server_; }
  net::EventLoop& loop() { return loop_; }
  WorkerStats& stats() { return stats_; }
  const std::unordered_map<uint64_t, Client*>& clients() const { return clients_; }
  Client* FindClient(uint64_t id) const {
    auto it = clients_.find(id);
    return it == clients_.end() ? nullptr : it->second;
  }

  bool Listen(std::string* error);
  void Start();
  void Join();
  // Thread-local: the worker whose thread is running, or nullptr.
  static Worker* Current();

  void Accept(int fd, bool is_unix);
  // Called by a script running past busy-reply-threshold on this worker's
  // thread: answers this worker's other clients (-BUSY, SCRIPT KILL,
  // SHUTDOWN NOSAVE ...) and accepts new ones, as Redis's
  // processEventsWhileBlocked does.
  void ServeWhileBusy(uint64_t running_client_id);
  void Forget(Client* c);  // a closed client leaves the table
  void CloseAllClients();
  void CloseListeners();

 private:
  void Cron();

  Server* server_;
  int index_;
  net::EventLoop loop_;
  std::thread thread_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;
  std::unordered_map<uint64_t, Client*> clients_;
  WorkerStats stats_;
  unsigned expire_shard_ = 0;
};

class Server {
 public:
  Server();
  ~Server();

  // Loads configuration from argv (config file, flags, environment). Returns
  // false with a message to print on failure.
  bool Configure(int argc, char** argv, std::string* error);
  // Opens listeners and starts the workers; blocks until shutdown. Returns the exit code.
  int Run();

  Config& config() { return config_; }
  db::Keyspace& keyspace() { return *keyspace_; }
  PubSub& pubsub() { return pubsub_; }
  const CommandRegistry& commands() const { return commands_; }
  std::vector<std::unique_ptr<Worker>>& workers() { return workers_; }

  // --- the request path ---
  // A request from a client: the generic checks, key locks, then Call.
  void Execute(Client& c, ArgList& args);
  // Runs one command whose checks have passed and whose key shards the caller
  // holds (Execute, EXEC, scripts): the handler, its statistics and its
  // default propagation. `ctx` names the client, reply builder, database,
  // time and spec; the caller flushes effects before unlocking.
  void Call(CommandContext& ctx, const ArgList& args, int64_t start_us = 0);
  // Locks the shards of the command's declared keys (unless it locks what it
  // touches itself), Calls it, and hands its effects to the sink before
  // unlocking: Execute and the AOF loader.
  void CallWithKeyLocks(CommandContext& ctx, const ArgList& args, int64_t start_us);
  // Replays one command read from a file (AOF loading) in database `db`:
  // lookup, arity, key locks and Call with no client. *reply receives the
  // command's reply; false (and the error in *reply) if it could not run.
  bool ExecuteForLoader(int db, const ArgList& args, std::string* reply);
  // Where effective writes go (server/effects.h); nullptr: nowhere.
  EffectSink* effect_sink() const { return effect_sink_.load(std::memory_order_acquire); }
  void SetEffectSink(EffectSink* sink) {
    if (sink) db::ShardMutex::SetUnlockHook(&Server::FlushEffectsBeforeUnlock);
    effect_sink_.store(sink, std::memory_order_release);
  }
  // Runs before a shard lock is released: the calling thread's pending
  // effects, with the running command's default propagation, go to the sink
  // first, so handlers that lock shards themselves (kKeyspaceWide: MOVE,
  // COPY, FLUSHALL, KEYS expiring keys...) keep the file in lock order.
  static void FlushEffectsBeforeUnlock();

  uint64_t NextClientId() { return next_client_id_.fetch_add(1, std::memory_order_relaxed); }
  std::atomic<int64_t> connected_clients{0};
  int64_t start_time_ms() const { return start_time_ms_; }
  uint64_t dirty() const;  // writes since the last save
  std::atomic<int64_t> lastsave_s{0};

  // Runs fn on every worker's thread (the caller's own directly) and waits.
  // Safe to call from a worker: while waiting it serves its own inbox.
  void RunOnAllWorkers(const std::function<void(Worker&)>& fn);

  // SHUTDOWN and signals.
  void RequestShutdown();
  bool shutting_down() const { return shutdown_.load(); }

  // Resets INFO stats (CONFIG RESETSTAT).
  void ResetStats();
  // INFO's sampled metrics, recorded by worker 0's cron every tick:
  // instantaneous_ops_per_sec and used_memory_peak.
  void SampleMetrics(int64_t now_ms);
  MetricSampler ops_sampler;
  std::atomic<uint64_t> peak_memory{0};
  // Clients waiting in a blocking command (INFO blocked_clients); the
  // blocking code increments it when a client blocks and decrements on wake.
  std::atomic<int64_t> blocked_clients{0};
  std::string run_id() const { return run_id_; }
  const std::string& executable() const { return executable_; }
  int tcp_port() const { return tcp_port_; }

 private:
  Config config_;
  std::unique_ptr<db::Keyspace> keyspace_;
  PubSub pubsub_{this};
  CommandRegistry commands_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<uint64_t> next_client_id_{1};
  std::atomic<bool> shutdown_{false};
  int shutdown_fd_ = -1;
  int64_t start_time_ms_ = 0;
  std::string run_id_;
  std::string executable_;
  int tcp_port_ = 0;
  std::atomic<EffectSink*> effect_sink_{nullptr};
  const CommandSpec* ping_spec_ = nullptr;  // PING is refused with writes on disk errors
};

}  // namespace basalt::server
