#include "server/pubsub.h"

#include <algorithm>
#include <memory>

#include "common/strutil.h"
#include "server/client.h"
#include "server/server.h"

namespace basalt::server {
namespace {

struct Delivery {
  uint64_t client;
  const std::string* pattern;  // null: a direct channel subscription
};

// Runs on the subscribers' worker.
void DeliverOnWorker(Worker& w, ChannelKind kind, const std::vector<Delivery>& to,
                     const std::string& channel, const std::string& message) {
  for (const Delivery& d : to) {
    Client* c = w.FindClient(d.client);
    if (!c || c->closed()) continue;
    if (d.pattern) {
      c->PushPubSub({"pmessage", *d.pattern, channel, message});
    } else {
      c->PushPubSub({kind == ChannelKind::kShard ? "smessage" : "message", channel, message});
    }
  }
}

}  // namespace

PubSub::Table& PubSub::TableOf(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kChannel:
      return channels_;
    case ChannelKind::kPattern:
      return patterns_;
    case ChannelKind::kShard:
      return shard_channels_;
  }
  return channels_;
}

bool PubSub::Subscribe(ChannelKind kind, std::string_view name, int worker, uint64_t client) {
  std::lock_guard lock(mu_);
  auto& subs = TableOf(kind)[std::string(name)];
  Subscriber s{worker, client};
  if (std::find(subs.begin(), subs.end(), s) != subs.end()) return false;
  subs.push_back(s);
  return true;
}

bool PubSub::Unsubscribe(ChannelKind kind, std::string_view name, int worker, uint64_t client) {
  std::lock_guard lock(mu_);
  Table& t = TableOf(kind);
  auto it = t.find(std::string(name));
  if (it == t.end()) return false;
  auto& subs = it->second;
  auto pos = std::find(subs.begin(), subs.end(), Subscriber{worker, client});
  if (pos == subs.end()) return false;
  subs.erase(pos);
  if (subs.empty()) t.erase(it);
  return true;
}

int64_t PubSub::Publish(ChannelKind kind, std::string_view channel_in,
                        std::string_view message_in) {
  // Shared by every worker the message goes to; freed by the last one.
  struct Batch {
    std::string channel, message;
    std::vector<std::string> patterns;  // stable storage for Delivery::pattern
    std::vector<std::vector<Delivery>> per_worker;
  };
  auto batch = std::make_shared<Batch>();
  batch->channel.assign(channel_in);
  batch->message.assign(message_in);
  size_t workers = server_->workers().size();
  batch->per_worker.resize(workers);
  int64_t receivers = 0;
  {
    std::lock_guard lock(mu_);
    Table& direct = kind == ChannelKind::kShard ? shard_channels_ : channels_;
    if (auto it = direct.find(batch->channel); it != direct.end()) {
      for (auto [worker, client] : it->second) {
        batch->per_worker[worker].push_back({client, nullptr});
        ++receivers;
      }
    }
    if (kind == ChannelKind::kChannel) {
      for (const auto& [pattern, subs] : patterns_) {
        if (!StringMatch(pattern, batch->channel)) continue;
        batch->patterns.push_back(pattern);
      }
      batch->patterns.shrink_to_fit();  // pointers into it are taken below: no more growth
      for (const std::string& pattern : batch->patterns) {
        for (auto [worker, client] : patterns_[pattern]) {
          batch->per_worker[worker].push_back({client, &pattern});
          ++receivers;
        }
      }
    }
  }
  Worker* self = Worker::Current();
  for (size_t w = 0; w < workers; ++w) {
    if (batch->per_worker[w].empty()) continue;
    Worker& target = *server_->workers()[w];
    if (&target == self && posted_[w].load(std::memory_order_acquire) == 0) {
      DeliverOnWorker(target, kind, batch->per_worker[w], batch->channel, batch->message);
    } else {
      posted_[w].fetch_add(1, std::memory_order_acq_rel);
      target.loop().Post([this, &target, kind, batch, w] {
        DeliverOnWorker(target, kind, batch->per_worker[w], batch->channel, batch->message);
        posted_[w].fetch_sub(1, std::memory_order_acq_rel);
      });
    }
  }
  return receivers;
}

std::vector<std::string> PubSub::Channels(ChannelKind kind, std::string_view pattern, bool all) {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, subs] : TableOf(kind)) {
    if (all || StringMatch(pattern, name)) out.push_back(name);
  }
  return out;
}

int64_t PubSub::NumSubscribers(ChannelKind kind, std::string_view channel) {
  std::lock_guard lock(mu_);
  Table& t = TableOf(kind);
  auto it = t.find(std::string(channel));
  return it == t.end() ? 0 : static_cast<int64_t>(it->second.size());
}

int64_t PubSub::NumPatterns() {
  std::lock_guard lock(mu_);
  return static_cast<int64_t>(patterns_.size());
}

int64_t PubSub::NumChannels(ChannelKind kind) {
  std::lock_guard lock(mu_);
  return static_cast<int64_t>(TableOf(kind).size());
}

}  // namespace basalt::server
