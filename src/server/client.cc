#include "server/client.h"

#include "common/clock.h"
#include "common/logging.h"
#include "persist/aof.h"
#include "server/blocking.h"
#include "server/pubsub.h"
#include "server/server.h"
#include "server/transaction.h"

namespace basalt::server {

Client::Client(Worker* worker, int fd, bool is_unix, uint64_t id, int64_t now_ms)
    : net::Connection(&worker->loop(), fd, is_unix),
      ctime_ms(now_ms),
      last_interaction_ms(now_ms),
      worker_(worker),
      id_(id),
      rb_(&out()) {}

Client::~Client() {
  DropBlockedClient(*this);
  DiscardTransaction(*this);  // unregisters its watched keys
}

bool Client::blocked() const { return block && !block->done; }

void Client::ResumeAfterUnblock() {
  if (closed()) return;
  // The re-run that served this client may have appended to the AOF.
  if (uint64_t t = persist::TakeAppendTicket()) hold_ticket_ = t;
  ProcessInput();
  ReportTraffic();
  if (!closed() && pending_output() > 0) Flush();
}

void Client::OnReadable() {
  ProcessInput();
  ReportTraffic();
}

void Client::ReportTraffic() {
  WorkerStats& stats = worker_->stats();
  Bump(stats.net_input_bytes, bytes_read() - reported_in_);
  Bump(stats.net_output_bytes, bytes_written() - reported_out_);
  reported_in_ = bytes_read();
  reported_out_ = bytes_written();
}

void Client::ProcessInput() {
  Server* server = worker_->server();
  Config& cfg = server->config();
  int64_t max_bulk = cfg.proto_max_bulk_len.load(std::memory_order_relaxed);
  protocol::ParserLimits authed;
  authed.max_bulk_len = max_bulk;
  const protocol::ParserLimits unauthed = protocol::ParserLimits::Unauthenticated(max_bulk);
  WorkerStats& stats = worker_->stats();

  while (!closed() && !close_after_reply() && in().size() > 0 && !blocked()) {
    // Per request: an AUTH earlier in the same pipeline lifts the limits for what follows.
    const protocol::ParserLimits& limits = authenticated ? authed : unauthed;
    size_t consumed = 0;
    protocol::ParseStatus st = protocol::ParseStatus::kOk;
    if (lookahead_ready_) {
      // Parsed while the previous command ran; its views are still in place.
      std::swap(args_, next_args_);
      consumed = next_consumed_;
      lookahead_ready_ = false;
    } else {
      st = parser_.Parse(in().begin(), in().size(), limits, &args_, &consumed);
    }
    if (st == protocol::ParseStatus::kNeedMore) {
      read_hint_ = parser_.bytes_needed();
      int64_t qlimit = cfg.client_query_buffer_limit.load(std::memory_order_relaxed);
      if (static_cast<int64_t>(in().size()) > qlimit) {
        LOG_WARNING("Closing client that reached max query buffer length: id=%llu addr=%s",
                    static_cast<unsigned long long>(id_), peer().c_str());
        Bump(stats.client_qbuf_limit_disconnections);
        Close();
      }
      break;
    }
    read_hint_ = 0;
    if (st == protocol::ParseStatus::kError) {
      LOG_VERBOSE("Protocol error (%s) from client: id=%llu addr=%s", parser_.error().c_str(),
                  static_cast<unsigned long long>(id_), peer().c_str());
      // Protocol errors are replied even under CLIENT REPLY OFF, as Redis does.
      rb_.set_buffer(&out());
      rb_.Error(parser_.error());
      stats.CountError(rb_.last_error_code());
      CloseAfterReply();
      break;
    }
    // Pipelining: parse the next request now and start loading its key, so
    // the cache miss overlaps this command's work. Multibulk only: inline
    // requests reuse the parser's storage that args_ may point into.
    if (consumed < in().size() && in().begin()[consumed] == '*') {
      protocol::ParseStatus next = parser_.Parse(in().begin() + consumed, in().size() - consumed,
                                                 limits, &next_args_, &next_consumed_);
      lookahead_ready_ = next == protocol::ParseStatus::kOk;
      if (lookahead_ready_ && next_args_.size() >= 2) {
        server->keyspace().db(db_index).Prefetch(next_args_[1]);
      }
    }
    bool was_authenticated = authenticated;
    if (!args_.empty()) {
      bool skip = reply_mode != ReplyMode::kOn || skip_next_reply;
      if (skip) {
        discard_.clear();
        rb_.set_buffer(&discard_);
      }
      bool was_skip_next = skip_next_reply;
      persist::TakeAppendTicket();
      server->Execute(*this, args_);
      if (uint64_t t = persist::TakeAppendTicket()) hold_ticket_ = t;
      if (skip) rb_.set_buffer(&out());
      if (was_skip_next) skip_next_reply = false;
    }
    in().Consume(consumed);
    if (authenticated != was_authenticated) {
      // The next request was parsed under the other limits: parse it again.
      lookahead_ready_ = false;
      parser_.Reset();
    }
    if (!closed() && !CheckOutputLimits(last_interaction_ms)) break;
  }
  // Parsed views must not outlive this pass: the next read may move the buffer.
  lookahead_ready_ = false;
  // Input that arrives while blocked waits unparsed; it is still bounded.
  if (blocked() && static_cast<int64_t>(in().size()) >
                       cfg.client_query_buffer_limit.load(std::memory_order_relaxed)) {
    Bump(stats.client_qbuf_limit_disconnections);
    Close();
    return;
  }
  in().ShrinkIfIdle(64 * 1024);
}

void Client::PushPubSub(std::initializer_list<std::string_view> parts) {
  std::string* saved = rb_.buffer();
  rb_.set_buffer(&out());
  rb_.PushHeader(parts.size());
  for (std::string_view p : parts) rb_.Bulk(p);
  rb_.set_buffer(saved);
  if (!CheckOutputLimits(SystemClock().NowMs())) return;
  // Written once the current batch of events is handled, so a burst of
  // messages goes out in one send.
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    Worker* w = worker_;
    uint64_t id = id_;
    loop()->Defer([w, id] {
      if (Client* c = w->FindClient(id)) {
        c->flush_scheduled_ = false;
        if (!c->closed()) c->Flush();
      }
    });
  }
}

