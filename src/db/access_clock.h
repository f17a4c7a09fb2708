// The access metadata in Entry::lru, with Redis's two layouts:
//   LRU: a 24-bit clock in seconds;
//   LFU: 16 bits of minutes (time of the last decrement) << 8 | an 8-bit
//        logarithmic access counter.
// Which layout is live follows maxmemory-policy; the server switches it.
#pragma once

#include <atomic>
#include <cstdint>

namespace basalt::db {

class AccessClock {
 public:
  static void SetLfu(bool on) { lfu_.store(on, std::memory_order_relaxed); }
  static bool lfu() { return lfu_.load(std::memory_order_relaxed); }
  static void SetLfuParams(int64_t log_factor, int64_t decay_minutes) {
    log_factor_.store(log_factor, std::memory_order_relaxed);
    decay_minutes_.store(decay_minutes, std::memory_order_relaxed);
  }

  // The value a new entry starts with (LFU: counter 5, as LFU_INIT_VAL).
  static uint32_t Initial(int64_t now_ms);
  // The value after one access.
  static uint32_t Touch(uint32_t lru, int64_t now_ms);
  // LFU: the counter decayed to now (OBJECT FREQ).
  static uint32_t LfuDecayed(uint32_t lru, int64_t now_ms);
  // LRU: seconds since the last access (OBJECT IDLETIME).
  static uint64_t IdleSeconds(uint32_t lru, int64_t now_ms);

  static uint32_t LruClock(int64_t now_ms) {
    return static_cast<uint32_t>(now_ms / 1000) & 0xFFFFFF;
  }

 private:
  static inline std::atomic<bool> lfu_{false};
  static inline std::atomic<int64_t> log_factor_{10};
  static inline std::atomic<int64_t> decay_minutes_{1};
};

}  // namespace basalt::db
