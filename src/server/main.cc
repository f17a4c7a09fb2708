#include <cstdio>
#include <cstring>
#include <string>

#include "server/server.h"

int main(int argc, char** argv) {
  if (argc == 2 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
    printf("Basalt server v=7.0.15 (Redis-compatible) bits=64\n");
    return 0;
  }
  if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
    printf(
        "Usage: basalt-server [/path/to/redis.conf] [--name value ...]\n"
        "Directives use Redis's names; BASALT_<NAME> environment variables override the file.\n");
    return 0;
  }
  basalt::server::Server server;
  std::string error;
  if (!server.Configure(argc, argv, &error)) {
    fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  return server.Run();
}
