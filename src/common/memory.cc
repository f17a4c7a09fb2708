#include "common/memory.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>

#ifdef BASALT_JEMALLOC
#include <jemalloc/jemalloc.h>  // NOLINT
#elif defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// Sanitizers replace malloc; their allocator keeps the statistics (GCC ships
// the runtime but not <sanitizer/allocator_interface.h>).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
extern "C" size_t __sanitizer_get_heap_size();
#define BASALT_SANITIZER_ALLOCATOR 1
#endif

namespace basalt {
namespace {

size_t ReadRss() {
  FILE* f = fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long pages_total = 0, pages_rss = 0;
  int n = fscanf(f, "%ld %ld", &pages_total, &pages_rss);
  fclose(f);
  if (n != 2) return 0;
  return static_cast<size_t>(pages_rss) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

#ifdef BASALT_JEMALLOC
size_t JemallocStat(const char* name) {
  // Stats are cached per epoch; bump it so the numbers are current.
  uint64_t epoch = 1;
  size_t sz = sizeof(epoch);
  mallctl("epoch", &epoch, &sz, &epoch, sz);
  size_t value = 0;
  sz = sizeof(value);
  if (mallctl(name, &value, &sz, nullptr, 0) != 0) return 0;
  return value;
}
#endif

}  // namespace

MemoryStats ReadMemoryStats() {
  MemoryStats s;
#ifdef BASALT_JEMALLOC
  s.allocated = JemallocStat("stats.allocated");
  s.active = JemallocStat("stats.active");
  s.resident = JemallocStat("stats.resident");
#elif defined(BASALT_SANITIZER_ALLOCATOR)
  s.allocated = __sanitizer_get_current_allocated_bytes();
  s.active = s.allocated;
  s.resident = __sanitizer_get_heap_size();
#else
  struct mallinfo2 mi = mallinfo2();
  s.allocated = mi.uordblks + mi.hblkhd;
  s.active = s.allocated;
  s.resident = mi.arena + mi.hblkhd;
#endif
  s.rss = ReadRss();
  return s;
}

size_t AllocatedBytes() {
#ifdef BASALT_JEMALLOC
  return JemallocStat("stats.allocated");
#elif defined(BASALT_SANITIZER_ALLOCATOR)
  return __sanitizer_get_current_allocated_bytes();
#else
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
#endif
}

const char* AllocatorName() {
#ifdef BASALT_JEMALLOC
  #define BASALT_STR2(x) #x
#define BASALT_STR(x) BASALT_STR2(x)
  return "jemalloc-" BASALT_STR(JEMALLOC_VERSION_MAJOR) "." BASALT_STR(
      JEMALLOC_VERSION_MINOR) "." BASALT_STR(JEMALLOC_VERSION_BUGFIX);
#elif defined(BASALT_SANITIZER_ALLOCATOR)
  return "sanitizer";
#else
  return "libc";
#endif
}

size_t AllocationSize(const void* p) { return malloc_usable_size(const_cast<void*>(p)); }

std::string BytesToHuman(size_t n) {
  char buf[64];
  double d = static_cast<double>(n);
  if (n < 1024) {
    snprintf(buf, sizeof(buf), "%zuB", n);
  } else if (n < 1024ull * 1024) {
    snprintf(buf, sizeof(buf), "%.2fK", d / 1024);
  } else if (n < 1024ull * 1024 * 1024) {
    snprintf(buf, sizeof(buf), "%.2fM", d / (1024.0 * 1024));
  } else if (n < 1024ull * 1024 * 1024 * 1024) {
    snprintf(buf, sizeof(buf), "%.2fG", d / (1024.0 * 1024 * 1024));
  } else {
    snprintf(buf, sizeof(buf), "%.2fT", d / (1024.0 * 1024 * 1024 * 1024));
  }
  return buf;
}

}  // namespace basalt
