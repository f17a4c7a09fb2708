#include "persist/aof_reader.h"

#include <cctype>
#include <cstring>

namespace basalt::persist {
namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

int AofReader::ReadLenLine(size_t* p, char prefix, int64_t* out) {
  size_t i = *p;
  if (i >= size_) return 0;
  if (data_[i] != prefix) {
    error_ = prefix == '*' ? "Expected '*', got '" : "Expected '$', got '";
    error_ += std::isprint(static_cast<unsigned char>(data_[i])) ? std::string(1, data_[i]) : "?";
    error_ += "'";
    return -1;
  }
  ++i;
  int64_t v = 0;
  size_t digits = 0;
  bool neg = false;
  if (i < size_ && data_[i] == '-') {
    neg = true;
    ++i;
  }
  while (i < size_ && data_[i] >= '0' && data_[i] <= '9') {
    if (digits >= 18) {
      error_ = "Length out of range";
      return -1;
    }
    v = v * 10 + (data_[i] - '0');
    ++digits;
    ++i;
  }
  if (i >= size_) return 0;
  if (data_[i] != '\r') {
    error_ = "Malformed length line";
    return -1;
  }
  if (i + 1 >= size_) return 0;
  if (data_[i + 1] != '\n' || digits == 0 || neg) {
    error_ = "Malformed length line";
    return -1;
  }
  *p = i + 2;
  *out = v;
  return 1;
}

AofReadStatus AofReader::Next(std::vector<std::string_view>* argv) {
  argv->clear();
  // Annotations ("#TS:<unix time>" with aof-timestamp-enabled) are skipped.
  while (pos_ < size_ && data_[pos_] == '#') {
    const void* nl = memchr(data_ + pos_, '\n', size_ - pos_);
    if (!nl) return AofReadStatus::kTruncated;
    pos_ = static_cast<size_t>(static_cast<const char*>(nl) - data_) + 1;
    ++line_;
  }
  if (pos_ >= size_) return AofReadStatus::kEnd;
  size_t p = pos_;
  int64_t argc = 0;
  int r = ReadLenLine(&p, '*', &argc);
  if (r == 0) return AofReadStatus::kTruncated;
  if (r < 0) return AofReadStatus::kCorrupt;
  if (argc < 1) {
    error_ = "Command with no arguments";
    return AofReadStatus::kCorrupt;
  }
  int64_t lines = 1;
  // Every argument takes at least "$0\r\n\r\n": a larger count can't fit.
  if (static_cast<uint64_t>(argc) > (size_ - p) / 6 + 1) {
    return AofReadStatus::kTruncated;
  }
  argv->reserve(static_cast<size_t>(argc));
  for (int64_t i = 0; i < argc; ++i) {
    int64_t len = 0;
    r = ReadLenLine(&p, '$', &len);
    if (r == 0) return AofReadStatus::kTruncated;
    if (r < 0) return AofReadStatus::kCorrupt;
    if (static_cast<uint64_t>(len) + 2 > size_ - p) return AofReadStatus::kTruncated;
    if (data_[p + len] != '\r' || data_[p + len + 1] != '\n') {
      error_ = "Bulk string not terminated by CRLF";
      return AofReadStatus::kCorrupt;
    }
    argv->emplace_back(data_ + p, static_cast<size_t>(len));
    p += static_cast<size_t>(len) + 2;
    lines += 2;
  }
  pos_ = p;
  line_ += lines;
  return AofReadStatus::kCommand;
}

AofScanResult ScanAof(const char* data, size_t size) {
  AofScanResult res;
  AofReader reader(data, size);
  std::vector<std::string_view> argv;
  bool in_multi = false;
  size_t multi_start = 0;
  int64_t multi_lines = 0;
  while (true) {
    size_t before = reader.offset();
    int64_t lines_before = reader.line();
    AofReadStatus st = reader.Next(&argv);
    if (st == AofReadStatus::kCommand) {
      ++res.commands;
      if (EqualsNoCase(argv[0], "multi")) {
        if (in_multi) {
          res.status = AofReadStatus::kCorrupt;
          res.error = "Unexpected MULTI";
          res.error_offset = before;
          return res;
        }
        in_multi = true;
        multi_start = before;
        multi_lines = lines_before;
      } else if (EqualsNoCase(argv[0], "exec")) {
        if (!in_multi) {
          res.status = AofReadStatus::kCorrupt;
          res.error = "Unexpected EXEC";
          res.error_offset = before;
          return res;
        }
        in_multi = false;
      }
      if (!in_multi) {
        res.valid_up_to = reader.offset();
        res.valid_lines = reader.line();
      }
      continue;
    }
    res.status = st;
    if (st == AofReadStatus::kEnd && in_multi) {
      // The block never got its EXEC: a torn tail, dropped whole.
      res.status = AofReadStatus::kTruncated;
      res.error = "Reached EOF before reading EXEC for MULTI";
      res.error_offset = multi_start;
      res.valid_up_to = multi_start;
      res.valid_lines = multi_lines;
      return res;
    }
    if (st == AofReadStatus::kTruncated) {
      res.error = "Unexpected end of file";
      res.error_offset = in_multi ? multi_start : before;
    } else if (st == AofReadStatus::kCorrupt) {
      res.error = reader.error();
      res.error_offset = before;
    } else {
      res.valid_up_to = size;
    }
    return res;
  }
}

bool HasRdbPreamble(const char* data, size_t size) {
  return size >= 9 && memcmp(data, "REDIS", 5) == 0;
}

}  // namespace basalt::persist
