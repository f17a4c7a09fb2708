#include "server/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/logging.h"
#include "common/strutil.h"

namespace basalt::server {
namespace {

// A scratch directory, removed (with its files) at the end; the working
// directory is restored too, since `dir` chdir()s.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/basalt_config_test.XXXXXX";
    path_ = mkdtemp(tmpl);
    char cwd[PATH_MAX];
    cwd_ = getcwd(cwd, sizeof(cwd));
  }
  ~TempDir() {
    if (chdir(cwd_.c_str()) != 0) perror("chdir");
    std::string cmd = "rm -rf '" + path_ + "'";
    if (system(cmd.c_str()) != 0) perror("rm");
  }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& content) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << content;
    return p;
  }

 private:
  std::string path_, cwd_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string GetValue(const Config& c, std::string_view name) {
  std::string v;
  EXPECT_TRUE(c.Get(name, &v)) << name;
  return v;
}

std::string SetError(Config& c, const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string err;
  EXPECT_FALSE(c.SetMany(pairs, &err));
  return err;
}

constexpr char kDefaultObuf[] =
    "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";

TEST(ConfigTest, Defaults) {
  Config c;
  EXPECT_EQ(c.port.load(), 6379);
  EXPECT_EQ(c.databases.load(), 16);
  EXPECT_EQ(c.io_threads.load(), 0);
  EXPECT_EQ(c.obuf_replica.hard.load(), 256LL * 1024 * 1024);
  EXPECT_EQ(c.obuf_pubsub.soft_seconds.load(), 60);
  EXPECT_TRUE(c.protected_mode.load());
  EXPECT_EQ(c.bind(), "127.0.0.1 -::1");
  EXPECT_EQ(c.maxmemory_policy(), "noeviction");
  EXPECT_EQ(c.requirepass(), "");
  EXPECT_EQ(c.config_file(), "");
  char cwd[PATH_MAX];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  EXPECT_EQ(c.dir(), cwd);

  EXPECT_EQ(GetValue(c, "port"), "6379");
  EXPECT_EQ(GetValue(c, "bind"), "127.0.0.1 -::1");
  EXPECT_EQ(GetValue(c, "protected-mode"), "yes");
  EXPECT_EQ(GetValue(c, "daemonize"), "no");
  EXPECT_EQ(GetValue(c, "unixsocketperm"), "0");
  EXPECT_EQ(GetValue(c, "proto-max-bulk-len"), "536870912");
  EXPECT_EQ(GetValue(c, "client-query-buffer-limit"), "1073741824");
  EXPECT_EQ(GetValue(c, "client-output-buffer-limit"), kDefaultObuf);
  EXPECT_EQ(GetValue(c, "hz"), "10");
  EXPECT_EQ(GetValue(c, "maxmemory"), "0");
  EXPECT_EQ(GetValue(c, "maxmemory-samples"), "5");
  EXPECT_EQ(GetValue(c, "active-expire-effort"), "1");
  EXPECT_EQ(GetValue(c, "loglevel"), "notice");
  EXPECT_EQ(GetValue(c, "logfile"), "");
  EXPECT_EQ(GetValue(c, "save"), "3600 1 300 100 60 10000");
  EXPECT_EQ(GetValue(c, "maxclients"), "10000");
  EXPECT_EQ(GetValue(c, "tcp-backlog"), "511");
  std::string v;
  EXPECT_FALSE(c.Get("no-such-option", &v));
}

TEST(ConfigTest, ParseMemoryUnits) {
  struct Case {
    const char* in;
    int64_t want;
  } ok[] = {{"0", 0},
            {"123", 123},
            {"1b", 1},
            {"1k", 1000},
            {"1kb", 1024},
            {"1K", 1000},
            {"1KB", 1024},
            {"2m", 2000000},
            {"2mb", 2LL * 1024 * 1024},
            {"2Mb", 2LL * 1024 * 1024},
            {"3g", 3000000000LL},
            {"3gb", 3LL * 1024 * 1024 * 1024},
            {"", 0},  // memtoull reads no digits as 0
            {"9223372036854775807", INT64_MAX}};
  for (const Case& k : ok) {
    int64_t v = -1;
    EXPECT_TRUE(ParseMemory(k.in, &v)) << k.in;
    EXPECT_EQ(v, k.want) << k.in;
  }
  for (const char* bad : {"-1", "-1kb", "1x", "1 kb", " 1", "+1", "1.5mb", "1kbb", "mb1",
                          "9223372036854775808", "10000000000gb"}) {
    int64_t v = 0;
    EXPECT_FALSE(ParseMemory(bad, &v)) << bad;
  }
}

