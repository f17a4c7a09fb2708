#include "server/server.h"

#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>

#include "common/clock.h"
#include "common/errors.h"
#include "common/logging.h"
#include "common/memory.h"
#include "common/strutil.h"
#include "persist/aof.h"
#include "persist/rdb_save.h"
#include "persist/startup.h"
#include "server/client.h"
#include "server/effects.h"
#include "server/notify.h"
#include "server/transaction.h"

namespace basalt::server {
namespace {

thread_local Worker* t_current_worker = nullptr;

int AvailableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

std::string RandomHex(size_t n) {
  std::random_device rd;
  std::string out;
  static const char* kHex = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) out.push_back(kHex[rd() & 15]);
  return out;
}

// Redis's adjustOpenFilesLimit: room for maxclients connections plus the
// server's own descriptors (listeners, epoll, eventfds, files), or a smaller
// maxclients when the limit can't be raised that far.
void AdjustOpenFilesLimit(Config& cfg, int workers) {
  const rlim_t reserved = 32 + 4 * static_cast<rlim_t>(workers);
  rlim_t want = static_cast<rlim_t>(cfg.maxclients.load()) + reserved;
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == -1) {
    LOG_WARNING(
        "Unable to obtain the current NOFILE limit (%s), assuming 1024 and setting the "
        "max clients configuration accordingly.",
        strerror(errno));
    cfg.maxclients.store(1024 - static_cast<int64_t>(reserved));
    return;
  }
  rlim_t old = limit.rlim_cur;
  if (old >= want) return;
  rlim_t best = want;
  int setrlimit_error = 0;
  while (best > old) {
    limit.rlim_cur = limit.rlim_max = best;
    if (setrlimit(RLIMIT_NOFILE, &limit) != -1) break;
    setrlimit_error = errno;
    best -= best > 16 ? 16 : best;
  }
  if (best >= want) return;
  if (best < old) best = old;
  if (best <= reserved) {
    LOG_WARNING(
        "Your current 'ulimit -n' of %llu is not enough for the server to start. "
        "Please increase your open file limit to at least %llu. Exiting.",
        static_cast<unsigned long long>(old), static_cast<unsigned long long>(want));
    exit(1);
  }
  LOG_WARNING("You requested maxclients of %lld requiring at least %llu max file descriptors.",
              static_cast<long long>(cfg.maxclients.load()), static_cast<unsigned long long>(want));
  LOG_WARNING("Server can't set maximum open files to %llu because of OS error: %s.",
              static_cast<unsigned long long>(want), strerror(setrlimit_error));
  cfg.maxclients.store(static_cast<int64_t>(best - reserved));
  LOG_WARNING(
      "Current maximum open files is %llu. maxclients has been reduced to %lld to "
      "compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
      static_cast<unsigned long long>(best), static_cast<long long>(cfg.maxclients.load()));
}

// Keys that vanish without a command deleting them (expiry, eviction). Called
// with the key's shard locked, inside a command or a cron step.
void OnKeyEvent(db::Database& database, std::string_view key, db::KeyEvent ev, void* arg) {
  auto* server = static_cast<Server*>(arg);
  if (ev == db::KeyEvent::kAdded) {  // every key creation: keep it short
    NotifyKeyspaceEvent(*server, database.index(), kNotifyNew, "new", key);
    return;
  }
  Worker* w = Worker::Current();
  if (w && ev == db::KeyEvent::kExpired) Bump(w->stats().expired_keys);
  if (ev == db::KeyEvent::kExpired || ev == db::KeyEvent::kEvicted) {
    PropagateOutsideCommand(*server, database.index(), {"DEL", key});
    if (AnyWatchedKeys()) TouchWatchedKey(database, key, /*removed=*/true);
  }
  switch (ev) {
    case db::KeyEvent::kExpired:
      NotifyKeyspaceEvent(*server, database.index(), kNotifyExpired, "expired", key);
      break;
    case db::KeyEvent::kEvicted:
      NotifyKeyspaceEvent(*server, database.index(), kNotifyEvicted, "evicted", key);
      break;
    case db::KeyEvent::kAdded:
    case db::KeyEvent::kDeleted:
      break;
  }
}

}  // namespace

// ---------------------------------------------------------------- Worker

Worker::Worker(Server* server, int index) : server_(server), index_(index) {
  size_t n = server->commands().by_id().size();
  stats_.per_command = std::make_unique<CommandStats[]>(n);
}

Worker::~Worker() = default;

Worker* Worker::Current() { return t_current_worker; }

