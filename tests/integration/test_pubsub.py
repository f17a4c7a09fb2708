"""Pub/Sub through the real binary: redis-py's PubSub, RESP3 push messages,
publication order across workers, and the pubsub output-buffer limit."""

import socket
import threading
import time

import pytest

from tests.resp import RawClient
from tests.servers import TIMEOUT_SCALE


def wait_for(predicate, timeout=5.0):
    deadline = time.time() + timeout * TIMEOUT_SCALE
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_redis_py_pubsub(basalt):
    r = basalt.client()
    p = r.pubsub()
    p.subscribe("news")
    p.psubscribe("sport.*")
    assert p.get_message(timeout=2)["type"] == "subscribe"
    assert p.get_message(timeout=2)["type"] == "psubscribe"
    assert r.publish("news", "hello") == 1
    assert r.publish("sport.tennis", "ace") == 1
    m1 = p.get_message(timeout=2)
    m2 = p.get_message(timeout=2)
    assert (m1["type"], m1["channel"], m1["data"]) == ("message", b"news", b"hello")
    assert (m2["type"], m2["pattern"], m2["channel"], m2["data"]) == (
        "pmessage", b"sport.*", b"sport.tennis", b"ace")
    assert r.pubsub_numsub("news") == [(b"news", 1)]
    assert r.pubsub_numpat() == 1
    p.close()
    assert wait_for(lambda: r.pubsub_numsub("news") == [(b"news", 0)])


def test_resp3_push_messages_interleave_with_replies(basalt):
    with RawClient(basalt.host, basalt.port) as sub, RawClient(basalt.host, basalt.port) as pub:
        sub.hello(3)
        assert sub.call("SUBSCRIBE", "c") == (">", [("$", b"subscribe"), ("$", b"c"), (":", 1)])
        assert pub.call("PUBLISH", "c", "m1") == (":", 1)
        assert sub.read_reply() == (">", [("$", b"message"), ("$", b"c"), ("$", b"m1")])
        assert sub.call("SET", "k", "v") == ("+", b"OK")


def test_order_per_publisher_across_workers(basalt_factory):
    srv = basalt_factory(["--io-threads", "4"])
    n_subs, n_pubs, n_msgs = 6, 3, 300
    subs = [RawClient(srv.host, srv.port, timeout=30 * TIMEOUT_SCALE) for _ in range(n_subs)]
    for s in subs:
        assert s.call("SUBSCRIBE", "ordered")[0] == "*"
    r = srv.client()
    assert wait_for(lambda: r.pubsub_numsub("ordered") == [(b"ordered", n_subs)])

    def publish(p):
        with RawClient(srv.host, srv.port) as c:
            for i in range(n_msgs):
                assert c.call("PUBLISH", "ordered", f"{p}:{i}") == (":", n_subs)

    threads = [threading.Thread(target=publish, args=(p,)) for p in range(n_pubs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in subs:
        last = {p: -1 for p in range(n_pubs)}
        for _ in range(n_pubs * n_msgs):
            kind, (_, _, (_, data)) = s.read_reply()
            p, i = map(int, data.decode().split(":"))
            assert i == last[p] + 1, f"publisher {p}: {i} after {last[p]}"
            last[p] = i
        s.close()


def test_slow_subscriber_is_disconnected_by_pubsub_limit(basalt_factory):
    srv = basalt_factory(["--client-output-buffer-limit", "pubsub 256kb 0 0"])
    slow = socket.create_connection((srv.host, srv.port))
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.sendall(b"SUBSCRIBE firehose\r\n")
    r = srv.client()
    assert wait_for(lambda: r.pubsub_numsub("firehose") == [(b"firehose", 1)])
    payload = b"x" * 10_000
    for _ in range(500):  # 5 MB the subscriber never reads
        r.publish("firehose", payload)
        if r.pubsub_numsub("firehose") == [(b"firehose", 0)]:
            break
    assert wait_for(lambda: r.pubsub_numsub("firehose") == [(b"firehose", 0)])
    info = r.info("stats")
    assert info["client_output_buffer_limit_disconnections"] >= 1
    slow.close()
    assert r.ping()


def test_client_list_shows_subscriptions(basalt):
    with RawClient(basalt.host, basalt.port) as s:
        s.call("SUBSCRIBE", "a", "b")
        s.call("PSUBSCRIBE", "x*")
        clients = basalt.client().client_list()
        sub = [c for c in clients if c["sub"] == "2"]
        assert len(sub) == 1 and sub[0]["psub"] == "1" and "P" in sub[0]["flags"]


@pytest.mark.concurrency
def test_publish_and_subscribe_churn_under_threads(basalt_factory):
    srv = basalt_factory(["--io-threads", "4"])
    stop = threading.Event()
    errors = []

    def churn():
        try:
            while not stop.is_set():
                with RawClient(srv.host, srv.port) as c:
                    c.call("SUBSCRIBE", "churn")
                    c.call("UNSUBSCRIBE", "churn")
        except Exception as e:
            errors.append(repr(e))

    def publish():
        try:
            with RawClient(srv.host, srv.port) as c:
                for i in range(500):
                    assert c.call("PUBLISH", "churn", str(i))[0] == ":"
        except Exception as e:
            errors.append(repr(e))

    churners = [threading.Thread(target=churn) for _ in range(4)]
    publishers = [threading.Thread(target=publish) for _ in range(2)]
    for t in churners + publishers:
        t.start()
    for t in publishers:
        t.join()
    stop.set()
    for t in churners:
        t.join()
    assert not errors, errors[:3]
    assert srv.client().ping()
