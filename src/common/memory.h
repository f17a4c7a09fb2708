// Memory accounting from the allocator's own statistics (jemalloc when linked,
// glibc's mallinfo2 in sanitizer builds).
#pragma once

#include <cstddef>
#include <string>

namespace basalt {

struct MemoryStats {
  size_t allocated = 0;  // bytes handed to the program (used_memory)
  size_t active = 0;     // bytes in active pages
  size_t resident = 0;   // bytes the allocator holds resident
  size_t rss = 0;        // process RSS from /proc/self/statm
};

MemoryStats ReadMemoryStats();
// Fast, cheap-to-call estimate of used_memory, for maxmemory checks.
size_t AllocatedBytes();
const char* AllocatorName();  // "jemalloc-5.3.0" or "libc"
// Usable size of a live allocation (malloc_usable_size).
size_t AllocationSize(const void* p);
// Bytes as Redis's bytesToHuman prints them ("1.50M").
std::string BytesToHuman(size_t bytes);

}  // namespace basalt
