// cmsgpack: MessagePack encoding of Lua values, with the choices of the
// lua-cmsgpack library Redis bundles (integers in the smallest encoding,
// floats as float32 when exact, tables as arrays when their keys are 1..n,
// nesting capped at 16 levels, str8 for strings of 32..255 bytes).
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "scripting/lua_libs.h"

extern "C" {
#include <lua5.1/lauxlib.h>
}

namespace basalt::scripting {
namespace {

constexpr int kMaxNesting = 16;

void PutBe(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void EncodeInt(std::string* out, int64_t n) {
  if (n >= 0) {
    if (n <= 127) {
      out->push_back(static_cast<char>(n));
    } else if (n <= 0xff) {
      out->push_back(static_cast<char>(0xcc));
      PutBe(out, n, 1);
    } else if (n <= 0xffff) {
      out->push_back(static_cast<char>(0xcd));
      PutBe(out, n, 2);
    } else if (n <= 0xffffffffLL) {
      out->push_back(static_cast<char>(0xce));
      PutBe(out, n, 4);
    } else {
      out->push_back(static_cast<char>(0xcf));
      PutBe(out, n, 8);
    }
  } else {
    if (n >= -32) {
      out->push_back(static_cast<char>(n));
    } else if (n >= -128) {
      out->push_back(static_cast<char>(0xd0));
      PutBe(out, static_cast<uint64_t>(n), 1);
    } else if (n >= -32768) {
      out->push_back(static_cast<char>(0xd1));
      PutBe(out, static_cast<uint64_t>(n), 2);
    } else if (n >= -2147483648LL) {
      out->push_back(static_cast<char>(0xd2));
      PutBe(out, static_cast<uint64_t>(n), 4);
    } else {
      out->push_back(static_cast<char>(0xd3));
      PutBe(out, static_cast<uint64_t>(n), 8);
    }
  }
}

void EncodeDouble(std::string* out, double d) {
  float f = static_cast<float>(d);
  if (static_cast<double>(f) == d) {
    uint32_t u;
    memcpy(&u, &f, 4);
    out->push_back(static_cast<char>(0xca));
    PutBe(out, u, 4);
  } else {
    uint64_t u;
    memcpy(&u, &d, 8);
    out->push_back(static_cast<char>(0xcb));
    PutBe(out, u, 8);
  }
}

void EncodeBytes(std::string* out, const char* s, size_t len) {
  if (len < 32) {
    out->push_back(static_cast<char>(0xa0 | len));
  } else if (len <= 0xff) {
    out->push_back(static_cast<char>(0xd9));
    PutBe(out, len, 1);
  } else if (len <= 0xffff) {
    out->push_back(static_cast<char>(0xda));
    PutBe(out, len, 2);
  } else {
    out->push_back(static_cast<char>(0xdb));
    PutBe(out, len, 4);
  }
  out->append(s, len);
}

void EncodeHeader(std::string* out, size_t n, unsigned char fix, unsigned char m16,
                  unsigned char m32) {
  if (n <= 15) {
    out->push_back(static_cast<char>(fix | n));
  } else if (n <= 0xffff) {
    out->push_back(static_cast<char>(m16));
    PutBe(out, n, 2);
  } else {
    out->push_back(static_cast<char>(m32));
    PutBe(out, n, 4);
  }
}

// Returns the array length when the table's keys are exactly 1..n, or -1.
long long ArrayLength(lua_State* L) {
  long long max = 0, count = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TNUMBER) {
      lua_Number n = lua_tonumber(L, -1);
      if (n > 0 && n == static_cast<lua_Number>(static_cast<long long>(n))) {
        if (n > max) max = static_cast<long long>(n);
        ++count;
        continue;
      }
    }
    lua_pop(L, 1);
    return -1;
  }
  return max == count ? max : -1;
}

void Encode(lua_State* L, std::string* out, int level);

void EncodeTable(lua_State* L, std::string* out, int level) {
  luaL_checkstack(L, 3, "in function mp_encode_lua_table");
  long long len = ArrayLength(L);
  if (len >= 0) {
    EncodeHeader(out, static_cast<size_t>(len), 0x90, 0xdc, 0xdd);
    for (long long j = 1; j <= len; ++j) {
      lua_rawgeti(L, -1, static_cast<int>(j));
      Encode(L, out, level + 1);
    }
    return;
  }
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    ++n;
  }
  EncodeHeader(out, n, 0x80, 0xde, 0xdf);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pushvalue(L, -2);
    Encode(L, out, level + 1);  // key
    Encode(L, out, level + 1);  // value
  }
}

