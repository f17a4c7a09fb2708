// Reading the RESP part of an AOF (incremental files, RESP bases and the
// tail after an RDB preamble): one command at a time, telling a clean end,
// a truncated tail and corruption apart. Knows nothing of the server, so the
// loader, basalt-check-aof and the fuzz target share it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace basalt::persist {

enum class AofReadStatus {
  kCommand,    // *argv holds the next command (views into the data)
  kEnd,        // clean end of the data
  kTruncated,  // the data ends inside a command
  kCorrupt,    // not a RESP multibulk command: error() says why
};

class AofReader {
 public:
  AofReader(const char* data, size_t size) : data_(data), size_(size) {}
  AofReadStatus Next(std::vector<std::string_view>* argv);
  // Where the next command starts (after the last one read completely).
  size_t offset() const { return pos_; }
  // Lines read so far (RESP lines, as redis-check-aof counts them).
  int64_t line() const { return line_; }
  const std::string& error() const { return error_; }

 private:
  // Reads a "<prefix><integer>\r\n" line at *p. 1 ok, 0 truncated, -1 corrupt.
  int ReadLenLine(size_t* p, char prefix, int64_t* out);

  const char* data_;
  size_t size_;
  size_t pos_ = 0;
  int64_t line_ = 0;
  std::string error_;
};

// A whole RESP AOF checked as a loader would replay it, transactions
// included: `valid_up_to` is the longest prefix that ends on a complete
// command outside MULTI (a file ending inside MULTI loses the open block).
struct AofScanResult {
  AofReadStatus status = AofReadStatus::kEnd;  // kEnd, kTruncated or kCorrupt
  size_t valid_up_to = 0;
  int64_t valid_lines = 0;
  size_t error_offset = 0;  // where the bad command starts
  int64_t commands = 0;
  std::string error;
};
AofScanResult ScanAof(const char* data, size_t size);

// True when the data starts with an RDB header ("REDIS" + 4 digits).
bool HasRdbPreamble(const char* data, size_t size);

}  // namespace basalt::persist