TEST(ConfigTest, MemoryOptionsTakeUnitsAndCheckBounds) {
  Config c;
  std::string err;
  ASSERT_TRUE(c.SetMany({{"maxmemory", "100mb"}, {"proto-max-bulk-len", "1gb"}}, &err)) << err;
  EXPECT_EQ(c.maxmemory.load(), 100LL * 1024 * 1024);
  EXPECT_EQ(GetValue(c, "maxmemory"), "104857600");
  EXPECT_EQ(c.proto_max_bulk_len.load(), 1LL << 30);
  EXPECT_EQ(SetError(c, {{"maxmemory", "-1"}}),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be "
            "a memory value");
  EXPECT_EQ(SetError(c, {{"proto-max-bulk-len", "1000"}}),
            "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument "
            "must be between 1048576 and 9223372036854775807 inclusive");
  EXPECT_EQ(SetError(c, {{"client-query-buffer-limit", "1k"}}),
            "ERR CONFIG SET failed (possibly related to argument 'client-query-buffer-limit') - "
            "argument must be between 1048576 and 9223372036854775807 inclusive");
}

TEST(ConfigTest, ValueErrorsUseRedisWording) {
  Config c;
  auto failed = [](const char* name, const char* reason) {
    return std::string("ERR CONFIG SET failed (possibly related to argument '") + name + "') - " +
           reason;
  };
  EXPECT_EQ(SetError(c, {{"port", "abc"}}),
            failed("port", "argument couldn't be parsed into an integer"));
  EXPECT_EQ(SetError(c, {{"port", "70000"}}),
            failed("port", "argument must be between 0 and 65535 inclusive"));
  EXPECT_EQ(SetError(c, {{"port", " 1"}}),
            failed("port", "argument couldn't be parsed into an integer"));
  EXPECT_EQ(SetError(c, {{"maxclients", "0"}}),
            failed("maxclients", "argument must be between 1 and 4294967295 inclusive"));
  EXPECT_EQ(SetError(c, {{"active-expire-effort", "11"}}),
            failed("active-expire-effort", "argument must be between 1 and 10 inclusive"));
  EXPECT_EQ(SetError(c, {{"protected-mode", "maybe"}}),
            failed("protected-mode", "argument must be 'yes' or 'no'"));
  EXPECT_EQ(SetError(c, {{"maxmemory-policy", "lru"}}),
            failed("maxmemory-policy",
                   "argument(s) must be one of the following: volatile-lru, volatile-lfu, "
                   "volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, "
                   "noeviction"));
  EXPECT_EQ(SetError(c, {{"loglevel", "loud"}}),
            failed("loglevel",
                   "argument(s) must be one of the following: debug, verbose, notice, warning"));
  // The canonical name is reported even when the client used other case.
  EXPECT_EQ(SetError(c, {{"PORT", "x"}}),
            failed("port", "argument couldn't be parsed into an integer"));
  EXPECT_EQ(SetError(c, {{"nosuch", "1"}}),
            "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  EXPECT_EQ(SetError(c, {{"timeout", "1"}, {"timeout", "2"}}),
            failed("timeout", "duplicate parameter"));
  EXPECT_EQ(SetError(c, {{"Timeout", "1"}, {"TIMEOUT", "2"}}),
            failed("TIMEOUT", "duplicate parameter"));
  EXPECT_EQ(c.timeout.load(), 0);
}

