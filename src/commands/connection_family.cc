// Connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT, CLIENT.
#include <algorithm>
#include <string>

#include "common/errors.h"
#include "common/strutil.h"
#include "server/client.h"
#include "server/command.h"
#include "server/server.h"
#include "server/transaction.h"

namespace basalt::server {
namespace {

using protocol::ReplyBuilder;

void CmdPing(const ArgList& args, CommandContext& ctx) {
  if (args.size() > 2) {
    ctx.rb->Error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  if (ctx.client->resp == 2 && ctx.client->subscriptions() > 0) {
    // Subscribed RESP2 clients get PING as a message-shaped array.
    ctx.rb->ArrayHeader(2);
    ctx.rb->Bulk("pong");
    ctx.rb->Bulk(args.size() == 2 ? args[1] : std::string_view());
  } else if (args.size() == 2) {
    ctx.rb->Bulk(args[1]);
  } else {
    ctx.rb->SimpleString("PONG");
  }
}

void CmdEcho(const ArgList& args, CommandContext& ctx) { ctx.rb->Bulk(args[1]); }

void CmdQuit(const ArgList&, CommandContext& ctx) {
  ctx.rb->Ok();
  ctx.client->CloseAfterReply();
}

bool CheckPassword(Server* server, std::string_view user, std::string_view pass) {
  std::string required = server->config().requirepass();
  if (user != "default") return false;
  return required.empty() || pass == required;
}

void CmdAuth(const ArgList& args, CommandContext& ctx) {
  if (args.size() > 3) {
    ctx.rb->Error(errors::kSyntax);
    return;
  }
  std::string_view user = "default", pass = args[1];
  if (args.size() == 3) {
    user = args[1];
    pass = args[2];
  } else if (ctx.server->config().requirepass().empty()) {
    ctx.rb->Error(errors::kAuthNoPassword);
    return;
  }
  if (!CheckPassword(ctx.server, user, pass)) {
    ctx.rb->Error(errors::kWrongPass);
    return;
  }
  ctx.client->authenticated = true;
  ctx.client->user = std::string(user);
  ctx.rb->Ok();
}

bool ValidClientName(std::string_view name) {
  return std::all_of(name.begin(), name.end(), [](char ch) { return ch >= '!' && ch <= '~'; });
}

constexpr std::string_view kBadClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";

void CmdHello(const ArgList& args, CommandContext& ctx) {
  Client* c = ctx.client;
  int64_t version = c->resp;
  size_t i = 1;
  if (args.size() >= 2) {
    if (!ParseInt64(args[1], &version)) {
      ctx.rb->Error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (version < 2 || version > 3) {
      ctx.rb->Error("NOPROTO unsupported protocol version");
      return;
    }
    i = 2;
  }
  std::string_view user, pass, setname;
  bool has_auth = false, has_name = false;
  for (; i < args.size(); ++i) {
    size_t left = args.size() - i - 1;
    if (EqualsIgnoreCase(args[i], "AUTH") && left >= 2) {
      user = args[i + 1];
      pass = args[i + 2];
      has_auth = true;
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "SETNAME") && left >= 1) {
      setname = args[i + 1];
      has_name = true;
      i += 1;
    } else {
      ctx.rb->Error("ERR Syntax error in HELLO option '" + std::string(args[i]) + "'");
      return;
    }
  }
  if (has_auth) {
    if (!CheckPassword(ctx.server, user, pass)) {
      ctx.rb->Error(errors::kWrongPass);
      return;
    }
    c->authenticated = true;
    c->user = std::string(user);
  }
  if (!c->authenticated) {
    ctx.rb->Error("NOAUTH HELLO must be called with the client already authenticated, otherwise "
                  "the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the "
                  "client and select the RESP protocol version at the same time");
    return;
  }
  if (has_name) {
    if (!ValidClientName(setname)) {
      ctx.rb->Error(kBadClientName);
      return;
    }
    c->name = std::string(setname);
  }
  c->SetResp(static_cast<int>(version));
  ReplyBuilder* rb = ctx.rb;
  rb->MapHeader(7);
  rb->Bulk("server");
  rb->Bulk("redis");
  rb->Bulk("version");
  rb->Bulk("7.0.15");
  rb->Bulk("proto");
  rb->Integer(version);
  rb->Bulk("id");
  rb->Integer(static_cast<int64_t>(c->id()));
  rb->Bulk("mode");
  rb->Bulk("standalone");
  rb->Bulk("role");
  rb->Bulk("master");
  rb->Bulk("modules");
  rb->ArrayHeader(0);
}

void CmdReset(const ArgList&, CommandContext& ctx) {
  Client* c = ctx.client;
  c->db_index = 0;
  DiscardTransaction(*c);  // leaves MULTI and unwatches
  c->UnsubscribeAll();
  c->SetResp(2);
  c->name.clear();
  c->reply_mode = ReplyMode::kOn;
  c->skip_next_reply = false;
  c->authenticated = ctx.server->config().requirepass().empty();
  c->user = "default";
  ctx.rb->SimpleString("RESET");
}

void CmdSelect(const ArgList& args, CommandContext& ctx) {
  int64_t idx;
  if (!ParseInt64(args[1], &idx)) {
    ctx.rb->Error(errors::kNotInteger);
    return;
  }
  if (idx < INT32_MIN || idx > INT32_MAX) {
    ctx.rb->Error(errors::kIntOutOfRange);
    return;
  }
  if (idx < 0 || idx >= ctx.server->keyspace().size()) {
    ctx.rb->Error(errors::kDbIndexOutOfRange);
    return;
  }
  ctx.client->db_index = static_cast<int>(idx);
  ctx.rb->Ok();
}

// ---------------------------------------------------------------- CLIENT

void CmdClientId(const ArgList&, CommandContext& ctx) {
  ctx.rb->Integer(static_cast<int64_t>(ctx.client->id()));
}

void CmdClientSetName(const ArgList& args, CommandContext& ctx) {
  if (!ValidClientName(args[2])) {
    ctx.rb->Error(kBadClientName);
    return;
  }
  ctx.client->name = std::string(args[2]);
  ctx.rb->Ok();
}

void CmdClientGetName(const ArgList&, CommandContext& ctx) {
  if (ctx.client->name.empty()) {
    ctx.rb->Null();
  } else {
    ctx.rb->Bulk(ctx.client->name);
  }
}

void CmdClientInfo(const ArgList&, CommandContext& ctx) {
  ctx.rb->Verbatim(ctx.client->Describe(ctx.now_ms) + "\n");
}

// A filter over clients, shared by CLIENT LIST and CLIENT KILL.
struct ClientFilter {
  std::vector<uint64_t> ids;
  std::string addr, laddr, user, type;
  bool skipme = false;
  bool has_ids = false;

  bool Matches(Client* c, Client* self) const {
    if (has_ids && std::find(ids.begin(), ids.end(), c->id()) == ids.end()) return false;
    if (!addr.empty() && c->peer() != addr) return false;
    if (!laddr.empty() && c->local() != laddr) return false;
    if (!user.empty() && c->user != user) return false;
    if (!type.empty() && type != "normal") return false;  // only normal clients exist
    if (skipme && c == self) return false;
    return true;
  }
};

bool ParseClientType(std::string_view t, std::string* out) {
  static constexpr std::string_view kTypes[] = {"normal", "master", "replica", "slave", "pubsub"};
  for (std::string_view k : kTypes) {
    if (EqualsIgnoreCase(t, k)) {
      *out = std::string(k == "slave" ? "replica" : k);
      return true;
    }
  }
  return false;
}

void CmdClientList(const ArgList& args, CommandContext& ctx) {
  ClientFilter filter;
  for (size_t i = 2; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "TYPE") && i + 1 < args.size()) {
      if (!ParseClientType(args[++i], &filter.type)) {
        ctx.rb->Error("ERR Unknown client type '" + std::string(args[i]) + "'");
        return;
      }
    } else if (EqualsIgnoreCase(args[i], "ID") && i + 1 < args.size()) {
      filter.has_ids = true;
      for (++i; i < args.size(); ++i) {
        int64_t id;
        if (!ParseInt64(args[i], &id) || id <= 0) {
          ctx.rb->Error("ERR Invalid client ID");
          return;
        }
        filter.ids.push_back(static_cast<uint64_t>(id));
      }
    } else {
      ctx.rb->Error(errors::kSyntax);
      return;
    }
  }
  std::mutex mu;
  std::vector<std::pair<uint64_t, std::string>> lines;
  Client* self = ctx.client;
  int64_t now = ctx.now_ms;
  ctx.server->RunOnAllWorkers([&](Worker& w) {
    std::vector<std::pair<uint64_t, std::string>> local;
    for (auto& [id, c] : w.clients()) {
      if (filter.Matches(c, self)) local.emplace_back(id, c->Describe(now));
    }
    std::lock_guard lock(mu);
    for (auto& l : local) lines.push_back(std::move(l));
  });
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (auto& [id, line] : lines) {
    out += line;
    out += '\n';
  }
  ctx.rb->Verbatim(out);
}

void CmdClientKill(const ArgList& args, CommandContext& ctx) {
  ClientFilter filter;
  bool old_form = args.size() == 3;
  if (old_form) {
    filter.addr = std::string(args[2]);
  } else {
    filter.skipme = true;
    if ((args.size() - 2) % 2 != 0) {
      ctx.rb->Error(errors::kSyntax);
      return;
    }
    for (size_t i = 2; i < args.size(); i += 2) {
      std::string_view opt = args[i], val = args[i + 1];
      if (EqualsIgnoreCase(opt, "ID")) {
        int64_t id;
        if (!ParseInt64(val, &id) || id <= 0) {
          ctx.rb->Error("ERR client-id should be greater than 0");
          return;
        }
        filter.has_ids = true;
        filter.ids.push_back(static_cast<uint64_t>(id));
      } else if (EqualsIgnoreCase(opt, "TYPE")) {
        if (!ParseClientType(val, &filter.type)) {
          ctx.rb->Error("ERR Unknown client type '" + std::string(val) + "'");
          return;
        }
      } else if (EqualsIgnoreCase(opt, "ADDR")) {
        filter.addr = std::string(val);
      } else if (EqualsIgnoreCase(opt, "LADDR")) {
        filter.laddr = std::string(val);
      } else if (EqualsIgnoreCase(opt, "USER")) {
        filter.user = std::string(val);
      } else if (EqualsIgnoreCase(opt, "SKIPME")) {
        if (EqualsIgnoreCase(val, "yes")) {
          filter.skipme = true;
        } else if (EqualsIgnoreCase(val, "no")) {
          filter.skipme = false;
        } else {
          ctx.rb->Error(errors::kSyntax);
          return;
        }
      } else {
        ctx.rb->Error(errors::kSyntax);
        return;
      }
    }
  }
  std::atomic<int64_t> killed{0};
  Client* self = ctx.client;
  ctx.server->RunOnAllWorkers([&](Worker& w) {
    std::vector<Client*> victims;
    for (auto& [id, c] : w.clients()) {
      if (filter.Matches(c, self)) victims.push_back(c);
    }
    for (Client* c : victims) {
      // Killing ourselves: the reply still goes out first.
      if (c == self) {
        c->CloseAfterReply();
      } else {
        c->Close();
      }
      killed.fetch_add(1);
    }
  });
  if (old_form) {
    if (killed.load() == 0) {
      ctx.rb->Error(errors::kNoSuchClient);
    } else {
      ctx.rb->Ok();
    }
  } else {
    ctx.rb->Integer(killed.load());
  }
}

void CmdClientReply(const ArgList& args, CommandContext& ctx) {
  Client* c = ctx.client;
  if (EqualsIgnoreCase(args[2], "ON")) {
    c->reply_mode = ReplyMode::kOn;
    c->skip_next_reply = false;
    // This command ran with replies discarded; its own +OK must go out.
    ctx.rb->set_buffer(&c->out());
    ctx.rb->Ok();
  } else if (EqualsIgnoreCase(args[2], "OFF")) {
    c->reply_mode = ReplyMode::kOff;
  } else if (EqualsIgnoreCase(args[2], "SKIP")) {
    if (c->reply_mode == ReplyMode::kOn) c->skip_next_reply = true;
  } else {
    ctx.rb->Error(errors::kSyntax);
  }
}

void CmdClientHelp(const ArgList&, CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are:",
      "    * ADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made from the specified address",
      "    * LADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made to specified local address",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Kill connections by type.",
      "    * USER <username>",
      "      Kill connections authenticated by <username>.",
      "    * SKIPME (YES|NO)",
      "      Skip killing current connection (default: yes).",
      "    * ID <client-id>",
      "      Kill connections by client id.",
      "LIST [options ...]",
      "    Return information about client connections. Options:",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Return clients of specified type.",
      "REPLY (ON|OFF|SKIP)",
      "    Control the replies sent to the current connection.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "HELP",
      "    Print this help.",
  };
  ctx.rb->SimpleStrings(kLines);
}

