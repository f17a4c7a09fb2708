// SHA-1 as scripts name themselves (EVALSHA, redis.sha1hex): 40 lower-case hex digits.
#pragma once

#include <string>
#include <string_view>

namespace basalt::scripting {

std::string Sha1Hex(std::string_view data);

// Redis's CRC-64 (Jones polynomial, reflected), as RDB payloads checksum themselves.
uint64_t Crc64(uint64_t crc, const void* data, size_t len);

}  // namespace basalt::scripting