TEST(ConfigTest, CaseInsensitiveValuesAndCanonicalOutput) {
  Config c;
  std::string err;
  ASSERT_TRUE(c.SetMany(
      {{"protected-mode", "NO"}, {"maxmemory-policy", "AllKeys-LRU"}, {"MaxMemory-Samples", "7"}},
      &err))
      << err;
  EXPECT_FALSE(c.protected_mode.load());
  EXPECT_EQ(c.maxmemory_policy(), "allkeys-lru");
  EXPECT_EQ(GetValue(c, "protected-mode"), "no");
  EXPECT_EQ(c.maxmemory_samples.load(), 7);
}

TEST(ConfigTest, HzIsClampedLikeRedis) {
  Config c;
  std::string err;
  ASSERT_TRUE(c.SetMany({{"hz", "1000"}}, &err)) << err;
  EXPECT_EQ(c.hz.load(), 500);
  ASSERT_TRUE(c.SetMany({{"hz", "0"}}, &err)) << err;
  EXPECT_EQ(GetValue(c, "hz"), "1");
  EXPECT_EQ(SetError(c, {{"hz", "-1"}}),
            "ERR CONFIG SET failed (possibly related to argument 'hz') - argument must be between "
            "0 and 2147483647 inclusive");
}

TEST(ConfigTest, SetManyIsAllOrNothing) {
  Config c;
  std::string err;
  // The bad value is last: nothing before it may have been applied.
  EXPECT_FALSE(c.SetMany({{"maxmemory", "1mb"}, {"timeout", "30"}, {"port", "notanumber"}}, &err));
  EXPECT_EQ(err,
            "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be "
            "parsed into an integer");
  EXPECT_EQ(c.maxmemory.load(), 0);
  EXPECT_EQ(c.timeout.load(), 0);
  EXPECT_EQ(c.port.load(), 6379);

  // An unknown name anywhere fails the whole command too.
  EXPECT_FALSE(c.SetMany({{"timeout", "30"}, {"bogus", "1"}}, &err));
  EXPECT_EQ(err, "ERR Unknown option or number of arguments for CONFIG SET - 'bogus'");
  EXPECT_EQ(c.timeout.load(), 0);

  ASSERT_TRUE(c.SetMany({{"maxmemory", "1mb"}, {"timeout", "30"}}, &err)) << err;
  EXPECT_EQ(c.maxmemory.load(), 1024 * 1024);
  EXPECT_EQ(c.timeout.load(), 30);
}

TEST(ConfigTest, FailedApplyRestoresEarlierValues) {
  Config c;
  std::string err;
  ASSERT_TRUE(c.Set("enable-protected-configs", {"yes"}, true, &err)) << err;
  std::string cwd = c.dir();
  // `dir` parses fine; its chdir() fails while applying, after maxmemory was stored.
  EXPECT_FALSE(c.SetMany({{"maxmemory", "5mb"}, {"dir", "/nonexistent/basalt/dir"}}, &err));
  EXPECT_EQ(err,
            "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or "
            "directory");
  EXPECT_EQ(c.maxmemory.load(), 0);
  EXPECT_EQ(c.dir(), cwd);
}

TEST(ConfigTest, ImmutableAndProtected) {
  Config c;
  std::string err;
  for (const char* name : {"databases", "tcp-backlog", "io-threads", "unixsocket", "unixsocketperm",
                           "daemonize", "logfile", "pidfile"}) {
    EXPECT_FALSE(c.SetMany({{name, "1"}}, &err)) << name;
    EXPECT_EQ(err, std::string("ERR CONFIG SET failed (possibly related to argument '") + name +
                       "') - can't set immutable config");
  }
  EXPECT_EQ(c.databases.load(), 16);
  // At startup they can be set.
  ASSERT_TRUE(c.Set("databases", {"32"}, true, &err)) << err;
  EXPECT_EQ(c.databases.load(), 32);
  EXPECT_FALSE(c.Set("databases", {"0"}, true, &err));
  EXPECT_EQ(err, "argument must be between 1 and 2147483647 inclusive");

  // Redis 7.0 protects `dir` unless enable-protected-configs allows it.
  EXPECT_EQ(SetError(c, {{"dir", "/tmp"}}),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected "
            "config");
  TempDir tmp;
  ASSERT_TRUE(c.Set("enable-protected-configs", {"yes"}, true, &err)) << err;
  ASSERT_TRUE(c.SetMany({{"dir", tmp.path()}}, &err)) << err;
  char cwd[PATH_MAX];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  EXPECT_EQ(c.dir(), cwd);
}

