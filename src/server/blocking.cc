#include "server/blocking.h"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <memory>
#include <utility>

#include "common/clock.h"
#include "common/errors.h"
#include "common/strutil.h"
#include "db/keyspace.h"
#include "server/client.h"
#include "server/server.h"

namespace basalt::server {
namespace {

std::atomic<uint64_t> g_block_seq{1};

// One per worker thread: the deadlines of the clients blocked on that worker,
// fired by a timerfd so timeouts are exact rather than cron-grained.
class BlockTimer final : public net::IoHandler {
 public:
  explicit BlockTimer(Worker* w) : worker_(w) {
    fd_ = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd_ >= 0) worker_->loop().Add(fd_, EPOLLIN, this);
  }
  ~BlockTimer() override {
    if (fd_ >= 0) close(fd_);
  }

  void Add(int64_t deadline_ms, uint64_t client_id, uint64_t seq) {
    deadlines_.emplace(deadline_ms, std::make_pair(client_id, seq));
    Arm();
  }

  void OnEvent(uint32_t) override {
    uint64_t ticks;
    [[maybe_unused]] ssize_t n = read(fd_, &ticks, sizeof(ticks));
    int64_t now = SystemClock().NowMs();
    std::vector<std::pair<uint64_t, uint64_t>> due;
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      due.push_back(deadlines_.begin()->second);
      deadlines_.erase(deadlines_.begin());
    }
    Arm();
    for (auto [id, seq] : due) {
      auto it = worker_->clients().find(id);
      if (it == worker_->clients().end()) continue;
      Client* c = it->second;
      if (!c->blocked() || c->block->seq != seq) continue;
      TimeOut(*c);
    }
  }

 private:
  void Arm() {
    if (fd_ < 0) return;
    itimerspec its{};
    if (!deadlines_.empty()) {
      int64_t at = deadlines_.begin()->first;
      its.it_value.tv_sec = at / 1000;
      its.it_value.tv_nsec = (at % 1000) * 1000000;
      if (at <= 0) its.it_value.tv_nsec = 1;  // zero would disarm
    }
    timerfd_settime(fd_, TFD_TIMER_ABSTIME, &its, nullptr);
  }

  void TimeOut(Client& c);

  Worker* worker_;
  int fd_ = -1;
  std::multimap<int64_t, std::pair<uint64_t, uint64_t>> deadlines_;
};

thread_local std::unique_ptr<BlockTimer> t_timer;

BlockTimer& TimerFor(Worker* w) {
  if (!t_timer) t_timer = std::make_unique<BlockTimer>(w);
  return *t_timer;
}

// Leaves every queue of a block that ends without being served (timeout,
// disconnect, error), with the keys' shards locked by the caller. If this
// client had been signaled, the element it would have taken goes to the next
// waiter instead.
void LeaveQueuesLocked(Server* server, BlockedState& st, int64_t now_ms) {
  db::Database& database = server->keyspace().db(st.db_index);
  for (const std::string& k : st.keys) database.RemoveWaiter(k, &st);
  for (const std::string& k : st.keys) database.SignalIfReady(k, now_ms);
  st.done = true;
  server->blocked_clients.fetch_sub(1, std::memory_order_relaxed);
}

void LeaveQueues(Server* server, BlockedState& st) {
  db::LockSet locks(&server->keyspace());
  for (const std::string& k : st.keys) locks.AddKey(st.db_index, k);
  locks.Lock();
  LeaveQueuesLocked(server, st, SystemClock().NowMs());
}

// Ends c's block without serving it: the timeout reply or an error. The
// command counts as one call then, as in Redis's updateStatsOnUnblock.
void EndBlock(Client& c, std::string_view error) {
  BlockedState& st = *c.block;
  LeaveQueues(c.worker()->server(), st);
  if (st.mute) c.MuteReplies();
  protocol::ReplyBuilder& rb = c.rb();
  rb.ResetErrorState();
  if (!error.empty()) {
    rb.Error(error);
  } else if (st.on_timeout == TimeoutReply::kNull) {
    rb.Null();
  } else {
    rb.NullArray();
  }
  if (st.spec) {
    c.worker()->stats().CountCall(st.spec->id, 0,
                                  rb.had_error() ? rb.last_error_code() : std::string_view());
  }
  if (st.mute) c.UnmuteReplies();
  c.block.reset();
  c.ResumeAfterUnblock();
}

void BlockTimer::TimeOut(Client& c) { EndBlock(c, {}); }

// Runs on the blocked client's worker: re-runs its command.
void Wake(Worker* w, uint64_t client_id) {
  auto it = w->clients().find(client_id);
  if (it == w->clients().end()) return;
  Client* c = it->second;
  if (!c->blocked() || c->closed()) return;
  BlockedState* st = c->block.get();
  st->pending.store(false);
  st->stayed = false;
  ArgList argv;
  argv.reserve(st->args.size());
  for (const std::string& a : st->args) argv.emplace_back(a);
  if (st->mute) c->MuteReplies();
  w->server()->Execute(*c, argv);
  if (st->mute) c->UnmuteReplies();
  if (!st->done && !st->stayed) LeaveQueues(w->server(), *st);
  if (!st->done) return;
  c->block.reset();
  c->ResumeAfterUnblock();
}

}  // namespace

