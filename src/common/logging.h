// Process-wide logger: "pid:role dd Mon yyyy hh:mm:ss.mmm <level> message", as
// redis-server prints, to stdout or `logfile`, filtered by `loglevel`.
#pragma once

#include <cstdarg>
#include <string>
#include <string_view>

namespace basalt {

enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

// Returns false for an unknown name; names are Redis's (debug, verbose, notice, warning).
bool ParseLogLevel(std::string_view name, LogLevel* out);
const char* LogLevelName(LogLevel level);

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Empty path logs to stdout. Returns false (and keeps the old target) when the file can't open.
bool SetLogFile(const std::string& path);

void Log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#define BASALT_LOG(level, ...)                                     \
  do {                                                             \
    if ((level) >= ::basalt::GetLogLevel()) ::basalt::Log(level, __VA_ARGS__); \
  } while (0)
#define LOG_DEBUG(...) BASALT_LOG(::basalt::LogLevel::kDebug, __VA_ARGS__)
#define LOG_VERBOSE(...) BASALT_LOG(::basalt::LogLevel::kVerbose, __VA_ARGS__)
#define LOG_NOTICE(...) BASALT_LOG(::basalt::LogLevel::kNotice, __VA_ARGS__)
#define LOG_WARNING(...) BASALT_LOG(::basalt::LogLevel::kWarning, __VA_ARGS__)

}  // namespace basalt
