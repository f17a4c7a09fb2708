#include "persist/rdb_blobs.h"

#include <cstring>

#include "common/strutil.h"

namespace basalt::persist::rdb {
namespace {

template <class T>
T LoadLE(const char* p) {
  T v;
  memcpy(&v, p, sizeof(T));
  return v;
}

std::string IntText(int64_t v) {
  char buf[kMaxInt64Chars];
  return std::string(buf, FormatInt64(v, buf));
}

// Bytes lpEncodeBacklen uses for an entry of `len` bytes.
size_t BacklenSize(size_t len) {
  if (len <= 127) return 1;
  if (len < 16383) return 2;
  if (len < 2097151) return 3;
  if (len < 268435455) return 4;
  return 5;
}

}  // namespace

// ---------------------------------------------------------------- listpack

ListpackBuilder::ListpackBuilder() { buf_.assign(6, '\0'); }

void ListpackBuilder::AppendBacklen(size_t l) {
  // The entry's length, written so it can be decoded from its last byte
  // backwards: the first byte holds the most significant 7 bits, every
  // following byte has its top bit set.
  size_t n = BacklenSize(l);
  for (size_t i = 0; i < n; ++i) {
    auto b = static_cast<uint8_t>((l >> (7 * (n - 1 - i))) & 127);
    if (i > 0) b |= 128;
    buf_.push_back(static_cast<char>(b));
  }
}

void ListpackBuilder::AppendInt(int64_t v) {
  size_t start = buf_.size();
  auto put = [&](uint8_t tag, int bytes) {
    buf_.push_back(static_cast<char>(tag));
    auto u = static_cast<uint64_t>(v);
    for (int i = 0; i < bytes; ++i) buf_.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  };
  if (v >= 0 && v <= 127) {
    buf_.push_back(static_cast<char>(v));
  } else if (v >= -4096 && v <= 4095) {
    uint64_t u = v < 0 ? static_cast<uint64_t>((1 << 13) + v) : static_cast<uint64_t>(v);
    buf_.push_back(static_cast<char>((u >> 8) | 0xC0));
    buf_.push_back(static_cast<char>(u & 0xff));
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    put(0xF1, 2);
  } else if (v >= -(1 << 23) && v <= (1 << 23) - 1) {
    put(0xF2, 3);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    put(0xF3, 4);
  } else {
    put(0xF4, 8);
  }
  AppendBacklen(buf_.size() - start);
  ++count_;
}

void ListpackBuilder::Append(std::string_view s) {
  int64_t v;
  if (s.size() <= 20 && ParseInt64(s, &v)) {
    AppendInt(v);
    return;
  }
  size_t start = buf_.size();
  if (s.size() < 64) {
    buf_.push_back(static_cast<char>(0x80 | s.size()));
  } else if (s.size() < 4096) {
    buf_.push_back(static_cast<char>(0xE0 | (s.size() >> 8)));
    buf_.push_back(static_cast<char>(s.size() & 0xff));
  } else {
    buf_.push_back(static_cast<char>(0xF0));
    auto n = static_cast<uint32_t>(s.size());
    buf_.append(reinterpret_cast<const char*>(&n), 4);
  }
  buf_.append(s);
  AppendBacklen(buf_.size() - start);
  ++count_;
}

std::string ListpackBuilder::Finish() {
  buf_.push_back(static_cast<char>(0xFF));
  auto total = static_cast<uint32_t>(buf_.size());
  // Above 65534 elements the count is "unknown" and readers must walk.
  auto n = static_cast<uint16_t>(count_ < 65535 ? count_ : 65535);
  memcpy(buf_.data(), &total, 4);
  memcpy(buf_.data() + 4, &n, 2);
  std::string out = std::move(buf_);
  buf_.assign(6, '\0');
  count_ = 0;
  return out;
}

bool ParseListpack(std::string_view blob, std::vector<std::string>* out, std::string* err) {
  if (blob.size() < 7) return *err = "listpack too short", false;
  if (LoadLE<uint32_t>(blob.data()) != blob.size()) return *err = "listpack size mismatch", false;
  if (static_cast<uint8_t>(blob.back()) != 0xFF) return *err = "listpack without terminator", false;
  const uint16_t declared = LoadLE<uint16_t>(blob.data() + 4);
  const char* p = blob.data() + 6;
  const char* end = blob.data() + blob.size() - 1;
  size_t count = 0;
  while (p < end) {
    const auto b = static_cast<uint8_t>(*p);
    size_t avail = static_cast<size_t>(end - p);
    size_t hdr = 0, len = 0;
    bool is_int = true;
    int64_t v = 0;
    auto need = [&](size_t n) { return avail >= n; };
    if ((b & 0x80) == 0) {
      hdr = 1;
      v = b & 0x7f;
    } else if ((b & 0xC0) == 0x80) {
      is_int = false;
      hdr = 1;
      len = b & 0x3f;
    } else if ((b & 0xE0) == 0xC0) {
      if (!need(2)) break;
      hdr = 2;
      uint64_t u = (static_cast<uint64_t>(b & 0x1f) << 8) | static_cast<uint8_t>(p[1]);
      v = u >= (1u << 12) ? static_cast<int64_t>(u) - (1 << 13) : static_cast<int64_t>(u);
    } else if ((b & 0xF0) == 0xE0) {
      if (!need(2)) break;
      is_int = false;
      hdr = 2;
      len = (static_cast<size_t>(b & 0x0f) << 8) | static_cast<uint8_t>(p[1]);
    } else if (b == 0xF0) {
      if (!need(5)) break;
      is_int = false;
      hdr = 5;
      len = LoadLE<uint32_t>(p + 1);
    } else if (b >= 0xF1 && b <= 0xF4) {
      static constexpr int kBytes[] = {2, 3, 4, 8};
      int nb = kBytes[b - 0xF1];
      if (!need(1 + nb)) break;
      hdr = 1 + nb;
      uint64_t u = 0;
      for (int i = 0; i < nb; ++i)
        u |= static_cast<uint64_t>(static_cast<uint8_t>(p[1 + i])) << (8 * i);
      if (nb < 8 && (u >> (8 * nb - 1)) & 1) u |= ~uint64_t{0} << (8 * nb);  // sign-extend
      v = static_cast<int64_t>(u);
    } else {
      return *err = "invalid listpack entry encoding", false;
    }
    size_t entry = hdr + len;
    if (entry < hdr || entry > avail) return *err = "listpack entry beyond its end", false;
    size_t total = entry + BacklenSize(entry);
    if (total > avail) return *err = "listpack entry beyond its end", false;
    out->push_back(is_int ? IntText(v) : std::string(p + hdr, len));
    p += total;
    ++count;
  }
  if (p != end) return *err = "listpack entry beyond its end", false;
  if (declared != 65535 && declared != count) return *err = "listpack count mismatch", false;
  return true;
}

// ---------------------------------------------------------------- ziplist

bool ParseZiplist(std::string_view blob, std::vector<std::string>* out, std::string* err) {
  if (blob.size() < 11) return *err = "ziplist too short", false;
  if (LoadLE<uint32_t>(blob.data()) != blob.size()) return *err = "ziplist size mismatch", false;
  if (static_cast<uint8_t>(blob.back()) != 0xFF) return *err = "ziplist without terminator", false;
  const uint32_t tail = LoadLE<uint32_t>(blob.data() + 4);
  const uint16_t declared = LoadLE<uint16_t>(blob.data() + 8);
  const char* p = blob.data() + 10;
  const char* end = blob.data() + blob.size() - 1;
  size_t count = 0;
  size_t prev_entry_len = 0;
  size_t last_offset = 10;
  // As Redis's deep validation (which it always applies to ziplists, since it
  // converts them): back links and the tail offset must be consistent.
  while (p < end) {
    size_t avail = static_cast<size_t>(end - p);
    const char* entry_start = p;
    last_offset = static_cast<size_t>(p - blob.data());
    size_t prevlen_size = static_cast<uint8_t>(*p) < 254 ? 1 : 5;
    if (static_cast<uint8_t>(*p) == 255) return *err = "ziplist entry with an end marker", false;
    if (avail < prevlen_size + 1) return *err = "ziplist entry beyond its end", false;
    size_t prevlen = prevlen_size == 1 ? static_cast<uint8_t>(*p) : LoadLE<uint32_t>(p + 1);
    if (prevlen != prev_entry_len) return *err = "ziplist entry with a wrong back link", false;
    p += prevlen_size;
    avail -= prevlen_size;
    const auto e = static_cast<uint8_t>(*p);
    size_t hdr = 1, len = 0;
    bool is_int = true;
    int64_t v = 0;
    switch (e >> 6) {
      case 0:
        is_int = false;
        len = e & 0x3f;
        break;
      case 1:
        if (avail < 2) return *err = "ziplist entry beyond its end", false;
        is_int = false;
        hdr = 2;
        len = (static_cast<size_t>(e & 0x3f) << 8) | static_cast<uint8_t>(p[1]);
        break;
      case 2:
        if (avail < 5) return *err = "ziplist entry beyond its end", false;
        is_int = false;
        hdr = 5;
        len = __builtin_bswap32(LoadLE<uint32_t>(p + 1));
        break;
      default:
        if (e == 0xC0) {
          len = 2;
        } else if (e == 0xD0) {
          len = 4;
        } else if (e == 0xE0) {
          len = 8;
        } else if (e == 0xF0) {
          len = 3;
        } else if (e == 0xFE) {
          len = 1;
        } else if (e >= 0xF1 && e <= 0xFD) {
          v = (e & 0x0f) - 1;
        } else {
          return *err = "invalid ziplist entry encoding", false;
        }
        break;
    }
    if (hdr + len > avail || hdr + len < hdr) return *err = "ziplist entry beyond its end", false;
    if (is_int && len > 0) {
      uint64_t u = 0;
      for (size_t i = 0; i < len; ++i)
        u |= static_cast<uint64_t>(static_cast<uint8_t>(p[1 + i])) << (8 * i);
      if (len < 8 && (u >> (8 * len - 1)) & 1) u |= ~uint64_t{0} << (8 * len);
      v = static_cast<int64_t>(u);
    }
    out->push_back(is_int ? IntText(v) : std::string(p + hdr, len));
    p += hdr + len;
    prev_entry_len = static_cast<size_t>(p - entry_start);
    ++count;
  }
  if (tail != last_offset) return *err = "ziplist tail offset mismatch", false;
  if (declared != 65535 && declared != count) return *err = "ziplist count mismatch", false;
  return true;
}

// ---------------------------------------------------------------- zipmap

bool ParseZipmap(std::string_view blob, std::vector<std::string>* out, std::string* err) {
  if (blob.size() < 2) return *err = "zipmap too short", false;
  const char* p = blob.data() + 1;  // skip the (capped) pair count
  const char* end = blob.data() + blob.size();
  auto read_len = [&](size_t* len) {
    if (p >= end) return false;
    auto b = static_cast<uint8_t>(*p);
    if (b < 254) {
      *len = b;
      ++p;
      return true;
    }
    if (b == 255 || end - p < 5) return false;
    *len = LoadLE<uint32_t>(p + 1);
    p += 5;
    return true;
  };
  size_t n = 0;
  while (p < end && static_cast<uint8_t>(*p) != 255) {
    size_t len;
    if (!read_len(&len)) return *err = "invalid zipmap length", false;
    size_t free_bytes = 0;
    if (n % 2 == 1) {  // a value: one byte of trailing free space follows its length
      if (p >= end) return *err = "zipmap entry beyond its end", false;
      free_bytes = static_cast<uint8_t>(*p++);
    }
    if (static_cast<size_t>(end - p) < len + free_bytes)
      return *err = "zipmap entry beyond its end", false;
    out->emplace_back(p, len);
    p += len + free_bytes;
    ++n;
  }
  if (p >= end || p + 1 != end) return *err = "zipmap without terminator", false;
  if (n % 2) return *err = "zipmap with an odd number of strings", false;
  return true;
}

// ---------------------------------------------------------------- intset

bool ParseIntset(std::string_view blob, std::vector<std::string>* out, std::string* err) {
  if (blob.size() < 8) return *err = "intset too short", false;
  uint32_t width = LoadLE<uint32_t>(blob.data());
  uint32_t len = LoadLE<uint32_t>(blob.data() + 4);
  if (width != 2 && width != 4 && width != 8) return *err = "invalid intset encoding", false;
  if (8 + static_cast<uint64_t>(len) * width != blob.size())
    return *err = "intset size mismatch", false;
  const char* p = blob.data() + 8;
  for (uint32_t i = 0; i < len; ++i, p += width) {
    int64_t v = width == 2   ? LoadLE<int16_t>(p)
                : width == 4 ? LoadLE<int32_t>(p)
                             : LoadLE<int64_t>(p);
    out->push_back(IntText(v));
  }
  return true;
}

std::string BuildIntset(const std::vector<int64_t>& values, unsigned width) {
  std::string out;
  uint32_t hdr[2] = {width, static_cast<uint32_t>(values.size())};
  out.append(reinterpret_cast<const char*>(hdr), 8);
  for (int64_t v : values)
    out.append(reinterpret_cast<const char*>(&v), width);  // little-endian truncation
  return out;
}

}  // namespace basalt::persist::rdb
