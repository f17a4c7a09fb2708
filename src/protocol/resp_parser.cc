#include "protocol/resp_parser.h"

#include <cstdio>
#include <cstring>

#include "common/errors.h"
#include "common/strutil.h"

namespace basalt::protocol {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out) {
  out->clear();
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    while (i < n && IsSpace(line[i])) ++i;
    if (i >= n) return true;
    std::string cur;
    bool in_dq = false, in_sq = false, done = false;
    while (!done) {
      if (in_dq) {
        if (i >= n) return false;
        if (line[i] == '\\' && i + 3 < n && line[i + 1] == 'x' && HexValue(line[i + 2]) >= 0 &&
            HexValue(line[i + 3]) >= 0) {
          cur.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 3;
        } else if (line[i] == '\\' && i + 1 < n) {
          ++i;
          char c = line[i];
          switch (c) {
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'b': c = '\b'; break;
            case 'a': c = '\a'; break;
            default: break;
          }
          cur.push_back(c);
        } else if (line[i] == '"') {
          // A closing quote must be followed by a space or the end.
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          cur.push_back(line[i]);
        }
      } else if (in_sq) {
        if (i >= n) return false;
        if (line[i] == '\\' && i + 1 < n && line[i + 1] == '\'') {
          ++i;
          cur.push_back('\'');
        } else if (line[i] == '\'') {
          if (i + 1 < n && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          cur.push_back(line[i]);
        }
      } else {
        if (i >= n) {
          done = true;
          break;
        }
        switch (line[i]) {
          case ' ': case '\n': case '\r': case '\t': case '\0':
            done = true;
            break;
          case '"': in_dq = true; break;
          case '\'': in_sq = true; break;
          default: cur.push_back(line[i]); break;
        }
      }
      if (i < n) ++i;
    }
    out->push_back(std::move(cur));
  }
}

void RespParser::Reset() {
  multibulk_left_ = -1;
  pos_ = 0;
  spans_.clear();
  bytes_needed_ = 0;
}

ParseStatus RespParser::Fail(std::string msg) {
  error_ = std::move(msg);
  Reset();
  return ParseStatus::kError;
}

ParseStatus RespParser::Parse(const char* data, size_t len, const ParserLimits& limits,
                              ArgList* args, size_t* consumed) {
  args->clear();
  *consumed = 0;
  if (len == 0) return ParseStatus::kNeedMore;
  if (multibulk_left_ < 0 && data[0] != '*') return ParseInline(data, len, limits, args, consumed);
  return ParseMultibulk(data, len, limits, args, consumed);
}

ParseStatus RespParser::ParseInline(const char* data, size_t len, const ParserLimits& limits,
                                    ArgList* args, size_t* consumed) {
  const char* nl = static_cast<const char*>(memchr(data, '\n', len));
  if (!nl) {
    if (len > limits.max_inline_len) return Fail(std::string(errors::kProtoTooBigInline));
    return ParseStatus::kNeedMore;
  }
  size_t line_len = nl - data;
  if (line_len > 0 && data[line_len - 1] == '\r') --line_len;
  if (!SplitInlineArgs(std::string_view(data, line_len), &inline_args_)) {
    return Fail(std::string(errors::kProtoUnbalancedQuotes));
  }
  for (const std::string& a : inline_args_) args->emplace_back(a);
  *consumed = nl - data + 1;
  return ParseStatus::kOk;
}

ParseStatus RespParser::ParseMultibulk(const char* data, size_t len, const ParserLimits& limits,
                                       ArgList* args, size_t* consumed) {
  if (multibulk_left_ < 0) {
    const char* cr = static_cast<const char*>(memchr(data, '\r', len));
    if (!cr) {
      if (len > limits.max_inline_len) return Fail(std::string(errors::kProtoTooBigMbulk));
      return ParseStatus::kNeedMore;
    }
    // Like Redis, the '\n' after '\r' is assumed; wait until it could be there.
    if (static_cast<size_t>(cr - data) + 2 > len) return ParseStatus::kNeedMore;
    int64_t count = 0;
    bool ok = ParseInt64(std::string_view(data + 1, cr - data - 1), &count);
    if (!ok || count > INT32_MAX) return Fail(std::string(errors::kProtoInvalidMultibulk));
    if (limits.unauthenticated && count > limits.max_multibulk_len) {
      return Fail(std::string(errors::kProtoUnauthMbulk));
    }
    if (count > limits.max_multibulk_len) return Fail(std::string(errors::kProtoInvalidMultibulk));
    pos_ = cr - data + 2;
    if (count <= 0) {  // "*0" and "*-1" are empty requests, skipped silently.
      *consumed = pos_;
      Reset();
      return ParseStatus::kOk;
    }
    multibulk_left_ = count;
    spans_.clear();
    // Cap the reservation: the count is client-controlled.
    spans_.reserve(count < 1024 ? count : 1024);
  }

  while (multibulk_left_ > 0) {
    if (pos_ >= len) return ParseStatus::kNeedMore;
    const char* start = data + pos_;
    size_t avail = len - pos_;
    const char* cr = static_cast<const char*>(memchr(start, '\r', avail));
    if (!cr) {
      if (avail > limits.max_inline_len) return Fail(std::string(errors::kProtoTooBigBulk));
      return ParseStatus::kNeedMore;
    }
    if (static_cast<size_t>(cr - start) + 2 > avail) return ParseStatus::kNeedMore;
    if (start[0] != '$') {
      char msg[64];
      snprintf(msg, sizeof(msg), "ERR Protocol error: expected '$', got '%c'", start[0]);
      return Fail(msg);
    }
    int64_t blen = 0;
    bool ok = ParseInt64(std::string_view(start + 1, cr - start - 1), &blen);
    if (!ok || blen < 0) return Fail(std::string(errors::kProtoInvalidBulk));
    if (limits.unauthenticated && blen > limits.max_bulk_len) {
      return Fail(std::string(errors::kProtoUnauthBulk));
    }
    if (blen > limits.max_bulk_len) return Fail(std::string(errors::kProtoInvalidBulk));
    size_t body = (cr - data) + 2;
    size_t need = body + static_cast<size_t>(blen) + 2;
    if (need > len) {
      bytes_needed_ = need;
      return ParseStatus::kNeedMore;
    }
    spans_.emplace_back(body, static_cast<size_t>(blen));
    pos_ = need;
    --multibulk_left_;
  }

  args->reserve(spans_.size());
  for (const auto& [off, n] : spans_) args->emplace_back(data + off, n);
  *consumed = pos_;
  Reset();
  return ParseStatus::kOk;
}

}  // namespace basalt::protocol
