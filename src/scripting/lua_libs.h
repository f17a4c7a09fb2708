// The Lua libraries Redis bundles that Debian does not package: struct
// (Roberto Ierusalimschy's binary pack/unpack) and cmsgpack (MessagePack).
// Written for Basalt, compatible with Redis's bundled versions.
#pragma once

extern "C" {
#include <lua5.1/lua.h>
}

namespace basalt::scripting {

int OpenStructLib(lua_State* L);
int OpenCmsgpackLib(lua_State* L);

}  // namespace basalt::scripting
