// BGREWRITEAOF: a new AOF base from a point-in-time snapshot (persist/aof.h).
#include "persist/aof.h"
#include "server/command.h"
#include "server/server.h"

namespace basalt::server {
namespace {

void CmdBgRewriteAof(const ArgList&, CommandContext& ctx) {
  bool is_error = false;
  std::string reply = persist::GetAof(*ctx.server).BgRewrite(&is_error);
  if (is_error) {
    ctx.rb->Error(reply);
  } else {
    ctx.rb->SimpleString(reply);
  }
}

}  // namespace

void RegisterAofFamily(CommandRegistry& r) {
  r.Register({
      Cmd("bgrewriteaof", 1, kAdmin | kNoScript | kNoAsyncLoading,
          kAclAdmin | kAclSlow | kAclDangerous, CmdBgRewriteAof)
          .Doc("server", "1.0.0", "Asynchronously rewrite the append-only file", "O(1)"),
  });
}

}  // namespace basalt::server
