// Time is injected: expiry and cron code take a Clock so tests can move time
// without sleeping.
#pragma once

#include <cstdint>

namespace basalt {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;  // wall clock, Unix epoch milliseconds
  virtual int64_t NowUs() const = 0;  // wall clock, Unix epoch microseconds
  virtual int64_t MonotonicUs() const = 0;
};

// The process clock.
Clock& SystemClock();

// A clock tests set by hand.
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t now_ms = 1'700'000'000'000) : now_us_(now_ms * 1000) {}
  int64_t NowMs() const override { return now_us_ / 1000; }
  int64_t NowUs() const override { return now_us_; }
  int64_t MonotonicUs() const override { return now_us_; }
  void AdvanceMs(int64_t ms) { now_us_ += ms * 1000; }

 private:
  int64_t now_us_;
};

}  // namespace basalt