TEST(ConfigTest, UnixSocketPermIsOctal) {
  Config c;
  std::string err;
  ASSERT_TRUE(c.Set("unixsocketperm", {"700"}, true, &err)) << err;
  EXPECT_EQ(c.unixsocketperm.load(), 0700);
  EXPECT_EQ(GetValue(c, "unixsocketperm"), "700");
  EXPECT_FALSE(c.Set("unixsocketperm", {"800"}, true, &err));
  EXPECT_EQ(err, "argument couldn't be parsed as an octal number");
  EXPECT_FALSE(c.Set("unixsocketperm", {"1000"}, true, &err));
  EXPECT_EQ(err, "argument must be between 0 and 777 inclusive");
}

TEST(ConfigTest, StringsAndRequirepass) {
  Config c;
  std::string err;
  ASSERT_TRUE(c.SetMany({{"requirepass", "s3cret pass"}}, &err)) << err;
  // Redis 7.0 shows the cleartext password.
  EXPECT_EQ(c.requirepass(), "s3cret pass");
  EXPECT_EQ(GetValue(c, "requirepass"), "s3cret pass");
  ASSERT_TRUE(c.SetMany({{"requirepass", ""}}, &err)) << err;
  EXPECT_EQ(c.requirepass(), "");
}

TEST(ConfigTest, LoglevelAppliesToLogger) {
  Config c;
  std::string err;
  LogLevel before = GetLogLevel();
  ASSERT_TRUE(c.SetMany({{"loglevel", "WARNING"}}, &err)) << err;
  EXPECT_EQ(GetLogLevel(), LogLevel::kWarning);
  EXPECT_EQ(GetValue(c, "loglevel"), "warning");
  SetLogLevel(before);
}

TEST(ConfigTest, ChangeListenerSeesOnlyRealChanges) {
  Config c;
  std::vector<std::string> seen;
  c.SetChangeListener([&](const std::string& name) { seen.push_back(name); });
  std::string err;
  ASSERT_TRUE(c.SetMany({{"PORT", "6380"}, {"timeout", "0"}, {"hz", "20"}}, &err)) << err;
  EXPECT_EQ(seen, (std::vector<std::string>{"port", "hz"}));
  seen.clear();
  ASSERT_TRUE(c.Set("maxmemory", {"1mb"}, false, &err)) << err;
  ASSERT_TRUE(c.Set("maxmemory", {"1mb"}, true, &err)) << err;  // startup: not announced
  EXPECT_EQ(seen, (std::vector<std::string>{"maxmemory"}));
  EXPECT_FALSE(c.SetMany({{"timeout", "5"}, {"port", "x"}}, &err));
  EXPECT_EQ(seen.size(), 1u);
}

TEST(ConfigTest, BindTakesSeveralAddresses) {
  Config c;
  std::string err;
  ASSERT_TRUE(c.SetMany({{"bind", "0.0.0.0 ::"}}, &err)) << err;
  EXPECT_EQ(c.bind(), "0.0.0.0 ::");
  EXPECT_EQ(GetValue(c, "bind"), "0.0.0.0 ::");
  ASSERT_TRUE(c.Set("bind", {"10.0.0.1", "10.0.0.2", "-::1"}, true, &err)) << err;
  EXPECT_EQ(c.bind(), "10.0.0.1 10.0.0.2 -::1");
  ASSERT_TRUE(c.Set("bind", {""}, true, &err)) << err;
  EXPECT_EQ(c.bind(), "");
  std::vector<std::string> many(17, "127.0.0.1");
  EXPECT_FALSE(c.Set("bind", many, true, &err));
  EXPECT_EQ(err, "Too many bind addresses specified.");
}

