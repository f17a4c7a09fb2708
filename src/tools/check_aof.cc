// basalt-check-aof [--fix] <manifest|file>: checks an append-only file as
// the loader reads it, and with --fix truncates it to its last complete
// command (dropping a MULTI block without its EXEC), like redis-check-aof.
// Given a manifest, it checks every file it lists; only the last incremental
// file may be repaired, as only its tail can be torn by a crash.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "db/keyspace.h"
#include "persist/aof_reader.h"
#include "persist/manifest.h"
#include "persist/rdb_reader.h"

namespace {

using basalt::persist::AofReadStatus;

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

std::string BaseNameOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

enum class Verdict { kValid, kFixed, kInvalid };

Verdict CheckRdb(const std::string& path, const std::string& data, const char* kind) {
  basalt::db::Keyspace ks(16);
  basalt::persist::rdb::LoadStats stats;
  std::string error;
  printf("Start to check %s AOF (RDB format).\n", kind);
  if (!basalt::persist::rdb::LoadRdb(data, ks, basalt::persist::rdb::LoadLimits(), 0, true, &stats,
                                     &error)) {
    printf("RDB preamble of AOF file %s is not valid: %s\n", path.c_str(), error.c_str());
    return Verdict::kInvalid;
  }
  printf("RDB preamble is OK, proceeding with AOF tail...\n");
  return Verdict::kValid;
}

Verdict CheckResp(const std::string& path, const std::string& data, bool fix, bool may_fix,
                  const char* kind) {
  basalt::persist::AofScanResult r = basalt::persist::ScanAof(data.data(), data.size());
  size_t diff = data.size() - r.valid_up_to;
  printf("AOF analyzed: filename=%s, size=%zu, ok_up_to=%zu, ok_up_to_line=%lld, diff=%zu\n",
         BaseNameOf(path).c_str(), data.size(), r.valid_up_to,
         static_cast<long long>(r.valid_lines), diff);
  if (r.status == AofReadStatus::kEnd) {
    printf("%s AOF %s is valid\n", kind, BaseNameOf(path).c_str());
    return Verdict::kValid;
  }
  printf("0x%8zx: %s\n", r.error_offset, r.error.c_str());
  if (!fix) {
    printf("AOF %s is not valid. Use the --fix option to try fixing it.\n",
           BaseNameOf(path).c_str());
    return Verdict::kInvalid;
  }
  if (!may_fix) {
    printf("AOF %s is not the last file of the manifest: it can't be fixed by truncation.\n",
           BaseNameOf(path).c_str());
    return Verdict::kInvalid;
  }
  printf("This will shrink the AOF %s from %zu bytes, with %zu bytes, to %zu bytes\n",
         BaseNameOf(path).c_str(), data.size(), diff, r.valid_up_to);
  if (truncate(path.c_str(), static_cast<off_t>(r.valid_up_to)) != 0) {
    printf("Failed to truncate AOF %s: %s\n", path.c_str(), strerror(errno));
    return Verdict::kInvalid;
  }
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  printf("Successfully truncated AOF %s\n", BaseNameOf(path).c_str());
  return Verdict::kFixed;
}

Verdict CheckFile(const std::string& path, bool fix, bool may_fix, const char* kind) {
  std::string data;
  if (!ReadFile(path, &data)) {
    printf("Cannot open file %s: %s\n", path.c_str(), strerror(errno));
    return Verdict::kInvalid;
  }
  if (basalt::persist::HasRdbPreamble(data.data(), data.size())) {
    return CheckRdb(path, data, kind);
  }
  return CheckResp(path, data, fix, may_fix, kind);
}

int CheckManifest(const std::string& path, bool fix) {
  std::string text;
  if (!ReadFile(path, &text)) {
    printf("Cannot open file %s: %s\n", path.c_str(), strerror(errno));
    return 1;
  }
  basalt::persist::AofManifest m;
  std::string error;
  if (!m.Parse(text, &error)) {
    printf("Invalid AOF manifest file %s: %s\n", path.c_str(), error.c_str());
    return 1;
  }
  printf("Start checking Multi Part AOF\n");
  std::string dir = DirOf(path);
  bool any_fixed = false;
  if (m.has_base()) {
    std::string p = basalt::persist::JoinPath(dir, m.base.name);
    Verdict v = CheckFile(p, fix, m.incrs.empty(), "BASE");
    if (v == Verdict::kInvalid) return 1;
    any_fixed |= v == Verdict::kFixed;
    printf("BASE AOF %s is valid\n", m.base.name.c_str());
  }
  if (!m.incrs.empty()) printf("Start to check INCR files.\n");
  for (size_t i = 0; i < m.incrs.size(); ++i) {
    std::string p = basalt::persist::JoinPath(dir, m.incrs[i].name);
    Verdict v = CheckFile(p, fix, i + 1 == m.incrs.size(), "INCR");
    if (v == Verdict::kInvalid) return 1;
    any_fixed |= v == Verdict::kFixed;
  }
  printf(any_fixed ? "All AOF files and manifest are valid (after fixing)\n"
                   : "All AOF files and manifest are valid\n");
  return 0;
}

int Usage(const char* argv0) {
  printf("Usage: %s [--fix] <file.manifest|file.aof>\n", argv0);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  bool fix = false;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--fix") == 0) {
      fix = true;
    } else if (path.empty() && argv[i][0] != '-') {
      path = argv[i];
    } else {
      return Usage(argv[0]);
    }
  }
  if (path.empty()) return Usage(argv[0]);
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    printf("Cannot open file %s: %s\n", path.c_str(), strerror(errno));
    return 1;
  }
  if (path.size() > 9 && path.compare(path.size() - 9, 9, ".manifest") == 0) {
    return CheckManifest(path, fix);
  }
  Verdict v = CheckFile(path, fix, true, "");
  return v == Verdict::kInvalid ? 1 : 0;
}
