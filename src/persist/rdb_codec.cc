#include "persist/rdb_codec.h"

#include <liblzf/lzf.h>

#include <cmath>
#include <cstring>

#include "common/strutil.h"
#include "persist/rdb_format.h"

namespace basalt::persist::rdb {

void PutByte(std::string* out, uint8_t b) { out->push_back(static_cast<char>(b)); }

void PutLength(std::string* out, uint64_t len) {
  if (len < (1 << 6)) {
    PutByte(out, static_cast<uint8_t>(len));
  } else if (len < (1 << 14)) {
    PutByte(out, static_cast<uint8_t>((len >> 8) | (kLen14Bit << 6)));
    PutByte(out, static_cast<uint8_t>(len & 0xff));
  } else if (len <= UINT32_MAX) {
    PutByte(out, kLen32Bit);
    uint32_t be = __builtin_bswap32(static_cast<uint32_t>(len));
    out->append(reinterpret_cast<const char*>(&be), 4);
  } else {
    PutByte(out, kLen64Bit);
    uint64_t be = __builtin_bswap64(len);
    out->append(reinterpret_cast<const char*>(&be), 8);
  }
}

namespace {

// rdbEncodeInteger: the smallest of the 8/16/32-bit forms, little-endian.
bool PutEncodedInt(std::string* out, int64_t v) {
  const uint8_t prefix = kLenEncoded << 6;
  if (v >= INT8_MIN && v <= INT8_MAX) {
    PutByte(out, prefix | kEncInt8);
    PutByte(out, static_cast<uint8_t>(v));
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    PutByte(out, prefix | kEncInt16);
    auto u = static_cast<uint16_t>(v);
    out->append(reinterpret_cast<const char*>(&u), 2);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    PutByte(out, prefix | kEncInt32);
    auto u = static_cast<uint32_t>(v);
    out->append(reinterpret_cast<const char*>(&u), 4);
  } else {
    return false;
  }
  return true;
}

}  // namespace

void PutString(std::string* out, std::string_view s, bool compress) {
  // Only strings that read back identically may be stored as integers.
  if (s.size() <= 11) {
    int64_t v;
    if (ParseInt64(s, &v) && PutEncodedInt(out, v)) return;
  }
  // As Redis: compressing tiny strings never pays.
  if (compress && s.size() > 20) {
    size_t cap = s.size() - 4;  // it must save at least 4 bytes to be worth it
    // Reused: a snapshot tries this for every value over 20 bytes.
    thread_local std::string scratch;
    if (scratch.size() < cap + 1) scratch.resize(cap + 1);
    unsigned clen = s.size() <= UINT32_MAX
                        ? lzf_compress(s.data(), static_cast<unsigned>(s.size()), scratch.data(),
                                       static_cast<unsigned>(cap))
                        : 0;
    if (clen > 0) {
      PutByte(out, (kLenEncoded << 6) | kEncLzf);
      PutLength(out, clen);
      PutLength(out, s.size());
      out->append(scratch.data(), clen);
      if (scratch.size() > (1u << 20)) std::string().swap(scratch);  // don't pin huge buffers
      return;
    }
    if (scratch.size() > (1u << 20)) std::string().swap(scratch);
  }
  PutLength(out, s.size());
  out->append(s);
}

void PutInteger(std::string* out, int64_t v) {
  if (PutEncodedInt(out, v)) return;
  char buf[kMaxInt64Chars];
  size_t n = FormatInt64(v, buf);
  PutLength(out, n);
  out->append(buf, n);
}

void PutMillis(std::string* out, int64_t ms) { out->append(reinterpret_cast<const char*>(&ms), 8); }

void PutBinaryDouble(std::string* out, double d) {
  out->append(reinterpret_cast<const char*>(&d), 8);
}

// ---------------------------------------------------------------- Cursor

bool Cursor::Fail(std::string_view what) {
  if (error_.empty()) error_ = std::string(what) + " at offset " + std::to_string(offset());
  return false;
}

bool Cursor::Need(size_t n) {
  if (failed()) return false;
  if (remaining() < n) return Fail("unexpected end of data");
  return true;
}

bool Cursor::ReadByte(uint8_t* b) {
  if (!Need(1)) return false;
  *b = static_cast<uint8_t>(*p_++);
  ++consumed_;
  return true;
}

bool Cursor::ReadBytes(size_t n, std::string_view* out) {
  if (!Need(n)) return false;
  *out = std::string_view(p_, n);
  p_ += n;
  consumed_ += n;
  return true;
}

bool Cursor::ReadLength(uint64_t* len, bool* encoded) {
  uint8_t b;
  if (!ReadByte(&b)) return false;
  if (encoded) *encoded = false;
  switch (b >> 6) {
    case kLen6Bit:
      *len = b & 0x3f;
      return true;
    case kLen14Bit: {
      uint8_t b2;
      if (!ReadByte(&b2)) return false;
      *len = (static_cast<uint64_t>(b & 0x3f) << 8) | b2;
      return true;
    }
    case kLenEncoded:
      if (!encoded) return Fail("unexpected string encoding where a length belongs");
      *encoded = true;
      *len = b & 0x3f;
      return true;
    default:
      break;
  }
  std::string_view raw;
  if (b == kLen32Bit) {
    if (!ReadBytes(4, &raw)) return false;
    uint32_t be;
    memcpy(&be, raw.data(), 4);
    *len = __builtin_bswap32(be);
    return true;
  }
  if (b == kLen64Bit) {
    if (!ReadBytes(8, &raw)) return false;
    uint64_t be;
    memcpy(&be, raw.data(), 8);
    *len = __builtin_bswap64(be);
    return true;
  }
  return Fail("unknown length encoding");
}

bool Cursor::ReadString(std::string* out) {
  uint64_t len;
  bool encoded;
  if (!ReadLength(&len, &encoded)) return false;
  if (!encoded) {
    std::string_view raw;
    if (len > remaining()) return Fail("string length beyond the end of data");
    if (!ReadBytes(len, &raw)) return false;
    out->assign(raw);
    return true;
  }
  std::string_view raw;
  int64_t v;
  switch (len) {
    case kEncInt8:
      if (!ReadBytes(1, &raw)) return false;
      v = static_cast<int8_t>(raw[0]);
      break;
    case kEncInt16: {
      if (!ReadBytes(2, &raw)) return false;
      int16_t x;
      memcpy(&x, raw.data(), 2);
      v = x;
      break;
    }
    case kEncInt32: {
      if (!ReadBytes(4, &raw)) return false;
      int32_t x;
      memcpy(&x, raw.data(), 4);
      v = x;
      break;
    }
    case kEncLzf: {
      uint64_t clen, ulen;
      if (!ReadLength(&clen) || !ReadLength(&ulen)) return false;
      if (clen > remaining()) return Fail("compressed length beyond the end of data");
      // LZF expands at most ~100x; anything claiming more is corrupt.
      if (ulen > kMaxStringLength || ulen > clen * 128 + 64) {
        return Fail("implausible uncompressed length");
      }
      if (!ReadBytes(clen, &raw)) return false;
      out->resize(ulen);
      if (ulen == 0 || lzf_decompress(raw.data(), static_cast<unsigned>(clen), out->data(),
                                      static_cast<unsigned>(ulen)) != ulen) {
        return Fail("invalid LZF-compressed string");
      }
      return true;
    }
    default:
      return Fail("unknown string encoding");
  }
  char buf[kMaxInt64Chars];
  out->assign(buf, FormatInt64(v, buf));
  return true;
}

bool Cursor::ReadMillis(int64_t* ms) {
  std::string_view raw;
  if (!ReadBytes(8, &raw)) return false;
  memcpy(ms, raw.data(), 8);
  return true;
}

bool Cursor::ReadSeconds(int32_t* s) {
  std::string_view raw;
  if (!ReadBytes(4, &raw)) return false;
  memcpy(s, raw.data(), 4);
  return true;
}

bool Cursor::ReadBinaryDouble(double* d) {
  std::string_view raw;
  if (!ReadBytes(8, &raw)) return false;
  memcpy(d, raw.data(), 8);
  return true;
}

bool Cursor::ReadStringDouble(double* d) {
  uint8_t len;
  if (!ReadByte(&len)) return false;
  switch (len) {
    case 253:
      *d = NAN;
      return true;
    case 254:
      *d = INFINITY;
      return true;
    case 255:
      *d = -INFINITY;
      return true;
    default:
      break;
  }
  std::string_view raw;
  if (!ReadBytes(len, &raw)) return false;
  std::string text(raw);
  char* end = nullptr;
  *d = strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) return Fail("invalid double");
  return true;
}

}  // namespace basalt::persist::rdb
