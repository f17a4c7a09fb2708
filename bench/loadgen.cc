// Load shapes redis-benchmark can't produce, for bench/bench.py:
//   txn      each client loops MULTI, INCR x5, EXEC (one transaction in flight)
//   fanout   S subscribers on one channel, C publishers pipelining PUBLISH;
//            counts messages delivered to the subscribers
//   writer   C clients SET random keys flat out for a duration; reports the
//            longest any single request waited (for snapshot stalls)
// Prints one JSON object on stdout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string mode = "txn";
  int clients = 50;
  int subscribers = 50;
  int pipeline = 16;
  int64_t requests = 100000;  // txn: transactions; fanout: messages published
  double seconds = 5;         // writer
  int keyspace = 100000;
};

[[noreturn]] void Die(const char* what) {
  perror(what);
  exit(1);
}

int Connect(const Options& o) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Die("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(o.port));
  inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) Die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

void Command(std::string* out, std::initializer_list<std::string_view> argv) {
  *out += "*" + std::to_string(argv.size()) + "\r\n";
  for (std::string_view a : argv) {
    *out += "$" + std::to_string(a.size()) + "\r\n";
    out->append(a);
    *out += "\r\n";
  }
}

void WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      Die("write");
    }
    off += static_cast<size_t>(n);
  }
}

// Length of the complete RESP value at p, or 0 when more bytes are needed.
size_t ReplyLength(const char* p, size_t len) {
  if (len < 3) return 0;
  const char* nl = static_cast<const char*>(memchr(p, '\n', len));
  if (!nl) return 0;
  size_t head = static_cast<size_t>(nl - p) + 1;
  long long n = strtoll(p + 1, nullptr, 10);
  switch (p[0]) {
    case '$':
    case '=':
    case '!':
      if (n < 0) return head;
      return len >= head + static_cast<size_t>(n) + 2 ? head + static_cast<size_t>(n) + 2 : 0;
    case '*':
    case '>':
    case '~':
    case '%': {
      if (n < 0) return head;
      long long items = p[0] == '%' ? 2 * n : n;
      size_t off = head;
      for (long long i = 0; i < items; ++i) {
        size_t m = ReplyLength(p + off, len - off);
        if (!m) return 0;
        off += m;
      }
      return off;
    }
    default:
      return head;
  }
}

// Reads what is available and counts the complete replies, keeping partial ones.
struct Reader {
  std::string buf;
  int64_t Pump(int fd) {
    char tmp[65536];
    ssize_t n = read(fd, tmp, sizeof(tmp));
    if (n == 0) {
      fprintf(stderr, "server closed the connection\n");
      exit(1);
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return 0;
      Die("read");
    }
    buf.append(tmp, static_cast<size_t>(n));
    int64_t count = 0;
    size_t off = 0;
    while (size_t m = ReplyLength(buf.data() + off, buf.size() - off)) {
      if (buf[off] == '-') {
        fprintf(stderr, "error reply: %.*s\n", static_cast<int>(m), buf.data() + off);
        exit(1);
      }
      off += m;
      ++count;
    }
    buf.erase(0, off);
    return count;
  }
};

