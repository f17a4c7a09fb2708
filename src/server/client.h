// A client connection: RESP parsing, per-connection state (selected db,
// protocol version, name, auth), and the hand-off of each request to the
// dispatcher. Owned by one worker; touched only on that worker's thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "net/connection.h"
#include "protocol/reply_builder.h"
#include "protocol/resp_parser.h"
#include "server/command.h"

namespace basalt::server {

class Worker;
struct BlockedState;
struct TxnState;

enum class ReplyMode { kOn, kOff, kSkip };

// A client's subscriptions of one kind, in subscription order: a bare
// PUNSUBSCRIBE answers in that order, as Redis's pattern list does.
class Subscriptions {
 public:
  bool Add(std::string_view name) {
    if (!index_.insert(std::string(name)).second) return false;
    order_.emplace_back(name);
    return true;
  }
  bool Remove(std::string_view name) {
    if (!index_.erase(std::string(name))) return false;
    order_.erase(std::find(order_.begin(), order_.end(), name));
    return true;
  }
  size_t size() const { return order_.size(); }
  bool empty() const { return order_.empty(); }
  const std::vector<std::string>& names() const { return order_; }
  void clear() {
    order_.clear();
    index_.clear();
  }

 private:
  std::vector<std::string> order_;
  std::unordered_set<std::string> index_;
};

class Client : public net::Connection {
 public:
  Client(Worker* worker, int fd, bool is_unix, uint64_t id, int64_t now_ms);
  ~Client() override;

  uint64_t id() const { return id_; }
  Worker* worker() const { return worker_; }
  protocol::ReplyBuilder& rb() { return rb_; }

  int db_index = 0;
  int resp = 2;
  bool authenticated = false;
  std::string name;
  std::string user = "default";
  int64_t ctime_ms;
  int64_t last_interaction_ms;
  const CommandSpec* last_cmd = nullptr;
  ReplyMode reply_mode = ReplyMode::kOn;
  bool skip_next_reply = false;  // CLIENT REPLY SKIP applies to the next command
  // Soft output-limit tracking: when the soft limit was first exceeded (0: not now).
  int64_t obuf_soft_since_ms = 0;

  void SetResp(int version) {
    resp = version;
    rb_.set_resp3(version == 3);
  }
  // Pub/Sub subscriptions (names), kept here so CLIENT LIST, RESP2's
  // subscribed mode and cleanup at close need no registry lookups.
  Subscriptions channels, patterns, shard_channels;
  size_t subscriptions() const { return channels.size() + patterns.size() + shard_channels.size(); }
  // Appends a Pub/Sub message (a push in RESP3, an array in RESP2) and
  // schedules the write; enforces the pubsub output-buffer limit.
  void PushPubSub(std::initializer_list<std::string_view> parts);
  // Drops every subscription (close, RESET).
  void UnsubscribeAll();

  // CLIENT LIST / CLIENT INFO line (no trailing newline).
  std::string Describe(int64_t now_ms) const;
  // Asks the client to close once what it was sent is written (CLIENT KILL, QUIT).
  void Kill() { Close(); }

  // Set while the client waits in a blocking command (server/blocking.h);
  // input is not processed meanwhile.
  std::unique_ptr<BlockedState> block;

  // MULTI/EXEC and WATCH (server/transaction.h). `multi`: between MULTI and
  // EXEC/DISCARD. `deny_blocking`: inside EXEC, blocking commands reply
  // their timeout reply at once (Redis's CLIENT_DENY_BLOCKING).
  bool multi = false;
  bool deny_blocking = false;
  std::unique_ptr<TxnState> txn;  // created on first MULTI/WATCH
  bool blocked() const;
  // After a blocked command replied: runs the buffered input and flushes.
  void ResumeAfterUnblock();
  // Whether the command being run has its replies dropped (CLIENT REPLY
  // OFF/SKIP). A blocked command keeps the setting it was sent under.
  bool replies_muted() const { return reply_mode != ReplyMode::kOn || skip_next_reply; }
  // rb() writes nowhere until UnmuteReplies.
  void MuteReplies() {
    discard_.clear();
    rb_.set_buffer(&discard_);
  }
  void UnmuteReplies() { rb_.set_buffer(&out()); }
  // Runs the complete requests waiting in the input buffer and writes the
  // replies (Worker::ServeWhileBusy).
  void ServeBufferedInput() {
    OnReadable();
    if (!closed() && pending_output() > 0) Flush();
  }
  // The AOF fsync the held output waited for completed (appendfsync always).
  void ReleaseHeldOutput();

 protected:
  void OnReadable() override;
  void OnClosed() override;
  bool HoldOutput() override;

 private:
  void ProcessInput();
  bool CheckOutputLimits(int64_t now_ms);
  void ReportTraffic();

  Worker* worker_;
  uint64_t id_;
  protocol::ReplyBuilder rb_;
  protocol::RespParser parser_;
  ArgList args_;
  ArgList next_args_;  // the request after args_, parsed ahead (see ProcessInput)
  size_t next_consumed_ = 0;
  bool lookahead_ready_ = false;
  std::string discard_;  // replies of CLIENT REPLY OFF/SKIP go here
  uint64_t reported_in_ = 0, reported_out_ = 0;
  bool flush_scheduled_ = false;
  // appendfsync always: the AOF ticket of the newest reply in the output
  // (0: none waits), and whether the AOF will call ReleaseHeldOutput.
  uint64_t hold_ticket_ = 0;
  bool hold_registered_ = false;
};

}  // namespace basalt::server
