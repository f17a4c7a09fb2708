#include "net/uring.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace basalt::net {
namespace {

int SysSetup(unsigned entries, io_uring_params* p) {
  return static_cast<int>(syscall(__NR_io_uring_setup, entries, p));
}

int SysEnter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags) {
  return static_cast<int>(
      syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, nullptr, 0));
}

}  // namespace

IoBatch::~IoBatch() {
  if (sqes_) munmap(sqes_, sqes_len_);
  if (cq_map_ && cq_map_ != sq_map_) munmap(cq_map_, cq_map_len_);
  if (sq_map_) munmap(sq_map_, sq_map_len_);
  if (ring_fd_ >= 0) close(ring_fd_);
}

bool IoBatch::Init(unsigned entries) {
  io_uring_params p{};
  // SUBMIT_ALL: one failing operation must not hold back the others.
  // SINGLE_ISSUER/COOP_TASKRUN: only this thread submits; no IPIs for task work.
  p.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN;
  int fd = SysSetup(entries, &p);
  if (fd < 0) {
    p = io_uring_params{};
    p.flags = IORING_SETUP_SUBMIT_ALL;
    fd = SysSetup(entries, &p);
  }
  if (fd < 0) return false;
  // (io_uring descriptors are always close-on-exec.)
  sq_map_len_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  cq_map_len_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  bool single = p.features & IORING_FEAT_SINGLE_MMAP;
  if (single && cq_map_len_ > sq_map_len_) sq_map_len_ = cq_map_len_;
  sq_map_ = mmap(nullptr, sq_map_len_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                 IORING_OFF_SQ_RING);
  if (sq_map_ == MAP_FAILED) {
    sq_map_ = nullptr;
    close(fd);
    return false;
  }
  if (single) {
    cq_map_ = sq_map_;
  } else {
    cq_map_ = mmap(nullptr, cq_map_len_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                   IORING_OFF_CQ_RING);
    if (cq_map_ == MAP_FAILED) {
      cq_map_ = nullptr;
      munmap(sq_map_, sq_map_len_);
      sq_map_ = nullptr;
      close(fd);
      return false;
    }
  }
  sqes_len_ = p.sq_entries * sizeof(io_uring_sqe);
  void* sqes = mmap(nullptr, sqes_len_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                    IORING_OFF_SQES);
  if (sqes == MAP_FAILED) {
    if (cq_map_ != sq_map_) munmap(cq_map_, cq_map_len_);
    munmap(sq_map_, sq_map_len_);
    sq_map_ = cq_map_ = nullptr;
    close(fd);
    return false;
  }
  sqes_ = static_cast<io_uring_sqe*>(sqes);
  auto* sq = static_cast<char*>(sq_map_);
  auto* cq = static_cast<char*>(cq_map_);
  sq_head_ = reinterpret_cast<unsigned*>(sq + p.sq_off.head);
  sq_tail_ = reinterpret_cast<unsigned*>(sq + p.sq_off.tail);
  sq_mask_ = *reinterpret_cast<unsigned*>(sq + p.sq_off.ring_mask);
  sq_array_ = reinterpret_cast<unsigned*>(sq + p.sq_off.array);
  cq_head_ = reinterpret_cast<unsigned*>(cq + p.cq_off.head);
  cq_tail_ = reinterpret_cast<unsigned*>(cq + p.cq_off.tail);
  cq_mask_ = *reinterpret_cast<unsigned*>(cq + p.cq_off.ring_mask);
  cqes_ = reinterpret_cast<io_uring_cqe*>(cq + p.cq_off.cqes);
  // The CQ holds at least twice the SQ: a full batch never overflows it.
  sq_entries_ = p.sq_entries;
  ring_fd_ = fd;
  return true;
}

io_uring_sqe* IoBatch::NextSqe() {
  unsigned tail = *sq_tail_;
  unsigned idx = tail & sq_mask_;
  io_uring_sqe* sqe = &sqes_[idx];
  memset(sqe, 0, sizeof(*sqe));
  sq_array_[idx] = idx;
  __atomic_store_n(sq_tail_, tail + 1, __ATOMIC_RELEASE);
  ++queued_;
  return sqe;
}

void IoBatch::QueueSend(int fd, const void* buf, size_t len, uint64_t tag) {
  io_uring_sqe* sqe = NextSqe();
  sqe->opcode = IORING_OP_SEND;
  sqe->fd = fd;
  sqe->addr = reinterpret_cast<uint64_t>(buf);
  sqe->len = static_cast<uint32_t>(len > 0x7ffff000 ? 0x7ffff000 : len);
  // DONTWAIT: a full socket buffer completes with -EAGAIN instead of parking
  // the operation in the ring; NOSIGNAL as for send().
  sqe->msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL;
  sqe->user_data = tag;
}

void IoBatch::QueueRecv(int fd, void* buf, size_t len, uint64_t tag) {
  io_uring_sqe* sqe = NextSqe();
  sqe->opcode = IORING_OP_RECV;
  sqe->fd = fd;
  sqe->addr = reinterpret_cast<uint64_t>(buf);
  sqe->len = static_cast<uint32_t>(len > 0x7ffff000 ? 0x7ffff000 : len);
  sqe->msg_flags = MSG_DONTWAIT;
  sqe->user_data = tag;
}

void IoBatch::Enter() {
  unsigned total = queued_;
  unsigned tail = *sq_tail_;
  unsigned first = tail - total;  // index of the batch's first SQE
  // Waits for `total` completions; loops over signals and transient shortages.
  for (int attempt = 0; attempt < 64; ++attempt) {
    unsigned consumed = __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE) - first;
    unsigned completed = __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE) - *cq_head_;
    if (consumed == total && completed >= total) break;
    int r = SysEnter(ring_fd_, total - consumed, total - completed, IORING_ENTER_GETEVENTS);
    if (r < 0 && errno != EINTR && errno != EAGAIN && errno != EBUSY) break;
  }
  // What the kernel never took is withdrawn and reported as -EAGAIN, which
  // every caller answers with a plain system call.
  unsigned consumed = __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE) - first;
  queued_ = 0;
  if (consumed == total) return;
  for (unsigned i = consumed; i < total; ++i) {
    refused_.push_back(sqes_[(first + i) & sq_mask_].user_data);
  }
  __atomic_store_n(sq_tail_, first + consumed, __ATOMIC_RELEASE);
}

}  // namespace basalt::net
