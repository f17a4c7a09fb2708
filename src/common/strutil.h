// Number parsing/formatting, glob matching and key hashing with Redis's exact
// semantics. Everything here is pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace basalt {

// Longest text FormatInt64 writes (sign + 19 digits), without a terminator.
inline constexpr size_t kMaxInt64Chars = 20;

// Redis string2ll: optional '-', no '+', no spaces, no leading zeros (except
// "0" itself), no empty string, must fit in int64.
bool ParseInt64(std::string_view s, int64_t* out);

// Redis string2ull semantics for unsigned values (used by SCAN cursors).
bool ParseUint64(std::string_view s, uint64_t* out);

// Redis 7.0 parseScanCursorOrReply (SCAN, HSCAN, SSCAN, ZSCAN): strtoul over
// the C string, so a sign is accepted ("-1" wraps to 2^64-1), "" is 0 and
// parsing stops at an embedded NUL; leading space, junk and overflow fail.
bool ParseScanCursor(std::string_view s, uint64_t* out);

// Redis string2d / getDoubleFromObject: strtod over the whole string, no
// leading/trailing space, NaN rejected, "inf"/"+inf"/"-inf" accepted.
bool ParseDouble(std::string_view s, double* out);

// Redis string2ld (INCRBYFLOAT): strtold over the whole string, no spaces,
// NaN rejected.
bool ParseLongDouble(std::string_view s, long double* out);

// Writes the decimal form of v into buf (at least kMaxInt64Chars bytes), returns length.
size_t FormatInt64(int64_t v, char* buf);
std::string Int64ToString(int64_t v);

// Redis 7.0 addReplyDouble text: "%.17g", with "inf" / "-inf".
std::string FormatDouble(double d);

// Redis ld2string(LD_STR_HUMAN) as used by INCRBYFLOAT and HINCRBYFLOAT:
// "%.17Lf" with trailing zeros (and a trailing '.') removed; "-0" becomes "0".
// Returns false for inf/nan (callers reply "increment would produce NaN or Infinity").
bool FormatLongDouble(long double v, std::string* out);

// Redis stringmatchlen: glob with '*', '?', '[...]' (ranges, '^' negation),
// and '\' escapes.
bool StringMatch(std::string_view pattern, std::string_view s, bool nocase = false);

// CRC16-CCITT (XMODEM) as used by Redis Cluster.
uint16_t Crc16(const char* buf, size_t len);

// Redis Cluster keyHashSlot: CRC16 of the {hashtag} if non-empty, else of the whole key, mod 16384.
uint16_t KeyHashSlot(std::string_view key);

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLower(std::string_view s);

}  // namespace basalt