void Worker::ServeWhileBusy(uint64_t running_client_id) {
  // The running command's effects reach the AOF when it ends, whole: a
  // command answered meanwhile must not flush them.
  EffectBatch running_effects;
  std::swap(running_effects, PendingEffects());
  auto serve = [&](net::IoHandler* h) {
    if (auto* c = dynamic_cast<Client*>(h)) return c->id() != running_client_id;
    return dynamic_cast<net::Listener*>(h) != nullptr;
  };
  loop_.PollNested(serve);
  // Requests read in the same pass as the running command wait in their
  // buffers, with no event left to announce them.
  for (auto& [id, c] : clients_) {
    if (id == running_client_id || c->closed() || c->blocked() || c->in().size() == 0) continue;
    c->ServeBufferedInput();
  }
  std::swap(running_effects, PendingEffects());
}

bool Worker::Listen(std::string* error) {
  Config& cfg = server_->config();
  auto on_accept = [this](int fd, bool is_unix) { Accept(fd, is_unix); };
  int port = static_cast<int>(cfg.port.load());
  int backlog = static_cast<int>(cfg.tcp_backlog.load());
  if (port != 0) {
    std::vector<std::string> addrs;
    std::string bind = cfg.bind();
    size_t pos = 0;
    while (pos < bind.size()) {
      size_t sp = bind.find(' ', pos);
      if (sp == std::string::npos) sp = bind.size();
      if (sp > pos) addrs.push_back(bind.substr(pos, sp - pos));
      pos = sp + 1;
    }
    for (const std::string& a : addrs) {
      std::string err;
      net::Listener* l =
          net::Listener::OpenTcp(&loop_, a, port, backlog, index_ == 0, on_accept, &err);
      if (!l) {
        if (err.rfind("optional:", 0) == 0) continue;  // "-addr": skip if unavailable
        *error = err;
        return false;
      }
      listeners_.emplace_back(l);
    }
  }
  std::string unix_path = cfg.unixsocket();
  if (!unix_path.empty() && index_ == 0) {
    net::Listener* l =
        net::Listener::OpenUnix(&loop_, unix_path, static_cast<unsigned>(cfg.unixsocketperm.load()),
                                backlog, on_accept, error);
    if (!l) return false;
    listeners_.emplace_back(l);
  }
  return true;
}