// Encodes the value on top of the stack and pops it.
void Encode(lua_State* L, std::string* out, int level) {
  int t = lua_type(L, -1);
  if (t == LUA_TTABLE && level == kMaxNesting) t = LUA_TNIL;
  switch (t) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      EncodeBytes(out, s, len);
      break;
    }
    case LUA_TBOOLEAN:
      out->push_back(static_cast<char>(lua_toboolean(L, -1) ? 0xc3 : 0xc2));
      break;
    case LUA_TNUMBER: {
      lua_Number n = lua_tonumber(L, -1);
      if (!std::isinf(n) && !std::isnan(n) && n >= -9.2e18 && n <= 1.8e19 &&
          n == static_cast<lua_Number>(static_cast<int64_t>(n))) {
        EncodeInt(out, static_cast<int64_t>(n));
      } else {
        EncodeDouble(out, n);
      }
      break;
    }
    case LUA_TTABLE:
      EncodeTable(L, out, level);
      break;
    default:
      out->push_back(static_cast<char>(0xc0));
  }
  lua_pop(L, 1);
}

int Pack(lua_State* L) {
  int nargs = lua_gettop(L);
  if (nargs == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  if (!lua_checkstack(L, nargs))
    return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
  std::string out;
  for (int i = 1; i <= nargs; ++i) {
    lua_pushvalue(L, i);
    Encode(L, &out, 0);
  }
  lua_pushlstring(L, out.data(), out.size());
  return 1;
}

// ---- decoding

enum { kOk = 0, kEof = 1, kBadFmt = 2 };

struct Cursor {
  const unsigned char* p;
  size_t left;
  int err = kOk;
};

uint64_t GetBe(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

void Decode(lua_State* L, Cursor* c);

bool Need(Cursor* c, size_t n) {
  if (c->left < n) {
    c->err = kEof;
    return false;
  }
  return true;
}

void DecodeArray(lua_State* L, Cursor* c, size_t n) {
  luaL_checkstack(L, 1, "in function mp_decode_to_lua_array");
  lua_newtable(L);
  for (size_t i = 1; i <= n; ++i) {
    Decode(L, c);
    if (c->err) return;
    lua_rawseti(L, -2, static_cast<int>(i));
  }
}

void DecodeMap(lua_State* L, Cursor* c, size_t n) {
  luaL_checkstack(L, 3, "in function mp_decode_to_lua_hash");
  lua_newtable(L);
  for (size_t i = 0; i < n; ++i) {
    Decode(L, c);
    if (c->err) return;
    Decode(L, c);
    if (c->err) return;
    if (lua_isnil(L, -2)) {
      lua_pop(L, 2);
    } else {
      lua_settable(L, -3);
    }
  }
}

void Decode(lua_State* L, Cursor* c) {
  if (!Need(c, 1)) return;
  unsigned char b = c->p[0];
  auto take = [&](size_t n) {
    c->p += n;
    c->left -= n;
  };
  auto str = [&](int hdr, size_t len) {
    if (!Need(c, hdr + len)) return;
    lua_pushlstring(L, reinterpret_cast<const char*>(c->p + hdr), len);
    take(hdr + len);
  };
  switch (b) {
    case 0xcc:
      if (!Need(c, 2)) return;
      lua_pushnumber(L, c->p[1]);
      take(2);
      return;
    case 0xd0:
      if (!Need(c, 2)) return;
      lua_pushnumber(L, static_cast<int8_t>(c->p[1]));
      take(2);
      return;
    case 0xcd:
      if (!Need(c, 3)) return;
      lua_pushnumber(L, static_cast<lua_Number>(GetBe(c->p + 1, 2)));
      take(3);
      return;
    case 0xd1:
      if (!Need(c, 3)) return;
      lua_pushnumber(L, static_cast<int16_t>(GetBe(c->p + 1, 2)));
      take(3);
      return;
    case 0xce:
      if (!Need(c, 5)) return;
      lua_pushnumber(L, static_cast<lua_Number>(GetBe(c->p + 1, 4)));
      take(5);
      return;
    case 0xd2:
      if (!Need(c, 5)) return;
      lua_pushnumber(L, static_cast<int32_t>(GetBe(c->p + 1, 4)));
      take(5);
      return;
    case 0xcf:
      if (!Need(c, 9)) return;
      lua_pushnumber(L, static_cast<lua_Number>(GetBe(c->p + 1, 8)));
      take(9);
      return;
    case 0xd3:
      if (!Need(c, 9)) return;
      lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(GetBe(c->p + 1, 8))));
      take(9);
      return;
    case 0xc0:
      lua_pushnil(L);
      take(1);
      return;
    case 0xc3:
      lua_pushboolean(L, 1);
      take(1);
      return;
    case 0xc2:
      lua_pushboolean(L, 0);
      take(1);
      return;
    case 0xca: {
      if (!Need(c, 5)) return;
      uint32_t u = static_cast<uint32_t>(GetBe(c->p + 1, 4));
      float f;
      memcpy(&f, &u, 4);
      lua_pushnumber(L, f);
      take(5);
      return;
    }
    case 0xcb: {
      if (!Need(c, 9)) return;
      uint64_t u = GetBe(c->p + 1, 8);
      double d;
      memcpy(&d, &u, 8);
      lua_pushnumber(L, d);
      take(9);
      return;
    }
    case 0xd9:
      if (!Need(c, 2)) return;
      str(2, c->p[1]);
      return;
    case 0xda:
      if (!Need(c, 3)) return;
      str(3, GetBe(c->p + 1, 2));
      return;
    case 0xdb:
      if (!Need(c, 5)) return;
      str(5, GetBe(c->p + 1, 4));
      return;
    case 0xdc: {
      if (!Need(c, 3)) return;
      size_t n = GetBe(c->p + 1, 2);
      take(3);
      DecodeArray(L, c, n);
      return;
    }
    case 0xdd: {
      if (!Need(c, 5)) return;
      size_t n = GetBe(c->p + 1, 4);
      take(5);
      DecodeArray(L, c, n);
      return;
    }
    case 0xde: {
      if (!Need(c, 3)) return;
      size_t n = GetBe(c->p + 1, 2);
      take(3);
      DecodeMap(L, c, n);
      return;
    }
    case 0xdf: {
      if (!Need(c, 5)) return;
      size_t n = GetBe(c->p + 1, 4);
      take(5);
      DecodeMap(L, c, n);
      return;
    }
    default:
      break;
  }
  if ((b & 0x80) == 0) {
    lua_pushnumber(L, b);
    take(1);
  } else if ((b & 0xe0) == 0xe0) {
    lua_pushnumber(L, static_cast<int8_t>(b));
    take(1);
  } else if ((b & 0xe0) == 0xa0) {
    str(1, b & 0x1f);
  } else if ((b & 0xf0) == 0x90) {
    take(1);
    DecodeArray(L, c, b & 0xf);
  } else if ((b & 0xf0) == 0x80) {
    take(1);
    DecodeMap(L, c, b & 0xf);
  } else {
    c->err = kBadFmt;
  }
}