void Client::UnsubscribeAll() {
  PubSub& ps = worker_->server()->pubsub();
  int w = worker_->index();
  for (const std::string& ch : channels.names()) ps.Unsubscribe(ChannelKind::kChannel, ch, w, id_);
  for (const std::string& p : patterns.names()) ps.Unsubscribe(ChannelKind::kPattern, p, w, id_);
  for (const std::string& ch : shard_channels.names()) {
    ps.Unsubscribe(ChannelKind::kShard, ch, w, id_);
  }
  channels.clear();
  patterns.clear();
  shard_channels.clear();
}

bool Client::CheckOutputLimits(int64_t now_ms) {
  // Subscribers are held to the pubsub class, as Redis's getClientType does.
  Config& cfg = worker_->server()->config();
  const OutputBufferLimit& lim = subscriptions() > 0 ? cfg.obuf_pubsub : cfg.obuf_normal;
  int64_t hard = lim.hard.load(std::memory_order_relaxed);
  int64_t soft = lim.soft.load(std::memory_order_relaxed);
  if (hard == 0 && soft == 0) return true;
  int64_t pending = static_cast<int64_t>(pending_output());
  bool over = hard > 0 && pending >= hard;
  if (!over && soft > 0 && pending >= soft) {
    if (obuf_soft_since_ms == 0) {
      obuf_soft_since_ms = now_ms;
    } else if (now_ms - obuf_soft_since_ms >= lim.soft_seconds.load() * 1000) {
      over = true;
    }
  } else if (soft > 0 && pending < soft) {
    obuf_soft_since_ms = 0;
  }
  if (!over) return true;
  LOG_WARNING(
      "Client id=%llu addr=%s scheduled to be closed ASAP for overcoming of output buffer limits.",
      static_cast<unsigned long long>(id_), peer().c_str());
  Bump(worker_->stats().client_obuf_limit_disconnections);
  Close();
  return false;
}

bool Client::HoldOutput() {
  if (hold_ticket_ == 0) return false;
  persist::Aof* aof = persist::FindAof();
  if (!aof || aof->Durable(hold_ticket_)) {
    hold_ticket_ = 0;
    return false;
  }
  if (!hold_registered_) {
    hold_registered_ = true;
    aof->Hold(worker_->index(), id_, hold_ticket_);
  }
  return true;
}

void Client::ReleaseHeldOutput() {
  hold_registered_ = false;
  if (!closed() && pending_output() > 0) Flush();
}

void Client::OnClosed() {
  UnsubscribeAll();
  ReportTraffic();
  worker_->Forget(this);
  delete this;
}

std::string Client::Describe(int64_t now_ms) const {
  // In Redis's order: P (pubsub) x (MULTI) b (blocked) d (watched key touched) c (closing).
  char flags[8];
  char* f = flags;
  if (subscriptions() > 0) *f++ = 'P';
  if (multi) *f++ = 'x';
  if (blocked()) *f++ = 'b';
  if (DirtyCas(*this)) *f++ = 'd';
  if (close_after_reply()) *f++ = 'c';
  if (f == flags) *f++ = 'N';
  *f = '\0';
  const char* cmd = last_cmd ? last_cmd->name.c_str() : "NULL";
  char buf[1024];
  snprintf(buf, sizeof(buf),
           "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d sub=%zu "
           "psub=%zu ssub=%zu multi=%lld qbuf=%zu qbuf-free=%zu argv-mem=0 multi-mem=%zu "
           "rbs=%zu rbp=0 "
           "obl=0 oll=0 omem=%zu tot-mem=%zu events=r cmd=%s user=%s redir=-1 resp=%d",
           static_cast<unsigned long long>(id_), peer().c_str(), local().c_str(), fd(),
           name.c_str(), static_cast<long long>((now_ms - ctime_ms) / 1000),
           static_cast<long long>((now_ms - last_interaction_ms) / 1000), flags, db_index,
           channels.size(), patterns.size(), shard_channels.size(),
           static_cast<long long>(QueuedCount(*this)), const_cast<Client*>(this)->in().size(),
           const_cast<Client*>(this)->in().capacity() - const_cast<Client*>(this)->in().size(),
           MultiMemory(*this), const_cast<Client*>(this)->in().capacity(), pending_output(),
           sizeof(*this) + const_cast<Client*>(this)->in().capacity() + pending_output(), cmd,
           user.c_str(), resp);
  return buf;
}

}  // namespace basalt::server