void Worker::Start() {
  thread_ = std::thread([this] {
    t_current_worker = this;
    int hz = static_cast<int>(server_->config().hz.load());
    loop_.Run(1000 / (hz > 0 ? hz : 10), [this] { Cron(); });
    CloseAllClients();
    t_current_worker = nullptr;
  });
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::Accept(int fd, bool is_unix) {
  Config& cfg = server_->config();
  Bump(stats_.connections_received);
  int64_t now = SystemClock().NowMs();
  int64_t count = server_->connected_clients.fetch_add(1) + 1;
  if (count > cfg.maxclients.load()) {
    std::string msg = "-" + std::string(errors::kMaxClients) + "\r\n";
    [[maybe_unused]] ssize_t n = send(fd, msg.data(), msg.size(), MSG_NOSIGNAL);
    close(fd);
    server_->connected_clients.fetch_sub(1);
    Bump(stats_.rejected_connections);
    return;
  }
  auto* c = new Client(this, fd, is_unix, server_->NextClientId(), now);
  bool nopass = cfg.requirepass().empty();
  c->authenticated = nopass;
  if (cfg.protected_mode.load() && nopass && !c->is_loopback()) {
    c->out().append(
        "-DENIED Redis is running in protected mode because protected mode is enabled and no "
        "password is set for the default user. In this mode connections are only accepted from "
        "the loopback interface. If you want to connect from external computers to Redis you "
        "may adopt one of the following solutions: 1) Just disable protected mode sending the "
        "command 'CONFIG SET protected-mode no' from the loopback interface by connecting to "
        "Redis from the same host the server is running, however MAKE SURE Redis is not "
        "publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change "
        "permanent. 2) Alternatively you can just disable the protected mode by editing the "
        "Redis configuration file, and setting the protected mode option to 'no', and then "
        "restarting the server. 3) If you started the server manually just for testing, "
        "restart it with the '--protected-mode no' option. 4) Set up an authentication "
        "password for the default user. NOTE: You only need to do one of the above things in "
        "order for the server to start accepting connections from the outside.\r\n");
    c->CloseAfterReply();
    c->Flush();
  }
  c->SetKeepAlive(static_cast<int>(cfg.tcp_keepalive.load()));
  clients_[c->id()] = c;
}

void Worker::Forget(Client* c) {
  if (clients_.erase(c->id())) server_->connected_clients.fetch_sub(1);
}

void Worker::CloseAllClients() {
  std::vector<Client*> all;
  for (auto& [id, c] : clients_) all.push_back(c);
  for (Client* c : all) {
    c->Flush();
    c->Close();
  }
  // Close() defers teardown to the loop; the loop has stopped, so run it here.
  for (Client* c : all) {
    Forget(c);
    delete c;
  }
  clients_.clear();
  CloseListeners();
}

void Worker::CloseListeners() { listeners_.clear(); }

void Worker::Cron() {
  Config& cfg = server_->config();
  int64_t now = SystemClock().NowMs();
  if (index_ == 0) server_->SampleMetrics(now);
  if (index_ == 0) persist::RdbCron(*server_, now);
  if (index_ == 0) persist::AofCron(*server_);
  // Idle timeout.
  int64_t timeout = cfg.timeout.load();
  if (timeout > 0) {
    std::vector<Client*> idle;
    for (auto& [id, c] : clients_) {
      // As Redis, clients waiting in a blocking command are not idle.
      if (c->blocked()) continue;
      if (now - c->last_interaction_ms > timeout * 1000) idle.push_back(c);
    }
    for (Client* c : idle) {
      LOG_VERBOSE("Closing idle client");
      c->Close();
    }
  }
  // Active expiry: each worker takes a slice of the shards of every database,
  // within a time budget of 25% of a tick.
  db::Keyspace& ks = server_->keyspace();
  int workers = static_cast<int>(server_->workers().size());
  int64_t hz = cfg.hz.load();
  int64_t budget_us = 250000 / (hz > 0 ? hz : 10);
  int64_t start = SystemClock().MonotonicUs();
  int effort = static_cast<int>(cfg.active_expire_effort.load());
  for (unsigned step = 0; step < db::kShardCount; ++step) {
    unsigned shard = expire_shard_;
    expire_shard_ = (expire_shard_ + 1) % db::kShardCount;
    if (static_cast<int>(shard % workers) != index_) continue;
    for (int d = 0; d < ks.size(); ++d) {
      db::Database& database = ks.db(d);
      db::Shard& sh = database.shard(shard);
      // A shard held for long (a busy script) is skipped: the loop must stay
      // free to answer -BUSY and SCRIPT KILL.
      std::unique_lock lock(sh.mu, std::try_to_lock);
      if (!lock.owns_lock()) continue;
      if (sh.expires == 0) {
        sh.table.RehashStep(1);
        continue;
      }
      database.ActiveExpireShard(shard, now, 16 * effort);
      FlushEffects(*server_);  // the DELs reach the AOF before the shard unlocks
    }
    if (SystemClock().MonotonicUs() - start > budget_us) break;
  }
}

// ---------------------------------------------------------------- Server

Server::Server() {
  RegisterAllFamilies(commands_);
  commands_.Finalize();
  ping_spec_ = commands_.Find("ping");
}

Server::~Server() {
  if (shutdown_fd_ >= 0) close(shutdown_fd_);
}

bool Server::Configure(int argc, char** argv, std::string* error) {
  executable_ = argv[0];
  std::vector<std::string> args;
  int i = 1;
  if (argc > 1 && strncmp(argv[1], "--", 2) != 0) {
    if (!config_.LoadFile(argv[1], error)) return false;
    i = 2;
  }
  for (; i < argc; ++i) args.emplace_back(argv[i]);
  if (!config_.LoadEnv(error)) return false;
  if (!config_.LoadArgs(args, error)) return false;
  return true;
}

uint64_t Server::dirty() const {
  uint64_t n = 0;
  for (const auto& w : workers_) n += Read(w->stats().dirty);
  return n;
}

void Server::RunOnAllWorkers(const std::function<void(Worker&)>& fn) {
  // An EXEC has parked every other worker (server/transaction.h): their
  // state is ours to read until it resumes them.
  if (WorldStoppedByCurrentThread()) {
    for (auto& w : workers_) fn(*w);
    return;
  }
  Worker* self = Worker::Current();
  // Shared so the last worker to finish can still touch it after the caller returned.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    size_t pending = 0;
  };
  auto state = std::make_shared<State>();
  const auto* fn_ptr = &fn;  // the caller outlives every task: it waits below
  // Counted before the first Post: a task may finish before the next is posted.
  for (auto& w : workers_) state->pending += w.get() != self;
  for (auto& w : workers_) {
    if (w.get() == self) continue;
    Worker* target = w.get();
    target->loop().Post([state, fn_ptr, target] {
      (*fn_ptr)(*target);
      std::lock_guard lock(state->mu);
      --state->pending;
      state->cv.notify_all();
    });
  }
  if (self) fn(*self);
  std::unique_lock lock(state->mu);
  while (state->pending > 0) {
    // Serve our own inbox while waiting, so two workers waiting on each
    // other both make progress.
    state->cv.wait_for(lock, std::chrono::milliseconds(1));
    if (self && state->pending > 0) {
      lock.unlock();
      self->loop().DrainInbox();
      lock.lock();
    }
  }
}