int UnpackFull(lua_State* L, int limit, int offset) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  bool decode_all = !limit && !offset;
  if (offset < 0 || limit < 0) {
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.", offset,
                      static_cast<int>(len));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.", offset,
                      static_cast<int>(len));
  }
  if (decode_all) limit = INT_MAX;
  Cursor c{reinterpret_cast<const unsigned char*>(s) + offset, len - offset};
  int cnt = 0;
  for (; c.left > 0 && cnt < limit; ++cnt) {
    luaL_checkstack(L, 1,
                    "too many return values at once; use unpack_one or unpack_limit instead.");
    Decode(L, &c);
    if (c.err == kEof) return luaL_error(L, "Missing bytes in input.");
    if (c.err == kBadFmt) return luaL_error(L, "Bad data format in input.");
  }
  if (!decode_all) {
    int next = static_cast<int>(len - c.left);
    luaL_checkstack(L, 1, "in function mp_check_stack");
    lua_pushinteger(L, c.left == 0 ? -1 : next);
    lua_insert(L, 2);
    ++cnt;
  }
  return cnt;
}

int Unpack(lua_State* L) { return UnpackFull(L, 0, 0); }

int UnpackOne(lua_State* L) {
  int offset = static_cast<int>(luaL_optinteger(L, 2, 0));
  lua_pop(L, lua_gettop(L) - 1);
  return UnpackFull(L, 1, offset);
}

int UnpackLimit(lua_State* L) {
  int limit = static_cast<int>(luaL_checkinteger(L, 2));
  int offset = static_cast<int>(luaL_optinteger(L, 3, 0));
  lua_pop(L, lua_gettop(L) - 1);
  return UnpackFull(L, limit, offset);
}

}  // namespace

int OpenCmsgpackLib(lua_State* L) {
  static const luaL_Reg kFuncs[] = {{"pack", Pack},
                                    {"unpack", Unpack},
                                    {"unpack_one", UnpackOne},
                                    {"unpack_limit", UnpackLimit},
                                    {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, kFuncs);
  lua_pushliteral(L, "lua-cmsgpack");
  lua_setfield(L, -2, "_NAME");
  lua_pushliteral(L, "lua-cmsgpack 0.4.0");
  lua_setfield(L, -2, "_VERSION");
  lua_pushliteral(L, "Copyright (C) 2012, Salvatore Sanfilippo");
  lua_setfield(L, -2, "_COPYRIGHT");
  lua_pushliteral(L, "MessagePack C implementation for Lua");
  lua_setfield(L, -2, "_DESCRIPTION");
  return 1;
}

}  // namespace basalt::scripting
