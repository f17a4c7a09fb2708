// Pub/Sub across workers. The registry maps channels (and patterns, and
// shard channels) to subscribers named by (worker, client id), never by
// pointer: a client lives and dies on its own worker, so deliveries to it
// are made on that worker's thread, directly when the publisher runs there,
// through the worker's inbox otherwise. One publisher's messages reach every
// subscriber in publication order, because each hop (direct append, or one
// FIFO inbox per worker) preserves it.
//
// Thread-safety: all methods may be called from any worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace basalt::server {

class Server;

enum class ChannelKind { kChannel, kPattern, kShard };

class PubSub {
 public:
  explicit PubSub(Server* server) : server_(server) {}

  // Returns false if the client was already subscribed there.
  bool Subscribe(ChannelKind kind, std::string_view name, int worker, uint64_t client);
  bool Unsubscribe(ChannelKind kind, std::string_view name, int worker, uint64_t client);

  // Delivers to channel subscribers and matching patterns (or, for kShard,
  // shard-channel subscribers); returns how many clients it reached.
  int64_t Publish(ChannelKind kind, std::string_view channel, std::string_view message);

  // PUBSUB introspection.
  std::vector<std::string> Channels(ChannelKind kind, std::string_view pattern, bool all);
  int64_t NumSubscribers(ChannelKind kind, std::string_view channel);
  int64_t NumPatterns();
  int64_t NumChannels(ChannelKind kind);

 private:
  using Subscriber = std::pair<int, uint64_t>;  // (worker index, client id)
  using Table = std::unordered_map<std::string, std::vector<Subscriber>>;
  Table& TableOf(ChannelKind kind);

  Server* server_;
  // Deliveries posted to each worker's inbox and not yet run there. While a
  // worker has some, its own publications queue behind them instead of being
  // delivered at once, so events keep their causal order (a write's events,
  // then those of the blocked client it woke on the subscriber's worker).
  static constexpr size_t kMaxWorkers = 128;
  std::atomic<int64_t> posted_[kMaxWorkers] = {};
  std::mutex mu_;  // guards the three tables
  Table channels_, patterns_, shard_channels_;
};

}  // namespace basalt::server
