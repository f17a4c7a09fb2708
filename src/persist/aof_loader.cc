#include "persist/aof_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/clock.h"
#include "common/logging.h"
#include "common/strutil.h"
#include "persist/aof_reader.h"
#include "persist/rdb_reader.h"
#include "server/server.h"

namespace basalt::persist {
namespace {

bool ReadWholeFile(const std::string& path, std::string* out, int* err) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    *err = errno;
    close(fd);
    return false;
  }
  out->resize(static_cast<size_t>(st.st_size));
  size_t off = 0;
  while (off < out->size()) {
    ssize_t n = read(fd, out->data() + off, out->size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  out->resize(off);
  close(fd);
  return true;
}

rdb::LoadLimits LimitsFrom(server::Config& cfg) {
  rdb::LoadLimits l;
  l.list_fill = static_cast<int>(cfg.list_max_listpack_size.load());
  l.hash.max_entries = static_cast<size_t>(cfg.hash_max_listpack_entries.load());
  l.hash.max_value = static_cast<size_t>(cfg.hash_max_listpack_value.load());
  l.set_max_intset_entries = static_cast<size_t>(cfg.set_max_intset_entries.load());
  l.zset.max_entries = static_cast<size_t>(cfg.zset_max_listpack_entries.load());
  l.zset.max_value = static_cast<size_t>(cfg.zset_max_listpack_value.load());
  return l;
}

bool EqualsNoCase(std::string_view a, std::string_view b) { return EqualsIgnoreCase(a, b); }

std::string FixHint(const std::string& path) {
  return "make a backup of it, then repair it with 'basalt-check-aof --fix " + path + "'";
}

// Runs one command of the file; SELECT changes *db.
bool Run(server::Server& server, const std::string& path, size_t offset, int* db,
         const std::vector<std::string_view>& argv, std::string* reply, std::string* error) {
  if (EqualsNoCase(argv[0], "select")) {
    int64_t idx;
    if (argv.size() != 2 || !ParseInt64(argv[1], &idx) || idx < 0 ||
        idx >= server.keyspace().size()) {
      *error = "Bad SELECT in the append only file " + path + " at offset " +
               std::to_string(offset) + ": " + FixHint(path);
      return false;
    }
    *db = static_cast<int>(idx);
    return true;
  }
  if (!server.ExecuteForLoader(*db, argv, reply)) {
    *error = "Unknown command '" + std::string(argv[0].substr(0, 128)) +
             "' reading the append only file " + path + " at offset " + std::to_string(offset) +
             " (" + reply->substr(1) + ")";
    return false;
  }
  return true;
}

// Replays RESP commands. Returns false on a fatal problem; a torn tail that
// may be cut sets *cut_at.
bool ReplayResp(server::Server& server, const std::string& path, const std::string& data,
                bool last_file, const AofLoadOptions& opt, AofLoadResult* res, std::string* error) {
  AofReader reader(data.data(), data.size());
  std::vector<std::string_view> argv;
  struct Queued {
    std::vector<std::string_view> argv;
    size_t offset;
  };
  std::vector<Queued> multi;
  bool in_multi = false;
  size_t multi_start = 0;
  int db = 0;
  std::string reply;
  size_t valid = 0;
  while (true) {
    size_t at = reader.offset();
    AofReadStatus st = reader.Next(&argv);
    if (st == AofReadStatus::kCommand) {
      ++res->commands;
      if (EqualsNoCase(argv[0], "multi")) {
        if (in_multi) {
          *error = "Bad file format reading the append only file " + path + " at offset " +
                   std::to_string(at) + " (MULTI inside MULTI): " + FixHint(path);
          return false;
        }
        in_multi = true;
        multi_start = at;
        continue;
      }
      if (EqualsNoCase(argv[0], "exec")) {
        if (!in_multi) {
          *error = "Bad file format reading the append only file " + path + " at offset " +
                   std::to_string(at) + " (EXEC without MULTI): " + FixHint(path);
          return false;
        }
        for (Queued& q : multi) {
          if (!Run(server, path, q.offset, &db, q.argv, &reply, error)) return false;
        }
        multi.clear();
        in_multi = false;
        valid = reader.offset();
        continue;
      }
      if (in_multi) {
        multi.push_back({argv, at});
        continue;
      }
      if (!Run(server, path, at, &db, argv, &reply, error)) return false;
      valid = reader.offset();
      continue;
    }
    if (st == AofReadStatus::kEnd && !in_multi) return true;
    if (st == AofReadStatus::kCorrupt) {
      *error = "Bad file format reading the append only file " + path + " at offset " +
               std::to_string(at) + " (" + reader.error() + "): " + FixHint(path);
      return false;
    }
    // The file ends inside a command or an open MULTI block.
    size_t bad_at = in_multi ? multi_start : at;
    if (!last_file || !opt.truncate_ok) {
      *error = "Unexpected end of file reading the append only file " + path + " at offset " +
               std::to_string(bad_at) + ". You can: 1) Make a backup of your AOF file, then use " +
               "basalt-check-aof --fix " + path +
               ". 2) Alternatively you can set the 'aof-load-truncated' configuration option to " +
               "yes and restart the server.";
      if (!last_file) {
        *error = "Unexpected end of file reading the append only file " + path + " at offset " +
                 std::to_string(bad_at) +
                 " (only the last file may be truncated): " + FixHint(path);
      }
      return false;
    }
    LOG_WARNING("!!! Warning: short read while loading the AOF file %s!!!", path.c_str());
    LOG_WARNING("!!! Truncating the AOF %s at offset %llu !!!", path.c_str(),
                static_cast<unsigned long long>(valid));
    if (truncate(path.c_str(), static_cast<off_t>(valid)) != 0) {
      *error = "Error truncating the AOF file " + path + ": " + strerror(errno);
      return false;
    }
    LOG_WARNING("AOF %s loaded anyway because aof-load-truncated is enabled", path.c_str());
    res->truncated = true;
    return true;
  }
}

}  // namespace

bool LoadAofFiles(server::Server& server, const std::string& dir, const AofManifest& m,
                  const AofLoadOptions& opt, AofLoadResult* res, std::string* error) {
  int64_t start = SystemClock().MonotonicUs();
  std::vector<std::string> files = m.LoadOrder();
  if (files.empty()) {
    *error = "The AOF manifest in " + dir + " names no file to load";
    return false;
  }
  std::string data;
  for (size_t i = 0; i < files.size(); ++i) {
    std::string path = JoinPath(dir, files[i]);
    int err = 0;
    if (!ReadWholeFile(path, &data, &err)) {
      *error = "The AOF file " + path + " named in the manifest can't be opened: " + strerror(err) +
               (err == ENOENT ? " (a file the manifest lists is missing)" : "");
      return false;
    }
    bool last = i + 1 == files.size();
    if (data.empty()) continue;
    if (HasRdbPreamble(data.data(), data.size())) {
      server::Config& cfg = server.config();
      rdb::LoadStats stats;
      std::string why;
      if (!rdb::LoadRdb(data, server.keyspace(), LimitsFrom(cfg), SystemClock().NowMs(),
                        cfg.rdbchecksum.load(), &stats, &why)) {
        *error =
            "Bad RDB preamble in the append only file " + path + ": " + why + "; " + FixHint(path);
        return false;
      }
      LOG_NOTICE("Reading RDB base file on AOF loading...");
      continue;
    }
    if (!ReplayResp(server, path, data, last, opt, res, error)) return false;
  }
  res->seconds = static_cast<double>(SystemClock().MonotonicUs() - start) / 1e6;
  return true;
}

}  // namespace basalt::persist
