// The family list: adding a family adds one line here.
#include "server/command.h"

namespace basalt::server {

void RegisterConnectionFamily(CommandRegistry& r);
void RegisterServerFamily(CommandRegistry& r);
void RegisterStringFamily(CommandRegistry& r);
void RegisterKeysFamily(CommandRegistry& r);

void RegisterAllFamilies(CommandRegistry& r) {
  RegisterConnectionFamily(r);
  //TMP RegisterServerFamily(r);
  //TMP RegisterStringFamily(r);
  //TMP RegisterKeysFamily(r);
}

}  // namespace basalt::server
