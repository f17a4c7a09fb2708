// The family list: adding a family adds one line here.
#include "server/command.h"

namespace basalt::server {

void RegisterConnectionFamily(CommandRegistry& r);
void RegisterServerFamily(CommandRegistry& r);
void RegisterCommandFamily(CommandRegistry& r);
void RegisterStringFamily(CommandRegistry& r);
void RegisterKeysFamily(CommandRegistry& r);
void RegisterPubSubFamily(CommandRegistry& r);
void RegisterListFamily(CommandRegistry& r);
void RegisterHashFamily(CommandRegistry& r);
void RegisterSetFamily(CommandRegistry& r);
void RegisterZSetFamily(CommandRegistry& r);
void RegisterBitmapFamily(CommandRegistry& r);
void RegisterHyperLogLogFamily(CommandRegistry& r);
void RegisterSortFamily(CommandRegistry& r);
void RegisterScriptingFamily(CommandRegistry& r);
void RegisterFunctionFamily(CommandRegistry& r);
void RegisterTransactionFamily(CommandRegistry& r);

void RegisterPersistenceFamily(CommandRegistry& r);
void RegisterAofFamily(CommandRegistry& r);

void RegisterAllFamilies(CommandRegistry& r) {
  RegisterConnectionFamily(r);
  RegisterServerFamily(r);
  RegisterCommandFamily(r);
  RegisterStringFamily(r);
  RegisterKeysFamily(r);
  RegisterPubSubFamily(r);
  RegisterListFamily(r);
  RegisterHashFamily(r);
  RegisterSetFamily(r);
  RegisterZSetFamily(r);
  RegisterBitmapFamily(r);
  RegisterHyperLogLogFamily(r);
  RegisterSortFamily(r);
  RegisterScriptingFamily(r);
  RegisterFunctionFamily(r);
  RegisterTransactionFamily(r);
  RegisterPersistenceFamily(r);
  RegisterAofFamily(r);
}

}  // namespace basalt::server
