"""Differential tests of Pub/Sub replies against redis-server: subscription
confirmations, messages in RESP2 and RESP3, the RESP2 subscribed-mode rules,
and PUBSUB introspection."""

import pytest


def pair(compat):
    """A second connection to each server: (redis, basalt) raw clients."""
    return compat.connect()


def check_reads(compat, n):
    for _ in range(n):
        r, b = compat.redis.read_reply(), compat.basalt.read_reply()
        assert b == r


def test_subscribe_confirmations(compat):
    compat.check_raw(b"SUBSCRIBE a b a\r\n", replies=3)
    compat.check_raw(b"PSUBSCRIBE n* a\r\n", replies=2)
    compat.check_raw(b"UNSUBSCRIBE a nosuch\r\n", replies=2)
    compat.check_raw(b"PUNSUBSCRIBE\r\n", replies=2)
    compat.check_raw(b"UNSUBSCRIBE\r\n", replies=1)
    compat.check_raw(b"UNSUBSCRIBE\r\n", replies=1)  # none left: a null channel
    compat.check("PUNSUBSCRIBE")


def test_messages_reach_channel_and_pattern_subscribers(compat):
    compat.check_raw(b"SUBSCRIBE news\r\nPSUBSCRIBE n*\r\n", replies=2)
    other = pair(compat)
    assert other.check("PUBLISH", "news", "hello") == (":", 2)
    check_reads(compat, 2)  # message, then pmessage
    assert other.check("PUBLISH", "nothing", "x") == (":", 1)
    check_reads(compat, 1)
    assert other.check("PUBLISH", "zzz", "x") == (":", 0)


def test_resp2_subscribed_mode_rules(compat):
    compat.check_raw(b"SUBSCRIBE c\r\n", replies=1)
    compat.check("GET", "x")
    compat.check("PING")
    compat.check("PING", "hi")
    compat.check("SET", "a", "b")
    compat.check("RESET")
    compat.check("GET", "x")


def test_resp3_subscribers_may_run_anything(compat):
    compat.hello(3)
    compat.check_raw(b"SUBSCRIBE c\r\n", replies=1)
    compat.check("SET", "a", "b")
    compat.check("GET", "a")
    compat.check("PING")
    other = pair(compat)
    other.check("PUBLISH", "c", "m")
    check_reads(compat, 1)


def test_shard_channels(compat):
    compat.check_raw(b"SSUBSCRIBE s1 s2\r\n", replies=2)
    other = pair(compat)
    assert other.check("SPUBLISH", "s1", "m") == (":", 1)
    assert other.check("PUBLISH", "s1", "m") == (":", 0)
    check_reads(compat, 1)
    other.check("PUBSUB", "SHARDCHANNELS", unordered=True)
    other.check("PUBSUB", "SHARDCHANNELS", "s1*")
    other.check("PUBSUB", "SHARDNUMSUB", "s1", "s2", "nosuch")


def test_pubsub_introspection(compat):
    compat.check_raw(b"SUBSCRIBE x1 x2\r\nPSUBSCRIBE p1* p2*\r\n", replies=4)
    other = pair(compat)
    other.check("PUBSUB", "CHANNELS", "x1")
    other.check("PUBSUB", "NUMSUB", "x1", "x2", "x3")
    other.check("PUBSUB", "NUMSUB")
    other.check("PUBSUB", "NUMPAT")
    other.check("PUBSUB", "CHANNELS", "a", "b")
    other.check("PUBSUB", "NUMPAT", "x")
    other.check("PUBSUB", "NOSUCH")
    other.check("PUBSUB")
    r, b = other.both("PUBSUB", "CHANNELS")
    assert sorted(b[1]) == sorted(r[1])


@pytest.mark.parametrize("args", [
    ("SUBSCRIBE",), ("PSUBSCRIBE",), ("SSUBSCRIBE",), ("PUBLISH",), ("PUBLISH", "c"),
    ("PUBLISH", "c", "m", "x"), ("SPUBLISH", "c"),
])
def test_arity_errors(compat, args):
    compat.check(*args)


def test_binary_channels_and_messages(compat):
    compat.check_raw(b"SUBSCRIBE \"a\\x00b\"\r\n", replies=1)
    other = pair(compat)
    assert other.check("PUBLISH", b"a\x00b", b"\r\n\x00\xff") == (":", 1)
    check_reads(compat, 1)
