// A minimal io_uring used only to batch the socket reads and writes of one
// event-loop pass into a single system call. Readiness still comes from
// epoll; every operation queued here is non-blocking (MSG_DONTWAIT), so it
// completes during the submit and the batch never waits on a peer.
//
// Why: at pipeline 1 a request costs one read and one write, and on a
// virtualized host the fixed cost of entering the kernel is a large share of
// either. One io_uring_enter per batch pays it once for all ready clients.
#pragma once

#include <linux/io_uring.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace basalt::net {

class IoBatch {
 public:
  IoBatch() = default;
  ~IoBatch();
  IoBatch(const IoBatch&) = delete;
  IoBatch& operator=(const IoBatch&) = delete;

  // Creates the ring on the calling thread (the loop's). False when io_uring
  // is unavailable (old kernel, disabled by sysctl or seccomp): callers then
  // use plain system calls.
  bool Init(unsigned entries);
  bool ready() const { return ring_fd_ >= 0; }
  // Operations that fit before Submit() must be called.
  unsigned room() const { return sq_entries_ - queued_; }

  // Queue a non-blocking send/recv; `tag` comes back with its result.
  void QueueSend(int fd, const void* buf, size_t len, uint64_t tag);
  void QueueRecv(int fd, void* buf, size_t len, uint64_t tag);

  // Submits what was queued and waits until every operation completed (they
  // complete inline). `done(tag, res)`: res is the byte count or -errno.
  // Operations the kernel refused report -EAGAIN, which callers answer with
  // a plain system call.
  template <typename Fn>
  void Submit(Fn&& done) {
    if (queued_ == 0) return;
    Enter();
    Reap(done);
  }

 private:
  io_uring_sqe* NextSqe();
  void Enter();
  template <typename Fn>
  void Reap(Fn& done) {
    unsigned head = *cq_head_;
    unsigned tail = __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE);
    while (head != tail) {
      const io_uring_cqe& cqe = cqes_[head & cq_mask_];
      done(cqe.user_data, cqe.res);
      ++head;
    }
    __atomic_store_n(cq_head_, head, __ATOMIC_RELEASE);
    for (uint64_t tag : refused_) done(tag, -EAGAIN);
    refused_.clear();
  }

  int ring_fd_ = -1;
  unsigned sq_entries_ = 0;
  unsigned queued_ = 0;  // SQEs written since the last Enter
  void* sq_map_ = nullptr;
  size_t sq_map_len_ = 0;
  void* cq_map_ = nullptr;
  size_t cq_map_len_ = 0;
  io_uring_sqe* sqes_ = nullptr;
  size_t sqes_len_ = 0;
  unsigned* sq_head_ = nullptr;
  unsigned* sq_tail_ = nullptr;
  unsigned sq_mask_ = 0;
  unsigned* sq_array_ = nullptr;
  unsigned* cq_head_ = nullptr;
  unsigned* cq_tail_ = nullptr;
  unsigned cq_mask_ = 0;
  io_uring_cqe* cqes_ = nullptr;
  std::vector<uint64_t> refused_;  // tags of operations the kernel never took
};

}  // namespace basalt::net