double Elapsed(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Drives one request/response loop per connection through epoll; `refill`
// sends a connection's next batch and returns how many replies it awaits
// (0: this connection is done).
template <typename Refill, typename OnReplies>
void RunLoop(std::vector<int>& fds, Refill refill, OnReplies on_replies) {
  int ep = epoll_create1(0);
  std::vector<int64_t> awaiting(fds.size());
  std::vector<Reader> readers(fds.size());
  size_t active = 0;
  for (size_t i = 0; i < fds.size(); ++i) {
    epoll_event ev{EPOLLIN, {.u64 = i}};
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
    awaiting[i] = refill(i);
    if (awaiting[i]) ++active;
  }
  epoll_event events[256];
  while (active) {
    int n = epoll_wait(ep, events, 256, 1000);
    for (int k = 0; k < n; ++k) {
      size_t i = events[k].data.u64;
      int64_t got = readers[i].Pump(fds[i]);
      if (!got) continue;
      on_replies(i, got);
      awaiting[i] -= got;
      if (awaiting[i] == 0) {
        awaiting[i] = refill(i);
        if (!awaiting[i]) --active;
      }
    }
  }
  close(ep);
}

void RunTxn(const Options& o) {
  std::vector<int> fds;
  for (int i = 0; i < o.clients; ++i) fds.push_back(Connect(o));
  std::mt19937 rng(42);
  int64_t sent = 0;
  auto t0 = Clock::now();
  RunLoop(
      fds,
      [&](size_t i) -> int64_t {
        if (sent >= o.requests) return 0;
        ++sent;
        std::string req;
        Command(&req, {"MULTI"});
        for (int k = 0; k < 5; ++k) {
          Command(&req, {"INCR", "counter:" + std::to_string(rng() % o.keyspace)});
        }
        Command(&req, {"EXEC"});
        WriteAll(fds[i], req);
        return 7;
      },
      [](size_t, int64_t) {});
  double s = Elapsed(t0);
  printf("{\"transactions\": %lld, \"seconds\": %.3f, \"tps\": %.0f}\n",
         static_cast<long long>(o.requests), s, static_cast<double>(o.requests) / s);
}

void RunFanout(const Options& o) {
  std::vector<int> subs;
  std::string sub_req;
  Command(&sub_req, {"SUBSCRIBE", "loadgen-channel"});
  for (int i = 0; i < o.subscribers; ++i) {
    int fd = Connect(o);
    WriteAll(fd, sub_req);
    Reader r;
    while (r.Pump(fd) == 0) {
    }
    subs.push_back(fd);
  }
  std::vector<int> pubs;
  for (int i = 0; i < o.clients; ++i) pubs.push_back(Connect(o));
  std::string batch;
  for (int k = 0; k < o.pipeline; ++k)
    Command(&batch, {"PUBLISH", "loadgen-channel", "message-payload-0123456789"});

  // Subscribers are drained by a second epoll set polled in the same loop:
  // publishers wait for their replies, subscribers count deliveries.
  int sep = epoll_create1(0);
  for (size_t i = 0; i < subs.size(); ++i) {
    epoll_event ev{EPOLLIN, {.u64 = i}};
    epoll_ctl(sep, EPOLL_CTL_ADD, subs[i], &ev);
  }
  // Every delivery is the same RESP2 frame, so a subscriber's stream is that
  // frame repeated: it is checked byte for byte against the pattern and
  // counted by length, which keeps this side cheaper than any server's.
  std::string frame;
  Command(&frame, {"message", "loadgen-channel", "message-payload-0123456789"});  // RESP2 push
  constexpr size_t kChunk = 256 * 1024;
  std::string pattern;
  while (pattern.size() < kChunk + frame.size()) pattern += frame;
  std::vector<size_t> phase(subs.size(), 0);
  std::vector<char> chunk(kChunk);
  int64_t delivered = 0;
  auto drain = [&](int timeout_ms) {
    epoll_event events[256];
    int n = epoll_wait(sep, events, 256, timeout_ms);
    for (int k = 0; k < n; ++k) {
      size_t i = events[k].data.u64;
      ssize_t got = read(subs[i], chunk.data(), chunk.size());
      if (got == 0) {
        fprintf(stderr, "server closed a subscriber\n");
        exit(1);
      }
      if (got < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        Die("read");
      }
      if (memcmp(chunk.data(), pattern.data() + phase[i], static_cast<size_t>(got)) != 0) {
        fprintf(stderr, "unexpected bytes in a subscriber's stream\n");
        exit(1);
      }
      size_t upto = phase[i] + static_cast<size_t>(got);
      delivered += static_cast<int64_t>(upto / frame.size());
      phase[i] = upto % frame.size();
    }
  };
  int64_t published = 0;
  int64_t expected = o.requests / o.pipeline * o.pipeline * o.subscribers;
  auto t0 = Clock::now();
  RunLoop(
      pubs,
      [&](size_t i) -> int64_t {
        drain(0);
        if (published >= o.requests) return 0;
        published += o.pipeline;
        WriteAll(pubs[i], batch);
        return o.pipeline;
      },
      [&](size_t, int64_t) { drain(0); });
  while (delivered < expected && Elapsed(t0) < 120) drain(100);
  double s = Elapsed(t0);
  printf(
      "{\"published\": %lld, \"delivered\": %lld, \"seconds\": %.3f, \"delivered_per_s\": %.0f}\n",
      static_cast<long long>(published), static_cast<long long>(delivered), s,
      static_cast<double>(delivered) / s);
  close(sep);
}

void RunWriter(const Options& o) {
  std::vector<int> fds;
  for (int i = 0; i < o.clients; ++i) fds.push_back(Connect(o));
  std::vector<Clock::time_point> sent_at(fds.size());
  std::mt19937 rng(7);
  std::vector<double> latencies;
  double max_ms = 0;
  int64_t done = 0;
  auto t0 = Clock::now();
  std::string value(16, 'v');
  RunLoop(
      fds,
      [&](size_t i) -> int64_t {
        if (Elapsed(t0) >= o.seconds) return 0;
        std::string req;
        // The key names bench.py loads ("key:%012d"): the writer overwrites, so
        // the dataset doesn't grow while snapshot memory is measured.
        char key[32];
        snprintf(key, sizeof(key), "key:%012u", static_cast<unsigned>(rng() % o.keyspace));
        Command(&req, {"SET", key, value});
        sent_at[i] = Clock::now();
        WriteAll(fds[i], req);
        return 1;
      },
      [&](size_t i, int64_t got) {
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent_at[i]).count();
        max_ms = std::max(max_ms, ms);
        latencies.push_back(ms);
        done += got;
      });
  double s = Elapsed(t0);
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies.empty() ? 0.0 : latencies[static_cast<size_t>(p * (latencies.size() - 1))];
  };
  printf(
      "{\"requests\": %lld, \"seconds\": %.3f, \"rps\": %.0f, \"p50_ms\": %.3f, "
      "\"p99_ms\": %.3f, \"p999_ms\": %.3f, \"max_ms\": %.3f}\n",
      static_cast<long long>(done), s, static_cast<double>(done) / s, pct(0.5), pct(0.99),
      pct(0.999), max_ms);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--host")
      o.host = v;
    else if (k == "--port")
      o.port = atoi(v);
    else if (k == "--mode")
      o.mode = v;
    else if (k == "--clients")
      o.clients = atoi(v);
    else if (k == "--subscribers")
      o.subscribers = atoi(v);
    else if (k == "--pipeline")
      o.pipeline = std::max(1, atoi(v));
    else if (k == "--requests")
      o.requests = atoll(v);
    else if (k == "--seconds")
      o.seconds = atof(v);
    else if (k == "--keyspace")
      o.keyspace = std::max(1, atoi(v));
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (o.mode == "txn")
    RunTxn(o);
  else if (o.mode == "fanout")
    RunFanout(o);
  else if (o.mode == "writer")
    RunWriter(o);
  else {
    fprintf(stderr, "unknown mode %s (txn, fanout, writer)\n", o.mode.c_str());
    return 2;
  }
  return 0;
}
