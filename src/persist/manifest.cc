#include "persist/manifest.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/strutil.h"

namespace basalt::persist {
namespace {

// Splits a manifest line into words; "quoted words" may hold spaces and
// \-escapes, as the names Redis writes with sdscatrepr.
bool SplitWords(std::string_view line, std::vector<std::string>* out) {
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    std::string word;
    if (line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        char ch = line[i++];
        if (ch == '"') {
          closed = true;
          break;
        }
        if (ch == '\\' && i < line.size()) {
          char e = line[i++];
          switch (e) {
            case 'n':
              word.push_back('\n');
              break;
            case 'r':
              word.push_back('\r');
              break;
            case 't':
              word.push_back('\t');
              break;
            default:
              word.push_back(e);
              break;
          }
          continue;
        }
        word.push_back(ch);
      }
      if (!closed) return false;
    } else {
      while (i < line.size() && line[i] != ' ' && line[i] != '\t') word.push_back(line[i++]);
    }
    out->push_back(std::move(word));
  }
  return true;
}

std::string Quote(std::string_view name) {
  bool plain = !name.empty();
  for (char ch : name) {
    if (ch == ' ' || ch == '"' || ch == '\\' || ch == '\n' || ch == '\r' || ch == '\t')
      plain = false;
  }
  if (plain) return std::string(name);
  std::string q = "\"";
  for (char ch : name) {
    if (ch == '"' || ch == '\\') q.push_back('\\');
    if (ch == '\n') {
      q += "\\n";
    } else if (ch == '\r') {
      q += "\\r";
    } else if (ch == '\t') {
      q += "\\t";
    } else {
      q.push_back(ch);
    }
  }
  q.push_back('"');
  return q;
}

void AppendLine(std::string* out, const AofFileInfo& f) {
  *out += "file " + Quote(f.name) + " seq " + std::to_string(f.seq) + " type ";
  out->push_back(static_cast<char>(f.type));
  out->push_back('\n');
}

}  // namespace

std::string AofManifest::Serialize() const {
  std::string out;
  if (has_base()) AppendLine(&out, base);
  for (const AofFileInfo& h : history) AppendLine(&out, h);
  for (const AofFileInfo& i : incrs) AppendLine(&out, i);
  return out;
}

bool AofManifest::Parse(std::string_view text, std::string* error) {
  *this = AofManifest();
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      // Redis writes every line with its newline: a missing one means a torn write.
      *error = "The AOF manifest file is invalid format (line " + std::to_string(line_no + 1) +
               " has no newline)";
      return false;
    }
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> words;
    if (!SplitWords(line, &words) || words.size() % 2 != 0) {
      *error = "Invalid AOF manifest file format (line " + std::to_string(line_no) + ")";
      return false;
    }
    AofFileInfo f;
    bool have_name = false, have_seq = false, have_type = false;
    for (size_t i = 0; i < words.size(); i += 2) {
      const std::string& k = words[i];
      const std::string& v = words[i + 1];
      if (k == "file") {
        f.name = v;
        have_name = !v.empty();
      } else if (k == "seq") {
        int64_t seq;
        if (!ParseInt64(v, &seq) || seq <= 0) {
          *error =
              "Invalid AOF manifest file format (bad seq, line " + std::to_string(line_no) + ")";
          return false;
        }
        f.seq = seq;
        have_seq = true;
      } else if (k == "type") {
        if (v.size() != 1 || (v[0] != 'b' && v[0] != 'h' && v[0] != 'i')) {
          *error = "Unknown AOF file type (line " + std::to_string(line_no) + ")";
          return false;
        }
        f.type = static_cast<AofFileType>(v[0]);
        have_type = true;
      }
      // Unknown keys are ignored, as Redis does, for forward compatibility.
    }
    if (!have_name || !have_seq || !have_type) {
      *error = "Invalid AOF manifest file format (line " + std::to_string(line_no) +
               " lacks file, seq or type)";
      return false;
    }
    if (f.name.find('/') != std::string::npos) {
      *error = "File can't be a path, just a filename (line " + std::to_string(line_no) + ")";
      return false;
    }
    switch (f.type) {
      case AofFileType::kBase:
        if (has_base()) {
          *error = "Found duplicate base file information";
          return false;
        }
        base = f;
        curr_base_seq = f.seq;
        break;
      case AofFileType::kHistory:
        history.push_back(f);
        break;
      case AofFileType::kIncr:
        if (f.seq <= curr_incr_seq) {
          *error = "Found a non-monotonic sequence number";
          return false;
        }
        incrs.push_back(f);
        curr_incr_seq = f.seq;
        break;
    }
  }
  if (!has_base() && incrs.empty() && history.empty()) {
    *error = "Found an empty AOF manifest";
    return false;
  }
  return true;
}

std::vector<std::string> AofManifest::LoadOrder() const {
  std::vector<std::string> out;
  if (has_base()) out.push_back(base.name);
  for (const AofFileInfo& f : incrs) out.push_back(f.name);
  return out;
}

std::string ManifestName(std::string_view appendfilename) {
  return std::string(appendfilename) + ".manifest";
}

std::string BaseName(std::string_view appendfilename, int64_t seq, bool rdb) {
  return std::string(appendfilename) + "." + std::to_string(seq) + ".base" +
         (rdb ? ".rdb" : ".aof");
}

std::string IncrName(std::string_view appendfilename, int64_t seq) {
  return std::string(appendfilename) + "." + std::to_string(seq) + ".incr.aof";
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string p(dir);
  if (p.back() != '/') p.push_back('/');
  p.append(name);
  return p;
}

int ReadManifest(const std::string& dir, const std::string& manifest_name, AofManifest* out,
                 std::string* error) {
  std::string path = JoinPath(dir, manifest_name);
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    if (errno == ENOENT) return 0;
    *error = "Can't open the AOF manifest " + path + ": " + strerror(errno);
    return -1;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  std::string why;
  if (!out->Parse(ss.str(), &why)) {
    *error = why + " (manifest " + path + ")";
    return -1;
  }
  return 1;
}

bool FsyncDir(const std::string& dir) {
  int fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

// Writes a whole file durably: temp name, fsync, rename, fsync(dir).
bool WriteFileDurably(const std::string& dir, const std::string& tmp_name,
                      const std::string& final_name, const std::string& data, std::string* error) {
  std::string tmp = JoinPath(dir, tmp_name);
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = "Can't open " + tmp + ": " + strerror(errno);
    return false;
  }
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = "Can't write " + tmp + ": " + strerror(n < 0 ? errno : ENOSPC);
      close(fd);
      unlink(tmp.c_str());
      return false;
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    *error = "Can't fsync " + tmp + ": " + strerror(errno);
    close(fd);
    unlink(tmp.c_str());
    return false;
  }
  close(fd);
  std::string path = JoinPath(dir, final_name);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    *error = "Can't rename " + tmp + " to " + path + ": " + strerror(errno);
    unlink(tmp.c_str());
    return false;
  }
  FsyncDir(dir);
  return true;
}

bool WriteManifest(const std::string& dir, const std::string& manifest_name, const AofManifest& m,
                   std::string* error) {
  if (WriteFileDurably(dir, "temp-" + manifest_name, manifest_name, m.Serialize(), error)) {
    return true;
  }
  error->insert(0, "AOF manifest: ");
  return false;
}

}  // namespace basalt::persist
