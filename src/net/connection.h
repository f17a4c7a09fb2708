// A non-blocking stream socket owned by one event loop: an input buffer the
// reader appends to, an output buffer replies are appended to, and flushing.
// It knows nothing of RESP or commands; subclasses handle the bytes.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "net/event_loop.h"

namespace basalt::net {

// A growable byte buffer with a consumed prefix, compacted lazily.
class InputBuffer {
 public:
  ~InputBuffer() { delete[] data_; }
  const char* begin() const { return data_ + start_; }
  size_t size() const { return end_ - start_; }
  size_t capacity() const { return cap_; }
  void Consume(size_t n) {
    start_ += n;
    if (start_ == end_) start_ = end_ = 0;
  }
  // Makes room for at least `n` more bytes at the end.
  void Reserve(size_t n);
  char* write_ptr() { return data_ + end_; }
  size_t writable() const { return cap_ - end_; }
  void Commit(size_t n) { end_ += n; }
  // Gives back memory after a large request has been consumed.
  void ShrinkIfIdle(size_t keep);

 private:
  char* data_ = nullptr;
  size_t cap_ = 0, start_ = 0, end_ = 0;
};

class Connection : public IoHandler {
 public:
  Connection(EventLoop* loop, int fd, bool is_unix);
  ~Connection() override;

  void OnEvent(uint32_t events) override;
  int PrepareRead(uint32_t events, void** buf, size_t* len) override;
  void CommitRead(size_t n) override;
  void OnEventAfterRead(uint32_t events, int res) override;
  int PrepareSend(const void** buf, size_t* len) override;
  void OnSendDone(int res) override;

  // Writes as much of the output buffer as the socket takes; arms EPOLLOUT
  // for the rest. Returns false if the connection broke.
  bool Flush();
  // Closes now (fd released) and schedules the subclass's teardown.
  void Close();
  bool closed() const { return fd_ < 0; }
  // Close once the pending output has been written (QUIT, protocol errors).
  void CloseAfterReply() { close_after_reply_ = true; }
  bool close_after_reply() const { return close_after_reply_; }

  int fd() const { return fd_; }
  EventLoop* loop() const { return loop_; }
  const std::string& peer() const { return peer_; }
  const std::string& local() const { return local_; }
  bool is_unix() const { return is_unix_; }
  bool is_loopback() const;

  std::string& out() { return out_; }
  size_t pending_output() const { return out_.size() - out_sent_; }
  InputBuffer& in() { return in_; }
  void SetKeepAlive(int seconds);
  // Stop or resume reading (for clients blocked or paused).
  void SetReading(bool on);

  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_written() const { return bytes_written_; }

 protected:
  // New bytes are in in(). Process them and append replies to out().
  virtual void OnReadable() = 0;
  // Called once, on the loop thread, after the socket closed; may delete this.
  virtual void OnClosed() = 0;
  // True while the output must not be sent yet (a reply waiting for its
  // AOF fsync); whoever holds it calls Flush() again later.
  virtual bool HoldOutput() { return false; }
  // The amount to read per call, at least.
  size_t read_chunk_ = 16 * 1024;
  size_t read_hint_ = 0;  // total bytes the current request needs, if known

 private:
  void UpdateInterest();
  // Reads until the socket is drained or the round's budget is spent, then
  // processes the input. `got`: bytes were already read this round.
  void ReadLoop(bool got, size_t budget);
  // After input was processed: writes the replies, or queues them for the
  // loop's batched write.
  void AfterInput();

  EventLoop* loop_;
  int fd_;
  bool is_unix_;
  bool want_write_ = false;
  bool reading_ = true;
  bool close_after_reply_ = false;
  bool flush_queued_ = false;
  size_t batch_read_len_ = 0;  // the size of the batched read's buffer
  std::string peer_, local_;
  InputBuffer in_;
  std::string out_;
  size_t out_sent_ = 0;
  uint64_t bytes_read_ = 0, bytes_written_ = 0;
};

// Formats "ip:port" (IPv6 as "[ip]:port"), or the path for unix sockets.
std::string FormatAddress(const sockaddr_storage& sa, bool* loopback);

}  // namespace basalt::net
