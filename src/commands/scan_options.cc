#include "commands/scan_options.h"

#include "common/errors.h"

namespace basalt::server {

bool ParseScanOptions(const ArgList& args, size_t first, bool allow_type, ScanOptions* out,
                      protocol::ReplyBuilder* rb) {
  for (size_t i = first; i < args.size(); i += 2) {
    bool has_value = i + 1 < args.size();
    if (EqualsIgnoreCase(args[i], "COUNT") && has_value) {
      if (!ParseInt64(args[i + 1], &out->count)) {
        rb->Error(errors::kNotInteger);
        return false;
      }
      if (out->count < 1) {
        rb->Error(errors::kSyntax);
        return false;
      }
    } else if (EqualsIgnoreCase(args[i], "MATCH") && has_value) {
      out->pattern = args[i + 1];
      out->use_pattern = out->pattern != "*";
    } else if (allow_type && EqualsIgnoreCase(args[i], "TYPE") && has_value) {
      // Redis 7.0 accepts any name; an unknown one simply matches nothing.
      out->type = args[i + 1];
      out->use_type = true;
    } else {
      rb->Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

void ReplyEmptyScan(protocol::ReplyBuilder* rb) {
  rb->ArrayHeader(2);
  rb->Bulk("0");
  rb->ArrayHeader(0);
}

}  // namespace basalt::server