TEST(ConfigTest, ClientOutputBufferLimitParsingAndPrinting) {
  Config c;
  std::string err;
  // Classes not named keep their values; "replica" is Redis's other name for "slave".
  ASSERT_TRUE(
      c.SetMany({{"client-output-buffer-limit", "normal 1mb 512kb 10 replica 1gb 0 0"}}, &err))
      << err;
  EXPECT_EQ(c.obuf_normal.hard.load(), 1024 * 1024);
  EXPECT_EQ(c.obuf_normal.soft.load(), 512 * 1024);
  EXPECT_EQ(c.obuf_normal.soft_seconds.load(), 10);
  EXPECT_EQ(c.obuf_replica.hard.load(), 1LL << 30);
  EXPECT_EQ(c.obuf_pubsub.hard.load(), 32 * 1024 * 1024);
  EXPECT_EQ(GetValue(c, "client-output-buffer-limit"),
            "normal 1048576 524288 10 slave 1073741824 0 0 pubsub 33554432 8388608 60");

  ASSERT_TRUE(c.Set("client-output-buffer-limit", {"PUBSUB", "1k", "1K", "5"}, true, &err)) << err;
  EXPECT_EQ(c.obuf_pubsub.hard.load(), 1000);

  auto failed = [](const char* reason) {
    return std::string(
               "ERR CONFIG SET failed (possibly related to argument "
               "'client-output-buffer-limit') - ") +
           reason;
  };
  std::string before = GetValue(c, "client-output-buffer-limit");
  EXPECT_EQ(SetError(c, {{"client-output-buffer-limit", "normal 0 0"}}),
            failed("Wrong number of arguments in buffer limit configuration."));
  EXPECT_EQ(SetError(c, {{"client-output-buffer-limit", "master 0 0 0"}}),
            failed("Invalid client class specified in buffer limit configuration."));
  // A bad group after a good one leaves both unchanged.
  EXPECT_EQ(SetError(c, {{"client-output-buffer-limit", "normal 5 5 5 pubsub 1mb 1mb -1"}}),
            failed("Error in hard, soft or soft_seconds setting in buffer limit configuration."));
  EXPECT_EQ(SetError(c, {{"client-output-buffer-limit", "normal 1zb 0 0"}}),
            failed("Error in hard, soft or soft_seconds setting in buffer limit configuration."));
  EXPECT_EQ(GetValue(c, "client-output-buffer-limit"), before);
}

TEST(ConfigTest, SaveParameters) {
  Config c;
  std::string err;
  ASSERT_TRUE(c.SetMany({{"save", "900 1 300 10"}}, &err)) << err;
  EXPECT_EQ(GetValue(c, "save"), "900 1 300 10");
  ASSERT_TRUE(c.SetMany({{"save", ""}}, &err)) << err;
  EXPECT_EQ(GetValue(c, "save"), "");
  EXPECT_EQ(SetError(c, {{"save", "900"}}),
            "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save "
            "parameters");
  EXPECT_EQ(SetError(c, {{"save", "0 1"}}),
            "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save "
            "parameters");
}

TEST(ConfigTest, GetMatchingGlobs) {
  Config c;
  auto names = [&](const std::vector<std::string_view>& patterns) {
    std::vector<std::string> out;
    for (auto& [name, value] : c.GetMatching(patterns)) out.push_back(name);
    return out;
  };
  EXPECT_EQ(names({"maxmemory*"}),
            (std::vector<std::string>{"maxmemory", "maxmemory-policy", "maxmemory-samples"}));
  EXPECT_EQ(names({"MAXMEM*"}).size(), 3u);  // nocase
  EXPECT_EQ(names({"*port"}), (std::vector<std::string>{"port"}));
  EXPECT_EQ(names({"p?rt", "[bh]?nd", "h?"}), (std::vector<std::string>{"port", "bind", "hz"}));
  EXPECT_TRUE(names({"nomatch*"}).empty());
  EXPECT_TRUE(names({"nosuch"}).empty());
  // An exact name is reported as written; every option appears once.
  auto got = c.GetMatching({"PORT", "port", "*"});
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[0], (std::pair<std::string, std::string>{"PORT", "6379"}));
  size_t ports = 0;
  for (auto& [name, value] : got) ports += EqualsIgnoreCase(name, "port");
  EXPECT_EQ(ports, 1u);
  EXPECT_EQ(got.size(), c.GetMatching({"*"}).size());
  bool has_obuf = false;
  for (auto& [name, value] : got) {
    if (name == "client-output-buffer-limit") {
      has_obuf = true;
      EXPECT_EQ(value, kDefaultObuf);
    }
  }
  EXPECT_TRUE(has_obuf);
}

