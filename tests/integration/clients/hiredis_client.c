/* A real C client (hiredis) driving the server: sync commands, pipelining
 * and binary-safe values. Exits non-zero with a message on the first
 * mismatch. Usage: hiredis_client HOST PORT */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

static void expect_status(redisReply* r, const char* want, const char* what) {
  if (!r || r->type != REDIS_REPLY_STATUS || strcmp(r->str, want) != 0) {
    fprintf(stderr, "FAIL %s: expected status %s\n", what, want);
    failures++;
  }
  if (r) freeReplyObject(r);
}

static void expect_int(redisReply* r, long long want, const char* what) {
  if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != want) {
    fprintf(stderr, "FAIL %s: expected %lld\n", what, want);
    failures++;
  }
  if (r) freeReplyObject(r);
}

static void expect_bulk(redisReply* r, const char* want, size_t len, const char* what) {
  if (!r || r->type != REDIS_REPLY_STRING || r->len != len || memcmp(r->str, want, len) != 0) {
    fprintf(stderr, "FAIL %s: unexpected bulk\n", what);
    failures++;
  }
  if (r) freeReplyObject(r);
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  redisContext* c = redisConnect(argv[1], atoi(argv[2]));
  if (!c || c->err) {
    fprintf(stderr, "connect failed\n");
    return 1;
  }
  expect_status(redisCommand(c, "PING"), "PONG", "ping");
  expect_status(redisCommand(c, "SET %s %s", "greeting", "hello"), "OK", "set");
  expect_bulk(redisCommand(c, "GET %s", "greeting"), "hello", 5, "get");

  const char bin[] = {'a', '\0', '\r', '\n', (char)0xff};
  expect_status(redisCommand(c, "SET %b %b", bin, sizeof(bin), bin, sizeof(bin)), "OK", "set bin");
  expect_bulk(redisCommand(c, "GET %b", bin, sizeof(bin)), bin, sizeof(bin), "get bin");

  /* Pipelining: 1000 commands written before any reply is read. */
  for (int i = 0; i < 1000; i++) redisAppendCommand(c, "INCR %s", "counter");
  for (int i = 0; i < 1000; i++) {
    redisReply* r = NULL;
    if (redisGetReply(c, (void**)&r) != REDIS_OK) {
      fprintf(stderr, "FAIL pipeline read\n");
      return 1;
    }
    expect_int(r, i + 1, "pipelined incr");
  }

  /* A 1 MB value round trip. */
  size_t big_len = 1 << 20;
  char* big = malloc(big_len);
  for (size_t i = 0; i < big_len; i++) big[i] = (char)(i * 31);
  expect_status(redisCommand(c, "SET %s %b", "big", big, big_len), "OK", "set big");
  expect_bulk(redisCommand(c, "GET %s", "big"), big, big_len, "get big");
  free(big);

  redisReply* r = redisCommand(c, "NOSUCHCOMMAND");
  if (!r || r->type != REDIS_REPLY_ERROR || strncmp(r->str, "ERR unknown command", 19) != 0) {
    fprintf(stderr, "FAIL unknown command error\n");
    failures++;
  }
  if (r) freeReplyObject(r);

  redisFree(c);
  if (failures) return 1;
  printf("hiredis client: all checks passed\n");
  return 0;
}
