// SHA-1 as scripts name themselves (EVALSHA, redis.sha1hex): 40 lower-case
// hex digits, computed by OpenSSL's libcrypto.
#pragma once

#include <string>
#include <string_view>

namespace basalt::scripting {

std::string Sha1Hex(std::string_view data);

}  // namespace basalt::scripting
