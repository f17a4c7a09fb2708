// Incremental parser for client requests: RESP multibulk and inline commands.
// It knows nothing of commands: bytes in, argument views out.
//
// Contract: Parse() is called with the unconsumed bytes of the connection's
// input buffer, always starting at the first byte of the current request. On
// kNeedMore the parser remembers how far it got and resumes there when called
// again with the same start and more bytes (the buffer may have moved). On
// kOk the argument views point into `data` (or, for inline requests, into the
// parser's own storage) and stay valid until the next Parse() or Reset().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace basalt::protocol {

struct ParserLimits {
  int64_t max_multibulk_len = 1024 * 1024 * 1024;  // INT_MAX in Redis
  int64_t max_bulk_len = 512LL * 1024 * 1024;      // proto-max-bulk-len
  size_t max_inline_len = 64 * 1024;               // PROTO_INLINE_MAX_SIZE
  // Tighter limits before AUTH, as Redis applies to unauthenticated clients.
  static ParserLimits Unauthenticated(int64_t max_bulk_len) {
    ParserLimits l;
    l.max_multibulk_len = 1024 * 1024;
    l.max_bulk_len = max_bulk_len < 16384 ? max_bulk_len : 16384;
    l.unauthenticated = true;
    return l;
  }
  bool unauthenticated = false;
};

enum class ParseStatus { kOk, kNeedMore, kError };

using ArgList = std::vector<std::string_view>;

class RespParser {
 public:
  ParseStatus Parse(const char* data, size_t len, const ParserLimits& limits, ArgList* args,
                    size_t* consumed);

  // The Redis error text for the last kError (without '-' and CRLF).
  const std::string& error() const { return error_; }
  // Bytes the current request needs in total, when known (0 otherwise), so the
  // caller can size its buffer for a large bulk in one step.
  size_t bytes_needed() const { return bytes_needed_; }
  bool in_multibulk() const { return multibulk_left_ >= 0; }
  void Reset();

 private:
  ParseStatus ParseInline(const char* data, size_t len, const ParserLimits& limits, ArgList* args,
                          size_t* consumed);
  ParseStatus ParseMultibulk(const char* data, size_t len, const ParserLimits& limits,
                             ArgList* args, size_t* consumed);
  ParseStatus Fail(std::string msg);

  int64_t multibulk_left_ = -1;  // -1: not inside a multibulk request
  size_t pos_ = 0;               // resume offset from the request start
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, length) of parsed args
  std::vector<std::string> inline_args_;
  std::string error_;
  size_t bytes_needed_ = 0;
};

// Redis sdssplitargs: splits an inline request honouring "..." (with \xHH,
// \n, \r, \t, \b, \a escapes) and '...' quoting. Returns false on unbalanced quotes.
bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out);

}  // namespace basalt::protocol