TEST(ConfigTest, LoadFileParsesDirectives) {
  TempDir tmp;
  std::string inc = tmp.Write("extra.conf", "maxmemory-policy allkeys-lru\n");
  std::string path = tmp.Write("basalt.conf",
                               "# a comment\n"
                               "\n"
                               "   port 7000   \n"
                               "BIND 127.0.0.1 ::1\r\n"
                               "requirepass \"with space\\x21\"\n"
                               "maxmemory 2gb\n"
                               "client-output-buffer-limit pubsub 64mb 16mb 90\n"
                               "save 900 1\n"
                               "save 300 10\n"
                               "include " +
                                   inc + "\n" + "include " + tmp.path() + "/none*.conf\n");
  Config c;
  std::string err;
  ASSERT_TRUE(c.LoadFile(path, &err)) << err;
  EXPECT_EQ(c.port.load(), 7000);
  EXPECT_EQ(c.bind(), "127.0.0.1 ::1");
  EXPECT_EQ(c.requirepass(), "with space!");
  EXPECT_EQ(c.maxmemory.load(), 2LL << 30);
  EXPECT_EQ(c.obuf_pubsub.hard.load(), 64 * 1024 * 1024);
  EXPECT_EQ(c.obuf_pubsub.soft_seconds.load(), 90);
  EXPECT_EQ(GetValue(c, "save"), "900 1 300 10");  // the first line replaces the default
  EXPECT_EQ(c.maxmemory_policy(), "allkeys-lru");
  EXPECT_EQ(c.config_file(), path);
}

TEST(ConfigTest, LoadFileBadLineReportsLineNumber) {
  TempDir tmp;
  std::string path = tmp.Write("bad.conf", "# comment\nport 70000\nhz 20\n");
  Config c;
  std::string err;
  ASSERT_FALSE(c.LoadFile(path, &err));
  EXPECT_EQ(err,
            "\n*** FATAL CONFIG FILE ERROR (Basalt) ***\n"
            "Reading the configuration file, at line 2 of '" +
                path +
                "'\n"
                ">>> 'port 70000'\n"
                "argument must be between 0 and 65535 inclusive\n");

  struct Case {
    const char* content;
    const char* line;
    const char* reason;
  } cases[] = {
      {"port 1\nnosuch-directive yes\n", "nosuch-directive yes",
       "Bad directive or wrong number of arguments"},
      {"port 1 2\n", "port 1 2", "wrong number of arguments"},
      {"requirepass \"open\n", "requirepass \"open", "Unbalanced quotes in configuration line"},
      {"daemonize maybe\n", "daemonize maybe", "argument must be 'yes' or 'no'"},
      {"maxmemory lots\n", "maxmemory lots", "argument must be a memory value"},
      {"bind\n", "bind", "wrong number of arguments"},
  };
  for (const Case& k : cases) {
    std::string p = tmp.Write("case.conf", k.content);
    Config fresh;
    ASSERT_FALSE(fresh.LoadFile(p, &err)) << k.content;
    EXPECT_NE(err.find(std::string(">>> '") + k.line + "'\n" + k.reason + "\n"), std::string::npos)
        << err;
  }

  // An error inside an included file names that file and its line.
  std::string inc = tmp.Write("inc.conf", "\n\ntimeout -5\n");
  std::string outer = tmp.Write("outer.conf", "include " + inc + "\n");
  Config c2;
  ASSERT_FALSE(c2.LoadFile(outer, &err));
  EXPECT_NE(err.find("at line 3 of '" + inc + "'"), std::string::npos) << err;

  Config c3;
  ASSERT_FALSE(c3.LoadFile(tmp.path() + "/missing.conf", &err));
  EXPECT_EQ(err, "Fatal error, can't open config file '" + tmp.path() +
                     "/missing.conf': No such file or directory");
}

