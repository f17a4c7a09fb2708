#include "db/access_clock.h"

#include <random>

namespace basalt::db {
namespace {

constexpr uint32_t kLfuInitVal = 5;

uint32_t Minutes(int64_t now_ms) { return static_cast<uint32_t>(now_ms / 1000 / 60) & 0xFFFF; }

// Logarithmic increment: the more accesses, the less likely another step.
uint32_t LogIncr(uint32_t counter, int64_t log_factor) {
  if (counter == 255) return 255;
  thread_local std::minstd_rand rng{std::random_device{}()};
  double r = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  double base = counter > kLfuInitVal ? counter - kLfuInitVal : 0;
  double p = 1.0 / (base * static_cast<double>(log_factor) + 1);
  return r < p ? counter + 1 : counter;
}

}  // namespace

uint32_t AccessClock::Initial(int64_t now_ms) {
  if (lfu()) return Minutes(now_ms) << 8 | kLfuInitVal;
  return LruClock(now_ms);
}

uint32_t AccessClock::LfuDecayed(uint32_t lru, int64_t now_ms) {
  uint32_t ldt = lru >> 8;
  uint32_t counter = lru & 255;
  uint32_t now = Minutes(now_ms);
  uint32_t elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
  int64_t decay = decay_minutes_.load(std::memory_order_relaxed);
  uint32_t periods = decay > 0 ? static_cast<uint32_t>(elapsed / decay) : 0;
  return periods > counter ? 0 : counter - periods;
}

uint32_t AccessClock::Touch(uint32_t lru, int64_t now_ms) {
  if (!lfu()) return LruClock(now_ms);
  uint32_t counter = LogIncr(LfuDecayed(lru, now_ms), log_factor_.load(std::memory_order_relaxed));
  return Minutes(now_ms) << 8 | counter;
}

uint64_t AccessClock::IdleSeconds(uint32_t lru, int64_t now_ms) {
  uint32_t now = LruClock(now_ms);
  return now >= lru ? now - lru : (0xFFFFFF - lru) + now;
}

}  // namespace basalt::db
