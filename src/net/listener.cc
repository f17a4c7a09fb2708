#include "net/listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace basalt::net {

Listener::Listener(EventLoop* loop, int fd, bool is_unix, AcceptFn fn)
    : loop_(loop), fd_(fd), is_unix_(is_unix), on_accept_(std::move(fn)) {
  loop_->Add(fd_, EPOLLIN, this);
}

Listener::~Listener() {
  loop_->Remove(fd_);
  close(fd_);
}

Listener* Listener::OpenTcp(EventLoop* loop, const std::string& addr_in, int port, int backlog,
                            bool exclusive_check, AcceptFn on_accept, std::string* error) {
  // Redis accepts "-addr" meaning "optional": skip it if unavailable.
  std::string addr = addr_in;
  bool optional = !addr.empty() && addr[0] == '-';
  if (optional) addr = addr.substr(1);
  if (addr == "*") addr = "0.0.0.0";
  if (addr == "::*") addr = "::";
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
  std::string port_s = std::to_string(port);
  int rc = getaddrinfo(addr.c_str(), port_s.c_str(), &hints, &res);
  if (rc != 0) {
    *error = "Invalid bind address '" + addr + "': " + gai_strerror(rc);
    return nullptr;
  }
  int one = 1;
  if (exclusive_check) {
    // SO_REUSEPORT would let us share the port with another process's
    // listener and split its connections; a plain bind first fails when
    // anyone listens there, as redis-server's bind does.
    int probe = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    setsockopt(probe, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (res->ai_family == AF_INET6) setsockopt(probe, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    bool taken = bind(probe, res->ai_addr, res->ai_addrlen) != 0 && errno == EADDRINUSE;
    close(probe);
    if (taken) {
      *error = "Could not create server TCP listening socket " + addr + ":" + std::to_string(port) +
               ": bind: Address already in use";
      if (optional) error->insert(0, "optional:");
      freeaddrinfo(res);
      return nullptr;
    }
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (res->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, backlog) != 0) {
    *error = "Could not create server TCP listening socket " + addr + ":" + port_s + ": " +
             strerror(errno);
    if (optional) error->insert(0, "optional:");
    close(fd);
    freeaddrinfo(res);
    return nullptr;
  }
  freeaddrinfo(res);
  return new Listener(loop, fd, false, std::move(on_accept));
}

Listener* Listener::OpenUnix(EventLoop* loop, const std::string& path, unsigned perm, int backlog,
                             AcceptFn on_accept, std::string* error) {
  sockaddr_un sa{};
  if (path.size() >= sizeof(sa.sun_path)) {
    *error = "unixsocket path too long: " + path;
    return nullptr;
  }
  unlink(path.c_str());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, path.c_str(), path.size());
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 || listen(fd, backlog) != 0) {
    *error = "Failed opening Unix socket: " + std::string(strerror(errno));
    close(fd);
    return nullptr;
  }
  if (perm) chmod(path.c_str(), perm);
  return new Listener(loop, fd, true, std::move(on_accept));
}

namespace {

// One descriptor held in reserve. Out of descriptors, a pending connection
// stays in the backlog and keeps the level-triggered listener readable, so
// the loop would spin on EMFILE; giving up the reserve lets us accept that
// connection and close it, which drains the backlog instead.
int& ReserveFd() {
  thread_local int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd;
}

void ShedOneConnection(int listen_fd) {
  int& reserve = ReserveFd();
  if (reserve >= 0) close(reserve);
  int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd >= 0) close(fd);
  reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

}  // namespace

void Listener::OnEvent(uint32_t) {
  ReserveFd();  // taken while descriptors are still available
  // Bounded, so one worker does not take a whole burst of connections.
  for (int i = 0; i < 16; ++i) {
    int fd = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno == EMFILE || errno == ENFILE) ShedOneConnection(fd_);
      return;  // EAGAIN, or another transient error
    }
    on_accept_(fd, is_unix_);
  }
}

}  // namespace basalt::net