void Server::RequestShutdown() {
  shutdown_.store(true);
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(shutdown_fd_, &one, sizeof(one));
}

void Server::ResetStats() {
  RunOnAllWorkers([](Worker& w) {
    WorkerStats& s = w.stats();
    for (Counter* c : {&s.commands, &s.connections_received, &s.rejected_connections,
                       &s.net_input_bytes, &s.net_output_bytes, &s.keyspace_hits,
                       &s.keyspace_misses, &s.expired_keys, &s.evicted_keys, &s.total_error_replies,
                       &s.client_qbuf_limit_disconnections, &s.client_obuf_limit_disconnections}) {
      c->store(0, std::memory_order_relaxed);
    }
    size_t n = w.server()->commands().by_id().size();
    for (size_t i = 0; i < n; ++i) {
      CommandStats& cs = s.per_command[i];
      for (Counter* c : {&cs.calls, &cs.usec, &cs.rejected_calls, &cs.failed_calls}) {
        c->store(0, std::memory_order_relaxed);
      }
    }
    std::lock_guard lock(s.errors_mu);
    s.errors.clear();
  });
  ops_sampler.Reset();
  peak_memory.store(0, std::memory_order_relaxed);
}

void Server::SampleMetrics(int64_t now_ms) {
  uint64_t ops = 0;
  for (const auto& w : workers_) ops += Read(w->stats().commands);
  ops_sampler.Sample(now_ms, ops);
  uint64_t used = AllocatedBytes();
  if (used > peak_memory.load(std::memory_order_relaxed)) {
    peak_memory.store(used, std::memory_order_relaxed);
  }
}

int Server::Run() {
  start_time_ms_ = SystemClock().NowMs();
  lastsave_s = start_time_ms_ / 1000;
  run_id_ = RandomHex(40);
  SetLogLevel(GetLogLevel());
  if (!config_.logfile().empty() && !SetLogFile(config_.logfile())) {
    fprintf(stderr, "Can't open the log file: %s\n", strerror(errno));
    return 1;
  }
  if (config_.daemonize.load()) {
    if (daemon(1, 0) != 0) {
      LOG_WARNING("daemonize failed: %s", strerror(errno));
      return 1;
    }
  }
  keyspace_ = std::make_unique<db::Keyspace>(static_cast<int>(config_.databases.load()));
  for (int d = 0; d < keyspace_->size(); ++d) keyspace_->db(d).SetKeyListener(OnKeyEvent, this);

  int n = static_cast<int>(config_.io_threads.load());
  if (n <= 0) n = AvailableCores();
  if (n > 128) n = 128;
  AdjustOpenFilesLimit(config_, n);
  for (int i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(this, i));
  tcp_port_ = static_cast<int>(config_.port.load());

  // Signals are handled by the main thread only.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
  shutdown_fd_ = eventfd(0, EFD_CLOEXEC);

  for (auto& w : workers_) {
    std::string error;
    if (!w->Listen(&error)) {
      LOG_WARNING("%s", error.c_str());
      return 1;
    }
  }
  std::string pidfile = config_.pidfile();
  if (!pidfile.empty()) {
    std::ofstream(pidfile) << getpid() << "\n";
  }
  LOG_NOTICE("Basalt started, pid=%d, port=%d, io-threads=%d", static_cast<int>(getpid()),
             tcp_port_, n);
  {
    std::string error;
    if (!persist::LoadAtStartup(*this, &error)) {
      LOG_WARNING("%s", error.c_str());
      return 1;
    }
  }
  LOG_NOTICE("Ready to accept connections tcp");
  for (auto& w : workers_) w->Start();

  int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = sfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
  ev.data.fd = shutdown_fd_;
  epoll_ctl(ep, EPOLL_CTL_ADD, shutdown_fd_, &ev);
  while (true) {
    epoll_event out;
    int r = epoll_wait(ep, &out, 1, -1);
    if (r <= 0) continue;
    if (out.data.fd == sfd) {
      signalfd_siginfo si;
      [[maybe_unused]] ssize_t rd = read(sfd, &si, sizeof(si));
      LOG_WARNING("Received %s scheduling shutdown...",
                  si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
    }
    break;
  }
  // Signals too: work that waits (DEBUG SLEEP) checks shutting_down().
  shutdown_.store(true);
  close(ep);
  close(sfd);
  LOG_WARNING("User requested shutdown...");
  for (auto& w : workers_) w->loop().Stop();
  for (auto& w : workers_) w->Join();
  persist::OnShutdown(*this);
  if (!pidfile.empty()) unlink(pidfile.c_str());
  if (!config_.unixsocket().empty()) unlink(config_.unixsocket().c_str());
  LOG_WARNING("Basalt is now ready to exit, bye bye...");
  return 0;
}

}  // namespace basalt::server
