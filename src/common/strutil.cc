#include "common/strutil.h"

#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

namespace basalt {

namespace {

// strtod/strtold/strtoull need a NUL-terminated buffer; arguments are views. Short inputs
// (the common case) stay on the stack.
class CString {
 public:
  explicit CString(std::string_view s) {
    if (s.size() < sizeof(small_)) {
      s.copy(small_, s.size());
      small_[s.size()] = '\0';
      ptr_ = small_;
    } else {
      big_.assign(s);
      ptr_ = big_.c_str();
    }
  }
  const char* get() const { return ptr_; }

 private:
  char small_[128];
  std::string big_;
  const char* ptr_;
};

// Redis runs with the "C" LC_CTYPE, so isspace/tolower are the ASCII ones.
bool IsCSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int AsciiLower(int c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

}  // namespace

bool ParseInt64(std::string_view s, int64_t* out) {
  // Anything longer than "-9223372036854775808" cannot fit.
  if (s.empty() || s.size() > kMaxInt64Chars) return false;
  if (s == "0") {
    *out = 0;
    return true;
  }
  size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative) ++i;
  // The first digit must be 1-9, which rejects "", "-", "01" and "-0" alike.
  if (i == s.size() || s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
  }
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (v > kMaxPositive + 1) return false;
    // Two's-complement negation of the magnitude; well defined on uint64_t.
    *out = static_cast<int64_t>(~v + 1);
  } else {
    if (v > kMaxPositive) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

bool ParseUint64(std::string_view s, uint64_t* out) {
  int64_t ll;
  if (ParseInt64(s, &ll)) {
    if (ll < 0) return false;
    *out = static_cast<uint64_t>(ll);
    return true;
  }
  // Redis falls back to strtoull, and so inherits its leniency: leading whitespace, '+',
  // leading zeros and even a '-' (which wraps modulo 2^64) are accepted. We additionally
  // require the whole view to be consumed, so an embedded NUL is rejected.
  if (s.empty()) return false;
  CString buf(s);
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(buf.get(), &end, 10);
  if (errno == EINVAL || errno == ERANGE) return false;
  if (static_cast<size_t>(end - buf.get()) != s.size()) return false;
  *out = v;
  return true;
}

bool ParseScanCursor(std::string_view arg, uint64_t* out) {
  std::string s(arg);  // strtoul needs a terminator; it stops at an embedded NUL as Redis does
  if (!s.empty() && isspace(static_cast<unsigned char>(s[0]))) return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(s.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  *out = v;
  return true;
}

bool ParseDouble(std::string_view s, double* out) {
  if (s.empty() || IsCSpace(s[0])) return false;
  CString buf(s);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(buf.get(), &end);
  if (static_cast<size_t>(end - buf.get()) != s.size()) return false;
  // Overflow ("1e400") and underflow to zero ("1e-400") are errors; "inf" is not, since
  // strtod parses it without setting ERANGE.
  if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0)) return false;
  if (std::isnan(v)) return false;
  *out = v;
  return true;
}

bool ParseLongDouble(std::string_view s, long double* out) {
  // Redis copies into a MAX_LONG_DOUBLE_CHARS (5 KiB) buffer and refuses what does not fit.
  constexpr size_t kMaxLongDoubleChars = size_t{5} * 1024;
  if (s.empty() || s.size() >= kMaxLongDoubleChars || IsCSpace(s[0])) return false;
  CString buf(s);
  char* end = nullptr;
  errno = 0;
  const long double v = std::strtold(buf.get(), &end);
  if (static_cast<size_t>(end - buf.get()) != s.size()) return false;
  if (errno == ERANGE && (std::isinf(v) || v == 0)) return false;
  if (errno == EINVAL || std::isnan(v)) return false;
  *out = v;
  return true;
}

size_t FormatInt64(int64_t v, char* buf) {
  auto [end, ec] = std::to_chars(buf, buf + kMaxInt64Chars, v);
  (void)ec;  // kMaxInt64Chars always suffices.
  return static_cast<size_t>(end - buf);
}

std::string Int64ToString(int64_t v) {
  char buf[kMaxInt64Chars];
  return std::string(buf, FormatInt64(v, buf));
}

std::string FormatDouble(double d) {
  // Spelled out because some libcs write infinity differently.
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  const int n = std::snprintf(buf, sizeof(buf), "%.17g", d);
  return std::string(buf, static_cast<size_t>(n));
}

bool FormatLongDouble(long double v, std::string* out) {
  if (std::isinf(v) || std::isnan(v)) return false;
  // "%.17Lf" of the largest 80-bit long double is just under 5,000 characters.
  char small[128];
  int n = std::snprintf(small, sizeof(small), "%.17Lf", v);
  std::string s;
  if (static_cast<size_t>(n) < sizeof(small)) {
    s.assign(small, static_cast<size_t>(n));
  } else {
    s.resize(static_cast<size_t>(n) + 1);
    n = std::snprintf(s.data(), s.size(), "%.17Lf", v);
    s.resize(static_cast<size_t>(n));
  }
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  // A tiny negative value rounds to "-0.000..."; Redis shows it as "0".
  if (s == "-0") s = "0";
  *out = std::move(s);
  return true;
}

// ---------------------------------------------------------------------------
// Glob matching.
//
// Redis's stringmatchlen is a recursive backtracker (pruned by its skipLongerMatches flag).
// Every pattern token other than '*' consumes exactly one byte, and how the pattern splits
// into tokens never depends on the subject, so the same answers come from the classic
// iterative matcher that only remembers the most recent '*': O(len(pattern) * len(subject))
// time, O(1) space, no recursion. Redis quirks reproduced on top of that:
//   * an empty subject matches only an empty pattern (so "*" does not match "");
//   * its recursion limit (nesting > 1000, CVE-2022-36021) makes any pattern with more than
//     1000 '*' groups fail, unless group 1001 is the last token of the pattern;
//   * class syntax: "[" or "[^" unterminated runs to the end of the pattern, "a-]" is a
//     range whose end is ']', reversed ranges are swapped, range bounds compare as signed
//     chars, nocase lowers bounds after swapping, and "\x" inside a class is case-sensitive.
// ---------------------------------------------------------------------------

namespace {

enum class TokenKind { kStar, kAny, kClass, kLiteral };

struct GlobToken {
  TokenKind kind;
  size_t end;    // index just past the token in the pattern
  size_t body;   // kClass: first index after "[" / "[^"; kLiteral: index of the byte
  bool negated;  // kClass only
};

class Glob {
 public:
  Glob(std::string_view pattern, bool nocase) : p_(pattern), nocase_(nocase) {}