TEST(ConfigTest, LoadArgs) {
  Config c;
  std::string err;
  ASSERT_TRUE(c.LoadArgs({"--port", "7000", "--bind", "127.0.0.1", "::1", "--save", "",
                          "--maxmemory 10mb", "--requirepass", "--starts-with-dashes"},
                         &err))
      << err;
  EXPECT_EQ(c.port.load(), 7000);
  EXPECT_EQ(c.bind(), "127.0.0.1 ::1");
  EXPECT_EQ(GetValue(c, "save"), "");
  EXPECT_EQ(c.maxmemory.load(), 10 * 1024 * 1024);
  // The word right after a bare --name is its value, whatever it looks like.
  EXPECT_EQ(c.requirepass(), "--starts-with-dashes");

  Config c2;
  ASSERT_TRUE(c2.LoadArgs({"--save", "--port", "7001"}, &err)) << err;  // `--save` alone: ""
  EXPECT_EQ(GetValue(c2, "save"), "");
  EXPECT_EQ(c2.port.load(), 7001);
  ASSERT_TRUE(c2.LoadArgs({"--save"}, &err)) << err;

  Config c3;
  ASSERT_FALSE(c3.LoadArgs({"--hz", "20", "--port", "99999"}, &err));
  EXPECT_EQ(err,
            "\n*** FATAL CONFIG FILE ERROR (Basalt) ***\n"
            "Reading the command line arguments\n"
            ">>> 'port \"99999\"'\n"
            "argument must be between 0 and 65535 inclusive\n");
  ASSERT_FALSE(c3.LoadArgs({"--nosuch", "1"}, &err));
  EXPECT_NE(err.find("Bad directive or wrong number of arguments"), std::string::npos);
  ASSERT_FALSE(c3.LoadArgs({"--port", "1", "2"}, &err));
  EXPECT_NE(err.find("wrong number of arguments"), std::string::npos);
}

TEST(ConfigTest, EnvOverridesFileAndArgsOverrideEnv) {
  TempDir tmp;
  std::string path = tmp.Write("p.conf", "port 7000\ntimeout 10\nmaxmemory 1mb\n");
  setenv("BASALT_PORT", "7001", 1);
  setenv("BASALT_TIMEOUT", "20", 1);
  setenv("BASALT_CLIENT_OUTPUT_BUFFER_LIMIT", "pubsub 1mb 1mb 1", 1);
  setenv("BASALT_REQUIREPASS", "pass with spaces", 1);

  Config c;
  std::string err;
  ASSERT_TRUE(c.LoadFile(path, &err)) << err;
  ASSERT_TRUE(c.LoadEnv(&err)) << err;
  ASSERT_TRUE(c.LoadArgs({"--port", "7002"}, &err)) << err;
  EXPECT_EQ(c.port.load(), 7002);              // args win
  EXPECT_EQ(c.timeout.load(), 20);             // env beats file
  EXPECT_EQ(c.maxmemory.load(), 1024 * 1024);  // file beats default
  EXPECT_EQ(c.obuf_pubsub.hard.load(), 1024 * 1024);
  EXPECT_EQ(c.requirepass(), "pass with spaces");  // single-word options take the raw value

  setenv("BASALT_PORT", "nope", 1);
  Config bad;
  ASSERT_FALSE(bad.LoadEnv(&err));
  EXPECT_EQ(err,
            "\n*** FATAL CONFIG FILE ERROR (Basalt) ***\n"
            "Reading the environment variable BASALT_PORT\n"
            ">>> 'BASALT_PORT=nope'\n"
            "argument couldn't be parsed into an integer\n");
  for (const char* v : {"BASALT_PORT", "BASALT_TIMEOUT", "BASALT_CLIENT_OUTPUT_BUFFER_LIMIT",
                        "BASALT_REQUIREPASS"}) {
    unsetenv(v);
  }
}

TEST(ConfigTest, RewriteWithoutFileFails) {
  Config c;
  std::string err;
  EXPECT_FALSE(c.Rewrite(&err));
  EXPECT_EQ(err, "ERR The server is running without a config file");
}