void BlockedState::Signal(std::string_view key) {
  if (pending.exchange(true)) return;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) {
      ready_index.store(static_cast<int>(i), std::memory_order_relaxed);
      break;
    }
  }
  Worker* w = worker;
  uint64_t id = client_id;
  w->loop().Post([w, id] { Wake(w, id); });
}

bool ParseBlockTimeout(CommandContext& ctx, std::string_view arg, int64_t* timeout_ms) {
  long double secs;
  if (!ParseLongDouble(arg, &secs)) {
    ctx.rb->Error(errors::kTimeoutNotFloat);
    return false;
  }
  // Redis 7.0 converts ceill(secs * 1000) to long long; values beyond its
  // range (and infinities) come out negative there, so they are "negative".
  long double ms = ceill(secs * 1000.0L);
  if (!(ms < 9223372036854775807.0L) || ms < 0) {
    ctx.rb->Error(errors::kTimeoutNegative);
    return false;
  }
  *timeout_ms = static_cast<int64_t>(ms);
  return true;
}

void PreferReadyKey(const CommandContext& ctx, std::vector<std::string_view>* keys) {
  if (!IsBlockedRerun(ctx)) return;
  int i = ctx.client->block->ready_index.load(std::memory_order_relaxed);
  if (i < 0 || static_cast<size_t>(i) >= ctx.client->block->keys.size()) return;
  std::string_view ready = ctx.client->block->keys[static_cast<size_t>(i)];
  auto it = std::find(keys->begin(), keys->end(), ready);
  if (it != keys->end()) std::rotate(keys->begin(), it, it + 1);
}

bool IsBlockedRerun(const CommandContext& ctx) { return ctx.client && ctx.client->blocked(); }

bool CanBlock(const CommandContext& ctx) {
  return ctx.client != nullptr && !ctx.client->deny_blocking;
}

void BlockClient(CommandContext& ctx, const ArgList& args,
                 const std::vector<std::string_view>& keys, db::ObjType type, int64_t timeout_ms,
                 TimeoutReply on_timeout) {
  Client& c = *ctx.client;
  if (c.blocked()) {
    c.block->stayed = true;
    return;
  }
  auto st = std::make_unique<BlockedState>(type, c.worker(), c.id());
  st->seq = g_block_seq.fetch_add(1, std::memory_order_relaxed);
  st->db_index = ctx.db->index();
  st->args.assign(args.begin(), args.end());
  st->keys.assign(keys.begin(), keys.end());
  st->on_timeout = on_timeout;
  st->spec = ctx.spec;
  st->mute = c.replies_muted();
  if (timeout_ms > 0) {
    st->deadline_ms = timeout_ms > INT64_MAX - ctx.now_ms ? INT64_MAX : ctx.now_ms + timeout_ms;
  }
  for (std::string_view k : keys) ctx.db->AddWaiter(k, st.get());
  ctx.server->blocked_clients.fetch_add(1, std::memory_order_relaxed);
  if (st->deadline_ms) TimerFor(c.worker()).Add(st->deadline_ms, c.id(), st->seq);
  c.block = std::move(st);
}

void UnblockClient(CommandContext& ctx) {
  if (!ctx.client || !ctx.client->blocked()) return;
  Client& c = *ctx.client;
  BlockedState& st = *c.block;
  for (const std::string& k : st.keys) ctx.db->RemoveWaiter(k, &st);
  st.done = true;
  ctx.server->blocked_clients.fetch_sub(1, std::memory_order_relaxed);
}

void SignalKeyIfReady(db::Database& db, std::string_view key, int64_t now_ms) {
  db.SignalIfReady(key, now_ms);
}

void SignalAllReadyKeys(db::Database& db, int64_t now_ms) {
  for (unsigned i = 0; i < db::kShardCount; ++i) {
    db::Shard& sh = db.shard(i);
    std::lock_guard lock(sh.mu);
    if (!sh.waiters || sh.waiters->by_key.empty()) continue;
    std::vector<std::string> keys;
    for (const auto& [k, q] : sh.waiters->by_key) keys.push_back(k);
    for (const std::string& k : keys) db.SignalIfReady(k, now_ms);
  }
}

void DropBlockedClient(Client& c) {
  if (!c.block) return;
  if (!c.block->done) LeaveQueues(c.worker()->server(), *c.block);
  c.block.reset();
}

bool ForceUnblock(Client& c, bool error) {
  if (!c.blocked()) return false;
  EndBlock(c, error ? "UNBLOCKED client unblocked via CLIENT UNBLOCK" : "");
  return true;
}

}  // namespace basalt::server
