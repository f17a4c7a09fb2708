// The Redis 7 multi-part AOF: a directory (appenddirname) holding a base
// file, incremental files and a manifest naming them in load order:
//
//   file appendonly.aof.2.base.rdb seq 2 type b
//   file appendonly.aof.1.incr.aof seq 1 type h
//   file appendonly.aof.2.incr.aof seq 2 type i
//
// b = base (an RDB, or RESP when aof-use-rdb-preamble is no), h = history
// (replaced by a rewrite, awaiting deletion), i = incremental (RESP). The
// manifest is only ever replaced whole, atomically (temp file, fsync,
// rename, fsync of the directory), so a crash leaves the old or the new one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace basalt::persist {

enum class AofFileType : char { kBase = 'b', kHistory = 'h', kIncr = 'i' };

struct AofFileInfo {
  std::string name;  // file name inside the AOF directory
  int64_t seq = 0;
  AofFileType type = AofFileType::kIncr;
};

struct AofManifest {
  AofFileInfo base;                  // base.name empty: no base
  std::vector<AofFileInfo> incrs;    // load order (ascending seq)
  std::vector<AofFileInfo> history;  // to delete
  int64_t curr_base_seq = 0;
  int64_t curr_incr_seq = 0;

  bool has_base() const { return !base.name.empty(); }
  // The manifest text, one "file ... seq ... type ..." line per file.
  std::string Serialize() const;
  // Parses manifest text. False with a reason on a malformed manifest.
  bool Parse(std::string_view text, std::string* error);
  // Base, then incrementals: the files to load, in order.
  std::vector<std::string> LoadOrder() const;
};

// File names, as Redis 7 spells them.
std::string ManifestName(std::string_view appendfilename);
std::string BaseName(std::string_view appendfilename, int64_t seq, bool rdb);
std::string IncrName(std::string_view appendfilename, int64_t seq);

// Joins a directory and a name ("dir/name").
std::string JoinPath(std::string_view dir, std::string_view name);

// Reads `dir/manifest_name`. Returns 1 when loaded, 0 when it doesn't exist,
// -1 with a reason on a read or parse error.
int ReadManifest(const std::string& dir, const std::string& manifest_name, AofManifest* out,
                 std::string* error);
// Writes the manifest atomically: temp file, fsync, rename, fsync(dir).
bool WriteManifest(const std::string& dir, const std::string& manifest_name, const AofManifest& m,
                   std::string* error);
// fsync of a directory, so a rename or a new file survives power loss.
bool FsyncDir(const std::string& dir);
// Writes `dir/final_name` whole and durably: `tmp_name`, fsync, rename, fsync(dir).
bool WriteFileDurably(const std::string& dir, const std::string& tmp_name,
                      const std::string& final_name, const std::string& data, std::string* error);

}  // namespace basalt::persist
