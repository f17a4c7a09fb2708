// INFO: the text Redis 7.0's INFO command returns, section by section, with
// Redis's field names and formats so tools that parse INFO (redis-py,
// redis-cli, exporters) read Basalt unchanged.
//
// Thread-safety: callable from any worker thread with no shard lock held. The
// clients, memory and stats sections visit every worker once
// (Server::RunOnAllWorkers) to read per-connection state on its owner thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace basalt::server {

class Server;

// The sections INFO was asked for, as genInfoSectionDict understands them:
// no argument means "default"; "all" is every section; "everything" adds the
// module-generated ones (Basalt has none). Names are case-insensitive and
// unknown names select nothing.
struct InfoRequest {
  std::vector<std::string> names;  // lower case
  bool all = false;
  bool everything = false;

  static InfoRequest Parse(const std::vector<std::string_view>& args);
  bool Wants(std::string_view section) const;
};

// The INFO text: "# Section\r\nfield:value\r\n..." with a blank line between
// sections, in Redis's fixed section order whatever the request order.
std::string GenerateInfo(Server& server, const InfoRequest& request);

// The version reported as basalt_version.
inline constexpr std::string_view kBasaltVersion = "0.1.0";

}  // namespace basalt::server
