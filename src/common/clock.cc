#include "common/clock.h"

#include <time.h>

namespace basalt {
namespace {

class RealClock : public Clock {
 public:
  int64_t NowMs() const override { return NowUs() / 1000; }
  int64_t NowUs() const override {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
  }
  int64_t MonotonicUs() const override {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
  }
};

}  // namespace

Clock& SystemClock() {
  static RealClock clock;
  return clock;
}

}  // namespace basalt
