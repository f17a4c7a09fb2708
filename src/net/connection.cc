#include "net/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace basalt::net {

void InputBuffer::Reserve(size_t n) {
  if (cap_ - end_ >= n) return;
  size_t used = end_ - start_;
  if (start_ > 0 && cap_ - used >= n && used < cap_ / 2) {
    memmove(data_, data_ + start_, used);
    start_ = 0;
    end_ = used;
    return;
  }
  size_t new_cap = cap_ ? cap_ : 16 * 1024;
  while (new_cap - used < n) new_cap *= 2;
  char* fresh = new char[new_cap];
  if (used) memcpy(fresh, data_ + start_, used);
  delete[] data_;
  data_ = fresh;
  cap_ = new_cap;
  start_ = 0;
  end_ = used;
}

void InputBuffer::ShrinkIfIdle(size_t keep) {
  if (size() == 0 && cap_ > keep) {
    delete[] data_;
    data_ = nullptr;
    cap_ = start_ = end_ = 0;
  }
}

std::string FormatAddress(const sockaddr_storage& sa, bool* loopback) {
  char ip[INET6_ADDRSTRLEN] = {0};
  *loopback = false;
  if (sa.ss_family == AF_INET) {
    const auto* s = reinterpret_cast<const sockaddr_in*>(&sa);
    inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
    *loopback = (ntohl(s->sin_addr.s_addr) >> 24) == 127;
    return std::string(ip) + ":" + std::to_string(ntohs(s->sin_port));
  }
  if (sa.ss_family == AF_INET6) {
    const auto* s = reinterpret_cast<const sockaddr_in6*>(&sa);
    inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
    *loopback = IN6_IS_ADDR_LOOPBACK(&s->sin6_addr);
    return std::string(ip) + ":" + std::to_string(ntohs(s->sin6_port));
  }
  if (sa.ss_family == AF_UNIX) {
    *loopback = true;
    const auto* s = reinterpret_cast<const sockaddr_un*>(&sa);
    return s->sun_path;
  }
  return "?";
}

Connection::Connection(EventLoop* loop, int fd, bool is_unix)
    : loop_(loop), fd_(fd), is_unix_(is_unix) {
  sockaddr_storage sa{};
  socklen_t len = sizeof(sa);
  bool lb = false;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0) peer_ = FormatAddress(sa, &lb);
  len = sizeof(sa);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0) local_ = FormatAddress(sa, &lb);
  if (is_unix) peer_ = local_ + ":0";
  if (!is_unix) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  loop_->Add(fd_, EPOLLIN, this);
}

Connection::~Connection() {
  if (flush_queued_) loop_->CancelFlush(this);
  if (fd_ >= 0) {
    loop_->Remove(fd_);
    close(fd_);
  }
}

bool Connection::is_loopback() const {
  if (is_unix_) return true;
  return peer_.rfind("127.", 0) == 0 || peer_.rfind("::1:", 0) == 0;
}

