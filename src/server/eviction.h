// maxmemory enforcement: before a command runs, while the allocator reports
// more than `maxmemory` bytes in use, keys are evicted by sampling shards
// according to `maxmemory-policy` (Redis's approximated LRU/LFU/TTL/random).
//
// Called by the dispatcher with no shard lock held; it locks one shard at a time.
#pragma once

#include <cstdint>

namespace basalt::server {

class Server;
class Worker;

enum class EvictResult {
  kOk,       // under the limit (or no limit)
  kRunning,  // evicted keys but is still over: the command may run
  kFail,     // over the limit and nothing could be evicted
};

EvictResult PerformEvictions(Server& server, Worker& worker, int64_t now_us);

}  // namespace basalt::server