  // Token starting at pattern index i (i < size).
  GlobToken Token(size_t i) const {
    const size_t m = p_.size();
    switch (p_[i]) {
      case '*': {
        size_t j = i + 1;
        while (j < m && p_[j] == '*') ++j;
        return {TokenKind::kStar, j, 0, false};
      }
      case '?':
        return {TokenKind::kAny, i + 1, 0, false};
      case '[': {
        size_t j = i + 1;
        const bool negated = j < m && p_[j] == '^';
        if (negated) ++j;
        return {TokenKind::kClass, ClassEnd(j), j, negated};
      }
      case '\\':
        if (i + 1 < m) return {TokenKind::kLiteral, i + 2, i + 1, false};
        return {TokenKind::kLiteral, i + 1, i, false};
      default:
        return {TokenKind::kLiteral, i + 1, i, false};
    }
  }

  bool Matches(const GlobToken& t, char c) const {
    switch (t.kind) {
      case TokenKind::kAny:
        return true;
      case TokenKind::kLiteral:
        return SameChar(p_[t.body], c);
      case TokenKind::kClass:
        return ClassMatches(t.body, c) != t.negated;
      case TokenKind::kStar:
        break;
    }
    return false;
  }

 private:
  // Walks a class body starting at i, returning the index just past its closing ']' (or
  // the pattern's end when unterminated). Mirrors ClassMatches's stepping exactly.
  size_t ClassEnd(size_t i) const {
    const size_t m = p_.size();
    while (i < m) {
      if (p_[i] == '\\' && m - i >= 2) {
        i += 2;
      } else if (p_[i] == ']') {
        return i + 1;
      } else if (m - i >= 3 && p_[i + 1] == '-') {
        i += 3;
      } else {
        i += 1;
      }
    }
    return m;
  }

  bool ClassMatches(size_t i, char c) const {
    const size_t m = p_.size();
    bool match = false;
    while (i < m) {
      if (p_[i] == '\\' && m - i >= 2) {
        if (p_[i + 1] == c) match = true;  // escaped members ignore nocase in Redis
        i += 2;
      } else if (p_[i] == ']') {
        break;
      } else if (m - i >= 3 && p_[i + 1] == '-') {
        // Redis compares plain (signed on x86/gcc) chars; keep that ordering on purpose.
        // NOLINTBEGIN(bugprone-signed-char-misuse)
        int lo = static_cast<signed char>(p_[i]);
        int hi = static_cast<signed char>(p_[i + 2]);
        int x = static_cast<signed char>(c);
        // NOLINTEND(bugprone-signed-char-misuse)
        if (lo > hi) std::swap(lo, hi);
        if (nocase_) {
          lo = AsciiLower(lo);
          hi = AsciiLower(hi);
          x = AsciiLower(x);
        }
        if (x >= lo && x <= hi) match = true;
        i += 3;
      } else {
        if (SameChar(p_[i], c)) match = true;
        i += 1;
      }
    }
    return match;
  }