void Connection::SetKeepAlive(int seconds) {
  if (is_unix_ || seconds <= 0) return;
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
  int idle = seconds, intvl = seconds / 3 > 0 ? seconds / 3 : 1, cnt = 3;
  setsockopt(fd_, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
  setsockopt(fd_, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
  setsockopt(fd_, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

void Connection::UpdateInterest() {
  if (fd_ < 0) return;
  uint32_t ev = (reading_ ? uint32_t{EPOLLIN} : 0u) | (want_write_ ? uint32_t{EPOLLOUT} : 0u);
  loop_->Modify(fd_, ev, this);
}

void Connection::SetReading(bool on) {
  if (reading_ == on) return;
  reading_ = on;
  UpdateInterest();
}

namespace {
// Read in bounded rounds so one busy client can't starve the loop.
constexpr size_t kReadBudget = 1024 * 1024;
}  // namespace

void Connection::OnEvent(uint32_t events) {
  if (fd_ < 0) return;
  if (events & EPOLLOUT) {
    if (!Flush()) return;
  }
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || !reading_) return;
  ReadLoop(false, kReadBudget);
}

void Connection::ReadLoop(bool got, size_t budget) {
  while (budget > 0) {
    size_t want = read_chunk_;
    if (read_hint_ > in_.size() && read_hint_ - in_.size() > want) want = read_hint_ - in_.size();
    in_.Reserve(want);
    size_t avail = in_.writable();
    ssize_t n = read(fd_, in_.write_ptr(), avail);
    if (n > 0) {
      in_.Commit(n);
      bytes_read_ += n;
      got = true;
      if (static_cast<size_t>(n) < avail) break;  // the socket is drained
      budget = budget > static_cast<size_t>(n) ? budget - n : 0;
      continue;
    }
    if (n == 0) {  // peer closed
      if (got) OnReadable();
      Close();
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    Close();
    return;
  }
  if (got) OnReadable();
  AfterInput();
}

void Connection::AfterInput() {
  if (fd_ < 0 || pending_output() == 0) return;
  if (!loop_->batching_writes()) {
    Flush();
  } else if (!flush_queued_) {
    flush_queued_ = true;
    loop_->QueueFlush(this);
  }
}

int Connection::PrepareRead(uint32_t events, void** buf, size_t* len) {
  // EPOLLOUT events take the plain path: the pending output goes first.
  if (fd_ < 0 || (events & EPOLLOUT) || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || !reading_) {
    return -1;
  }
  size_t want = read_chunk_;
  if (read_hint_ > in_.size() && read_hint_ - in_.size() > want) want = read_hint_ - in_.size();
  in_.Reserve(want);
  *buf = in_.write_ptr();
  *len = batch_read_len_ = in_.writable();
  return fd_;
}

void Connection::CommitRead(size_t n) {
  in_.Commit(n);
  bytes_read_ += n;
}

void Connection::OnEventAfterRead(uint32_t events, int res) {
  if (fd_ < 0) return;  // closed by an earlier event of the batch
  if (res > 0) {
    if (static_cast<size_t>(res) < batch_read_len_) {  // the socket is drained
      OnReadable();
      AfterInput();
      return;
    }
    size_t n = static_cast<size_t>(res);
    ReadLoop(true, kReadBudget > n ? kReadBudget - n : 0);
    return;
  }
  if (res == 0) {  // peer closed
    Close();
    return;
  }
  if (res == -EAGAIN || res == -EWOULDBLOCK || res == -EINTR) {
    OnEvent(events);  // not taken, or nothing there after all: the plain path decides
    return;
  }
  Close();
}

int Connection::PrepareSend(const void** buf, size_t* len) {
  flush_queued_ = false;
  if (fd_ < 0 || out_sent_ >= out_.size()) return -1;
  if (HoldOutput()) {
    Flush();  // holds (and stops EPOLLOUT) as a direct flush would
    return -1;
  }
  *buf = out_.data() + out_sent_;
  *len = out_.size() - out_sent_;
  return fd_;
}

void Connection::OnSendDone(int res) {
  if (fd_ < 0) return;
  if (res > 0) {
    out_sent_ += static_cast<size_t>(res);
    bytes_written_ += static_cast<uint64_t>(res);
    Flush();  // the rest if the socket took part of it, else the bookkeeping
    return;
  }
  if (res == -EAGAIN || res == -EWOULDBLOCK || res == -EINTR) {
    Flush();  // arms EPOLLOUT if the socket is still full
    return;
  }
  Close();
}

bool Connection::Flush() {
  if (out_sent_ < out_.size() && HoldOutput()) {
    if (want_write_) {  // level-triggered EPOLLOUT would spin meanwhile
      want_write_ = false;
      UpdateInterest();
    }
    return true;
  }
  while (out_sent_ < out_.size()) {
    ssize_t n = send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n > 0) {
      out_sent_ += n;
      bytes_written_ += n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!want_write_) {
        want_write_ = true;
        UpdateInterest();
      }
      return true;
    }
    Close();
    return false;
  }
  out_.clear();
  out_sent_ = 0;
  // A huge reply leaves a huge buffer behind; give it back.
  if (out_.capacity() > 1024 * 1024) out_.shrink_to_fit();
  if (want_write_) {
    want_write_ = false;
    UpdateInterest();
  }
  if (close_after_reply_) {
    Close();
    return false;
  }
  return true;
}

void Connection::Close() {
  if (fd_ < 0) return;
  loop_->Remove(fd_);
  close(fd_);
  fd_ = -1;
  loop_->Defer([this] { OnClosed(); });
}

}  // namespace basalt::net
