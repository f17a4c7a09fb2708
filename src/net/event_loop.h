// One epoll event loop, run by one worker thread. Everything registered with
// a loop is touched only by that loop's thread; other threads reach it through
// Post(), a multi-producer inbox woken by an eventfd.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace basalt::net {

class IoHandler {
 public:
  virtual ~IoHandler() = default;
  // `events` are EPOLL* bits.
  virtual void OnEvent(uint32_t events) = 0;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  bool Add(int fd, uint32_t events, IoHandler* h);
  bool Modify(int fd, uint32_t events, IoHandler* h);
  void Remove(int fd);

  // Runs until Stop(). `tick` runs every `tick_ms` on the loop thread.
  void Run(int tick_ms, const std::function<void()>& tick);
  // Thread-safe.
  void Stop();
  // Thread-safe: runs `fn` on the loop thread soon.
  void Post(std::function<void()> fn);
  // Runs queued Post() work now; only on the loop thread (used while waiting
  // for other loops, so two loops waiting on each other make progress).
  void DrainInbox();

  // Deferred work that must run after the current event is handled (e.g.
  // deleting a connection that closed itself inside its own handler).
  void Defer(std::function<void()> fn) { deferred_.push_back(std::move(fn)); }

 private:

  int epfd_ = -1;
  int eventfd_ = -1;
  bool stop_ = false;
  std::mutex inbox_mu_;
  std::vector<std::function<void()>> inbox_;
  std::vector<std::function<void()>> deferred_;
};

}  // namespace basalt::net
