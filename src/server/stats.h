// Per-worker counters. Each worker writes only its own WorkerStats (single
// writer, relaxed stores, no locked instructions on the request path); INFO
// sums them across workers.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace basalt::server {

using Counter = std::atomic<uint64_t>;

inline void Bump(Counter& c, uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
inline uint64_t Read(const Counter& c) { return c.load(std::memory_order_relaxed); }

struct CommandStats {
  Counter calls{0}, usec{0}, rejected_calls{0}, failed_calls{0};
};

// Redis's instantaneous metrics (trackInstantaneousMetric): one thread (worker
// 0's cron) records a running total every tick; INFO averages the rate over the
// last kSamples intervals. A mutex is fine: ten samples a second.
class MetricSampler {
 public:
  static constexpr int kSamples = 16;

  void Sample(int64_t now_ms, uint64_t total) {
    std::lock_guard lock(mu_);
    if (last_ms_ != 0 && now_ms > last_ms_) {
      uint64_t delta = total >= last_total_ ? total - last_total_ : 0;
      rates_[next_] = delta * 1000 / static_cast<uint64_t>(now_ms - last_ms_);
      next_ = (next_ + 1) % kSamples;
      if (count_ < kSamples) ++count_;
    }
    last_ms_ = now_ms;
    last_total_ = total;
  }
  uint64_t PerSecond() const {
    std::lock_guard lock(mu_);
    if (count_ == 0) return 0;
    uint64_t sum = 0;
    for (int i = 0; i < count_; ++i) sum += rates_[i];
    return sum / static_cast<uint64_t>(count_);
  }
  // CONFIG RESETSTAT: forget the history; the next sample starts a new interval.
  void Reset() {
    std::lock_guard lock(mu_);
    count_ = next_ = 0;
    last_ms_ = 0;
  }

 private:
  mutable std::mutex mu_;
  uint64_t rates_[kSamples] = {};
  int count_ = 0, next_ = 0;
  int64_t last_ms_ = 0;
  uint64_t last_total_ = 0;
};

struct alignas(64) WorkerStats {
  Counter commands{0};
  Counter connections_received{0};
  Counter rejected_connections{0};
  Counter net_input_bytes{0};
  Counter net_output_bytes{0};
  Counter keyspace_hits{0};
  Counter keyspace_misses{0};
  Counter expired_keys{0};
  Counter evicted_keys{0};
  Counter total_error_replies{0};
  Counter dirty{0};  // writes since the last save (summed with Server::dirty_base)
  Counter client_qbuf_limit_disconnections{0};
  Counter client_obuf_limit_disconnections{0};
  std::unique_ptr<CommandStats[]> per_command;

  // Error counts by code ("ERR", "WRONGTYPE"); errors are rare, a mutex is fine.
  std::mutex errors_mu;
  std::map<std::string, uint64_t> errors;

  void CountError(std::string_view code) {
    Bump(total_error_replies);
    std::lock_guard lock(errors_mu);
    ++errors[std::string(code)];
  }
  // One call of command `id` (commandstats); `error_code` is empty unless it
  // replied an error.
  void CountCall(size_t id, uint64_t usec, std::string_view error_code) {
    CommandStats& cs = per_command[id];
    Bump(cs.calls);
    Bump(cs.usec, usec);
    Bump(commands);
    if (!error_code.empty()) {
      Bump(cs.failed_calls);
      CountError(error_code);
    }
  }
};

}  // namespace basalt::server
