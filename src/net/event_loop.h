// One epoll event loop, run by one worker thread. Everything registered with
// a loop is touched only by that loop's thread; other threads reach it through
// Post(), a multi-producer inbox woken by an eventfd.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "net/uring.h"

struct epoll_event;

namespace basalt::net {

class IoHandler {
 public:
  virtual ~IoHandler() = default;
  // `events` are EPOLL* bits.
  virtual void OnEvent(uint32_t events) = 0;

  // Batched I/O (optional). A handler that returns an fd from PrepareRead
  // has the loop do its first read, together with every other ready
  // handler's: the loop calls CommitRead(n) once the batch has completed
  // (n > 0 bytes landed in *buf), then OnEventAfterRead(events, res) in
  // event order instead of OnEvent (res: bytes read, 0 at EOF, or -errno).
  virtual int PrepareRead(uint32_t /*events*/, void** /*buf*/, size_t* /*len*/) { return -1; }
  virtual void CommitRead(size_t /*n*/) {}
  virtual void OnEventAfterRead(uint32_t /*events*/, int /*res*/) {}
  // A handler queued with EventLoop::QueueFlush: the bytes to send now
  // (returns the fd, or -1 for nothing), then the result of the send.
  virtual int PrepareSend(const void** /*buf*/, size_t* /*len*/) { return -1; }
  virtual void OnSendDone(int /*res*/) {}
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

  // Output produced while handling events is written once the whole batch
  // of events has been handled, all of it in one io_uring submission (as
  // Redis writes replies in beforeSleep, but in one system call). False
  // before Run() or without io_uring: handlers then write at once.
  bool batching_writes() const { return batch_writes_; }
  void QueueFlush(IoHandler* h) { flush_queue_.push_back(h); }
  // `h` is going away: drop it from the flush queue.
  void CancelFlush(IoHandler* h);

  // From inside a handler that runs for long (a busy script), on the loop
  // thread: handles the ready events of the handlers `serve` accepts and
  // writes their queued output now. Posted work, deferred work and every
  // other handler wait for the loop, so nothing the running handler's stack
  // depends on goes away.
  void PollNested(const std::function<bool(IoHandler*)>& serve);

 private:
  void HandleEvents(::epoll_event* events, int n);
  void HandleEventsBatched(::epoll_event* events, int n);
  void FlushQueued();
  // A queued handler's output, with one plain send.
  void SendNow(IoHandler* h);

  int epfd_ = -1;
  int eventfd_ = -1;
  bool stop_ = false;
  std::mutex inbox_mu_;
  std::vector<std::function<void()>> inbox_;
  std::vector<std::function<void()>> deferred_;
  IoBatch batch_;
  bool batch_reads_ = false;
  bool batch_writes_ = false;
  std::vector<IoHandler*> flush_queue_, flushing_;
  std::vector<int> read_res_;  // per event of the batch: read result, or kNoRead
};

}  // namespace basalt::net
