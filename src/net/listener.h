// A listening socket registered with one loop. TCP listeners use SO_REUSEPORT
// so every worker owns one and the kernel spreads connections across them.
#pragma once

#include <functional>
#include <string>

#include "net/event_loop.h"

namespace basalt::net {

class Listener : public IoHandler {
 public:
  using AcceptFn = std::function<void(int fd, bool is_unix)>;

  // Returns nullptr and sets *error on failure. `exclusive_check`: fail when
  // another socket (another process's) already listens on the address; the
  // process's first listener for an address asks for it.
  static Listener* OpenTcp(EventLoop* loop, const std::string& addr, int port, int backlog,
                           bool exclusive_check, AcceptFn on_accept, std::string* error);
  static Listener* OpenUnix(EventLoop* loop, const std::string& path, unsigned perm, int backlog,
                            AcceptFn on_accept, std::string* error);
  ~Listener() override;

  void OnEvent(uint32_t events) override;

 private:
  Listener(EventLoop* loop, int fd, bool is_unix, AcceptFn fn);
  EventLoop* loop_;
  int fd_;
  bool is_unix_;
  AcceptFn on_accept_;
};

}  // namespace basalt::net