  bool SameChar(char a, char b) const {
    if (!nocase_) return a == b;
    return AsciiLower(static_cast<unsigned char>(a)) == AsciiLower(static_cast<unsigned char>(b));
  }

  std::string_view p_;
  bool nocase_;
};

// Redis gives up below this many nested '*' expansions.
constexpr int kMaxStarNesting = 1000;

}  // namespace

bool StringMatch(std::string_view pattern, std::string_view s, bool nocase) {
  if (s.empty()) return pattern.empty();
  const Glob glob(pattern, nocase);
  const size_t m = pattern.size();

  // Recursion-limit emulation: count '*' groups, and note whether the last token is one.
  int star_groups = 0;
  bool ends_with_star = false;
  for (size_t i = 0; i < m;) {
    const GlobToken t = glob.Token(i);
    ends_with_star = t.kind == TokenKind::kStar;
    if (ends_with_star) ++star_groups;
    i = t.end;
  }
  if (star_groups > kMaxStarNesting + 1) return false;
  if (star_groups == kMaxStarNesting + 1 && !ends_with_star) return false;

  size_t pi = 0;
  size_t si = 0;
  size_t star_resume = std::string_view::npos;  // pattern index just after the last '*'
  size_t star_subject = 0;                      // subject index that '*' currently ends at
  while (si < s.size()) {
    if (pi < m) {
      const GlobToken t = glob.Token(pi);
      if (t.kind == TokenKind::kStar) {
        if (t.end == m) return true;  // trailing '*' swallows the rest
        star_resume = t.end;
        star_subject = si;
        pi = t.end;
        continue;
      }
      if (glob.Matches(t, s[si])) {
        pi = t.end;
        ++si;
        continue;
      }
    }
    if (star_resume == std::string_view::npos) return false;
    // Let the last '*' absorb one more byte and retry the rest from there. Earlier stars
    // never need revisiting: whatever they could absorb, the last one can too.
    pi = star_resume;
    si = ++star_subject;
  }
  while (pi < m && pattern[pi] == '*') ++pi;
  return pi == m;
}

// ---------------------------------------------------------------------------
// CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, no reflection.
// ---------------------------------------------------------------------------

namespace {

constexpr std::array<uint16_t, 256> MakeCrc16Table() {
  std::array<uint16_t, 256> table{};
  for (int i = 0; i < 256; ++i) {
    uint16_t crc = static_cast<uint16_t>(i << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
    table[i] = crc;
  }
  return table;
}

constexpr std::array<uint16_t, 256> kCrc16Table = MakeCrc16Table();

// The CRC of byte x followed by a zero byte. By linearity, two bytes then cost
// two independent lookups instead of two dependent ones (slicing-by-2).
constexpr std::array<uint16_t, 256> MakeCrc16Table2() {
  std::array<uint16_t, 256> table{};
  for (int i = 0; i < 256; ++i) {
    uint16_t t = kCrc16Table[i];
    table[i] = static_cast<uint16_t>(((t & 0xff) << 8) ^ kCrc16Table[t >> 8]);
  }
  return table;
}

constexpr std::array<uint16_t, 256> kCrc16Table2 = MakeCrc16Table2();

constexpr uint16_t kSlotMask = 16384 - 1;

}  // namespace

uint16_t Crc16(const char* buf, size_t len) {
  uint16_t crc = 0;
  size_t i = 0;
  // Key hashing is on every request's path: two bytes a step.
  for (; i + 2 <= len; i += 2) {
    const uint8_t b0 = static_cast<uint8_t>(buf[i]);
    const uint8_t b1 = static_cast<uint8_t>(buf[i + 1]);
    crc = static_cast<uint16_t>(kCrc16Table2[(crc >> 8) ^ b0] ^ kCrc16Table[(crc & 0xff) ^ b1]);
  }
  for (; i < len; ++i) {
    const uint8_t byte = static_cast<uint8_t>(buf[i]);
    crc = static_cast<uint16_t>((crc << 8) ^ kCrc16Table[((crc >> 8) ^ byte) & 0xff]);
  }
  return crc;
}

uint16_t KeyHashSlot(std::string_view key) {
  // Only the first '{' and the first '}' after it count; "{}" means no tag.
  const size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      return Crc16(key.data() + open + 1, close - open - 1) & kSlotMask;
    }
  }
  return Crc16(key.data(), key.size()) & kSlotMask;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(static_cast<unsigned char>(a[i])) !=
        AsciiLower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(AsciiLower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace basalt
