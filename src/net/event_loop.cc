#include "net/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>

namespace basalt::net {

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

void EventLoop::Run(int tick_ms, const std::function<void()>& tick) {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  auto next_tick = std::chrono::steady_clock::now() + std::chrono::milliseconds(tick_ms);
  while (!stop_) {
    auto now = std::chrono::steady_clock::now();
    int timeout = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - now).count());
    if (timeout < 0) timeout = 0;
    int n = epoll_wait(epfd_, events, kMaxEvents, timeout);
    for (int i = 0; i < n; ++i) {
      auto* h = static_cast<IoHandler*>(events[i].data.ptr);
      if (h == nullptr) {
        DrainInbox();
      } else {
        h->OnEvent(events[i].events);
      }
    }
    // Deferred work may close handlers whose events are still in `events`,
    // so it runs only after the whole batch.
    while (!deferred_.empty()) {
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
