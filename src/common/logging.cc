#include "common/logging.h"

#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace basalt {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kNotice};
std::mutex g_mu;
FILE* g_out = nullptr;  // nullptr means stdout

constexpr const char* kNames[] = {"debug", "verbose", "notice", "warning"};
// Redis marks levels with these characters: '.', '-', '*', '#'.
constexpr char kMarks[] = {'.', '-', '*', '#'};

}  // namespace

bool ParseLogLevel(std::string_view name, LogLevel* out) {
  for (int i = 0; i < 4; ++i) {
    if (name == kNames[i]) {
      *out = static_cast<LogLevel>(i);
      return true;
    }
  }
  return false;
}

const char* LogLevelName(LogLevel level) { return kNames[static_cast<int>(level)]; }

void SetLogLevel(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }
LogLevel GetLogLevel() { return g_level.load(std::memory_order_relaxed); }

bool SetLogFile(const std::string& path) {
  FILE* f = nullptr;
  if (!path.empty()) {
    f = fopen(path.c_str(), "a");
    if (!f) return false;
  }
  std::lock_guard lock(g_mu);
  if (g_out) fclose(g_out);
  g_out = f;
  return true;
}

void Log(LogLevel level, const char* fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);

  timeval tv;
  gettimeofday(&tv, nullptr);
  tm tm_buf;
  localtime_r(&tv.tv_sec, &tm_buf);
  char when[64];
  size_t n = strftime(when, sizeof(when), "%d %b %Y %H:%M:%S.", &tm_buf);
  snprintf(when + n, sizeof(when) - n, "%03d", static_cast<int>(tv.tv_usec / 1000));

  std::lock_guard lock(g_mu);
  FILE* out = g_out ? g_out : stdout;
  fprintf(out, "%d:M %s %c %s\n", static_cast<int>(getpid()), when, kMarks[static_cast<int>(level)],
          msg);
  fflush(out);
}

}  // namespace basalt