TEST(ConfigTest, RewriteRoundTrip) {
  TempDir tmp;
  std::string path = tmp.Write("rw.conf",
                               "# Basalt test config\n"
                               "port 7000\n"
                               "\n"
                               "# memory\n"
                               "maxmemory 1mb\n"
                               "timeout 5\n"
                               "timeout 6\n"
                               "hz 10\n");
  Config c;
  std::string err;
  ASSERT_TRUE(c.LoadFile(path, &err)) << err;
  ASSERT_TRUE(c.SetMany({{"port", "7100"},
                         {"maxmemory", "3gb"},
                         {"timeout", "0"},
                         {"maxmemory-policy", "allkeys-lfu"},
                         {"requirepass", "p\"w d"},
                         {"bind", "0.0.0.0"},
                         {"client-output-buffer-limit", "pubsub 64mb 16mb 90"},
                         {"save", ""}},
                        &err))
      << err;
  ASSERT_TRUE(c.Rewrite(&err)) << err;

  std::string text = ReadFile(path);
  char cwd[PATH_MAX];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  std::string want =
      "# Basalt test config\n"
      "port 7100\n"
      "\n"
      "# memory\n"
      "maxmemory 3gb\n"
      "timeout 0\n"  // first line reused (value at default), the second one blanked
      "\n"
      "hz 10\n"
      "\n"
      "# Generated by CONFIG REWRITE\n"
      "bind 0.0.0.0\n"
      "client-output-buffer-limit normal 0 0 0\n"
      "client-output-buffer-limit replica 256mb 64mb 60\n"
      "client-output-buffer-limit pubsub 64mb 16mb 90\n"
      "maxmemory-policy allkeys-lfu\n"
      "requirepass \"p\\\"w d\"\n"
      "dir \"" +
      std::string(cwd) +
      "\"\n"
      "save \"\"\n";
  EXPECT_EQ(text, want);

  // Loading the rewritten file gives back the same configuration.
  Config again;
  ASSERT_TRUE(again.LoadFile(path, &err)) << err;
  EXPECT_EQ(again.GetMatching({"*"}), c.GetMatching({"*"}));

  // Like Redis, the file's final newline leaves an empty last line, which the
  // next rewrite keeps as one blank line; after that the file is stable.
  ASSERT_TRUE(again.Rewrite(&err)) << err;
  EXPECT_EQ(ReadFile(path), want + "\n");
  ASSERT_TRUE(again.Rewrite(&err)) << err;
  EXPECT_EQ(ReadFile(path), want + "\n");
}

TEST(ConfigTest, RewriteKeepsIncludesAndCommentsOutUnknownLines) {
  TempDir tmp;
  std::string inc = tmp.Write("inc.conf", "hz 20\n");
  std::string path = tmp.Write("main.conf", "include " + inc + "\nport 7000\n");
  Config c;
  std::string err;
  ASSERT_TRUE(c.LoadFile(path, &err)) << err;
  EXPECT_EQ(c.hz.load(), 20);
  // Someone edits the file after startup.
  tmp.Write("main.conf", "include " + inc + "\nport 7000\nbogus-directive 1\n");
  ASSERT_TRUE(c.Rewrite(&err)) << err;
  std::string text = ReadFile(path);
  EXPECT_EQ(text.find("include " + inc + "\nport 7000\n# ??? bogus-directive 1\n"), 0u) << text;
  // hz came from the include but is not at its default, so it is appended.
  EXPECT_NE(text.find("\nhz 20\n"), std::string::npos) << text;
}

TEST(ConfigTest, ConcurrentSetAndGet) {
  Config c;
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load()) {
      for (auto& [name, value] : c.GetMatching({"*"})) EXPECT_FALSE(name.empty());
      EXPECT_FALSE(c.maxmemory_policy().empty());
    }
  });
  std::string err;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(c.SetMany({{"maxmemory-policy", i % 2 ? "allkeys-lru" : "noeviction"},
                           {"timeout", std::to_string(i)}},
                          &err))
        << err;
  }
  stop = true;
  reader.join();
  EXPECT_EQ(c.timeout.load(), 199);
}

}  // namespace
}  // namespace basalt::server
