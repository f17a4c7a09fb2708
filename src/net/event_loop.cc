#include "net/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstring>

namespace basalt::net {
namespace {

constexpr int kMaxEvents = 256;
constexpr int kNoRead = INT_MIN;

}  // namespace

EventLoop::EventLoop() {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  eventfd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // nullptr marks the inbox eventfd
  epoll_ctl(epfd_, EPOLL_CTL_ADD, eventfd_, &ev);
}

EventLoop::~EventLoop() {
  close(eventfd_);
  close(epfd_);
}

bool EventLoop::Add(int fd, uint32_t events, IoHandler* h) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = h;
  return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::Modify(int fd, uint32_t events, IoHandler* h) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = h;
  return epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::Remove(int fd) { epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

void EventLoop::Stop() {
  Post([this] { stop_ = true; });
}

void EventLoop::Post(std::function<void()> fn) {
  {
    std::lock_guard lock(inbox_mu_);
    inbox_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(eventfd_, &one, sizeof(one));
}

void EventLoop::DrainInbox() {
  uint64_t counter;
  [[maybe_unused]] ssize_t n = read(eventfd_, &counter, sizeof(counter));
  std::vector<std::function<void()>> work;
  {
    std::lock_guard lock(inbox_mu_);
    work.swap(inbox_);
  }
  for (auto& fn : work) fn();
}

void EventLoop::CancelFlush(IoHandler* h) {
  std::replace(flush_queue_.begin(), flush_queue_.end(), h, static_cast<IoHandler*>(nullptr));
  std::replace(flushing_.begin(), flushing_.end(), h, static_cast<IoHandler*>(nullptr));
}

void EventLoop::HandleEvents(epoll_event* events, int n) {
  for (int i = 0; i < n; ++i) {
    auto* h = static_cast<IoHandler*>(events[i].data.ptr);
    if (h == nullptr) {
      DrainInbox();
    } else {
      h->OnEvent(events[i].events);
    }
  }
}

void EventLoop::HandleEventsBatched(epoll_event* events, int n) {
  read_res_.assign(n, kNoRead);
  int queued = 0;
  // n <= kMaxEvents, the ring's size: every read fits in one submission.
  for (int i = 0; i < n; ++i) {
    auto* h = static_cast<IoHandler*>(events[i].data.ptr);
    if (h == nullptr) continue;
    void* buf;
    size_t len;
    int fd = h->PrepareRead(events[i].events, &buf, &len);
    if (fd < 0) continue;
    batch_.QueueRecv(fd, buf, len, static_cast<uint64_t>(i));
    read_res_[i] = -EAGAIN;  // until its completion says otherwise
    ++queued;
  }
  if (queued > 0) {
    batch_.Submit([&](uint64_t tag, int res) {
      read_res_[tag] = res;
      // Committed before any event is handled: handling one client may run
      // another's buffered input (an unblocked client), which must then
      // see these bytes in its buffer.
      if (res > 0) static_cast<IoHandler*>(events[tag].data.ptr)->CommitRead(res);
    });
  }
  for (int i = 0; i < n; ++i) {
    auto* h = static_cast<IoHandler*>(events[i].data.ptr);
    if (h == nullptr) {
      DrainInbox();
    } else if (read_res_[i] != kNoRead) {
      h->OnEventAfterRead(events[i].events, read_res_[i]);
    } else {
      h->OnEvent(events[i].events);
    }
  }
}

void EventLoop::SendNow(IoHandler* h) {
  const void* buf;
  size_t len;
  int fd = h->PrepareSend(&buf, &len);
  if (fd < 0) return;
  ssize_t r = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  h->OnSendDone(r >= 0 ? static_cast<int>(r) : -errno);
}

void EventLoop::FlushQueued() {
  flushing_.swap(flush_queue_);
  const void* buf;
  size_t len;
  if (flushing_.size() == 1 || !batch_.ready()) {
    // One write gains nothing from the ring: a plain send is cheaper.
    for (IoHandler* h : flushing_) {
      if (h) SendNow(h);
    }
  } else {
    size_t i = 0;
    while (i < flushing_.size()) {
      for (; i < flushing_.size() && batch_.room() > 0; ++i) {
        int fd = flushing_[i] ? flushing_[i]->PrepareSend(&buf, &len) : -1;
        if (fd >= 0) batch_.QueueSend(fd, buf, len, i);
      }
      batch_.Submit([&](uint64_t tag, int res) {
        if (IoHandler* h = flushing_[tag]) h->OnSendDone(res);
      });
    }
  }
  flushing_.clear();
}

void EventLoop::PollNested(const std::function<bool(IoHandler*)>& serve) {
  epoll_event events[64];
  int n = epoll_wait(epfd_, events, 64, 0);
  for (int i = 0; i < n; ++i) {
    auto* h = static_cast<IoHandler*>(events[i].data.ptr);
    if (h != nullptr && serve(h)) h->OnEvent(events[i].events);
  }
  std::vector<IoHandler*> later;
  for (IoHandler* h : flush_queue_) {
    if (h == nullptr) continue;
    if (serve(h)) {
      SendNow(h);
    } else {
      later.push_back(h);
    }
  }
  flush_queue_.swap(later);
}

void EventLoop::Run(int tick_ms, const std::function<void()>& tick) {
  epoll_event events[kMaxEvents];
  // The ring is created here, on the thread that submits to it. Without it
  // handlers read and write with plain system calls, as they go.
  if (batch_.Init(kMaxEvents)) batch_writes_ = batch_reads_ = true;
  auto next_tick = std::chrono::steady_clock::now() + std::chrono::milliseconds(tick_ms);
  while (!stop_) {
    auto now = std::chrono::steady_clock::now();
    int timeout = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - now).count());
    if (timeout < 0) timeout = 0;
    int n = epoll_wait(epfd_, events, kMaxEvents, timeout);
    if (batch_reads_ && n > 1) {
      HandleEventsBatched(events, n);
    } else {
      HandleEvents(events, n);
    }
    // Deferred work may close handlers whose events are still in `events`,
    // so it runs only after the whole batch; the queued replies go first.
    while (!flush_queue_.empty() || !deferred_.empty()) {
      if (!flush_queue_.empty()) FlushQueued();
      std::vector<std::function<void()>> work;
      work.swap(deferred_);
      for (auto& fn : work) fn();
    }
    if (std::chrono::steady_clock::now() >= next_tick) {
      tick();
      next_tick = std::chrono::steady_clock::now() + std::chrono::milliseconds(tick_ms);
    }
  }
}

}  // namespace basalt::net