void CmdContainer(const ArgList&, CommandContext& ctx) {
  // Reached only with argc == 1, which arity already rejects.
  ctx.rb->Error(errors::kSyntax);
}

}  // namespace

void RegisterConnectionFamily(CommandRegistry& r) {
  constexpr uint32_t kConn = kAclConnection;
  r.Register({
      Cmd("ping", -1, kFast | kPubSubContext, kConn | kAclFast, CmdPing)
          .Doc("connection", "1.0.0", "Ping the server"),
      Cmd("echo", 2, kLoading | kStale | kFast, kConn | kAclFast, CmdEcho)
          .Doc("connection", "1.0.0", "Echo the given string"),
      Cmd("quit", -1,
          kNoAuth | kNoScript | kStale | kFast | kLoading | kAllowBusy | kPubSubContext,
          kConn | kAclFast, CmdQuit)
          .Doc("connection", "1.0.0", "Close the connection"),
      Cmd("auth", -2, kNoAuth | kNoScript | kLoading | kStale | kFast | kAllowBusy,
          kConn | kAclFast, CmdAuth)
          .Doc("connection", "1.0.0", "Authenticate to the server", "O(N) where N is the number of passwords defined for the user"),
      Cmd("hello", -1, kNoAuth | kNoScript | kLoading | kStale | kFast | kAllowBusy,
          kConn | kAclFast, CmdHello)
          .Doc("connection", "6.0.0", "Handshake with Redis"),
      Cmd("reset", 1,
          kNoScript | kLoading | kStale | kFast | kNoAuth | kAllowBusy | kPubSubContext,
          kConn | kAclFast, CmdReset)
          .Doc("connection", "6.2.0", "Reset the connection"),
      Cmd("select", 2, kLoading | kStale | kFast, kConn | kAclFast, CmdSelect)
          .Doc("connection", "1.0.0", "Change the selected database for the current connection"),
      Cmd("client", -2, 0, kAclSlow, CmdContainer)
          .Doc("connection", "2.4.0", "A container for client connection commands", "Depends on subcommand.")
          .Sub(Cmd("id", 2, kNoScript | kLoading | kStale, kConn | kAclSlow, CmdClientId)
                   .Doc("connection", "5.0.0", "Returns the client ID for the current connection"))
          .Sub(Cmd("setname", 3, kNoScript | kLoading | kStale, kConn | kAclSlow, CmdClientSetName)
                   .Doc("connection", "2.6.9", "Set the current connection name"))
          .Sub(Cmd("getname", 2, kNoScript | kLoading | kStale, kConn | kAclSlow, CmdClientGetName)
                   .Doc("connection", "2.6.9", "Get the current connection name"))
          .Sub(Cmd("info", 2, kNoScript | kLoading | kStale, kConn | kAclSlow, CmdClientInfo)
                   .Doc("connection", "6.2.0", "Returns information about the current client connection."))
          .Sub(Cmd("list", -2, kAdmin | kNoScript | kLoading | kStale,
                   kConn | kAclAdmin | kAclSlow | kAclDangerous, CmdClientList)
                   .Doc("connection", "2.4.0", "Get the list of client connections", "O(N) where N is the number of client connections"))
          .Sub(Cmd("kill", -3, kAdmin | kNoScript | kLoading | kStale,
                   kConn | kAclAdmin | kAclSlow | kAclDangerous, CmdClientKill)
                   .Doc("connection", "2.4.0", "Kill the connection of a client", "O(N) where N is the number of client connections"))
          .Sub(Cmd("reply", 3, kNoScript | kLoading | kStale, kConn | kAclSlow, CmdClientReply)
                   .Doc("connection", "3.2.0", "Instruct the server whether to reply to commands"))
          .Sub(Cmd("help", 2, kLoading | kStale, kConn | kAclSlow, CmdClientHelp)
                   .Doc("connection", "5.0.0", "Show helpful text about the different subcommands")),
  });
}

}  // namespace basalt::server
