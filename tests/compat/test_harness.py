"""Checks of the compat harness itself, on commands every server supports."""

import pytest

from tests.compat.helpers import first_difference, mismatch_message, normalise


def test_ping(compat):
    assert compat.check("PING") == ("+", b"PONG")
    assert compat.check("PING", "hello") == ("$", b"hello")


def test_echo(compat):
    assert compat.check("ECHO", "hi there") == ("$", b"hi there")
    assert compat.check("ECHO", b"\x00\xff\r\n") == ("$", b"\x00\xff\r\n")
    assert compat.check("ECHO", "") == ("$", b"")


def test_set_get(compat):
    assert compat.check_seq([("SET", "k", "v"), ("GET", "k"), ("GET", "missing")]) == [
        ("+", b"OK"), ("$", b"v"), ("$", None)]
    assert compat.check("SET", "n", 42) == ("+", b"OK")
    assert compat.check("GET", "n") == ("$", b"42")


def test_big_value(compat):
    value = b"x" * (3 * 1024 * 1024 + 7)  # split across many recv() calls
    compat.check("SET", "big", value)
    assert compat.check("GET", "big") == ("$", value)


def test_unknown_command(compat):
    reply = compat.check("NOSUCHCOMMAND", "a", "b")
    assert reply[0] == "-" and reply[1].startswith(b"ERR unknown command")


def test_wrong_arity(compat):
    assert compat.check("GET") == ("-", b"ERR wrong number of arguments for 'get' command")
    compat.check("SET", "onlykey")


def test_inline_and_pipeline(compat):
    compat.check_raw(b"PING\r\n")
    compat.check_raw(b"SET a 1\r\nGET a\r\n*1\r\n$4\r\nPING\r\n", replies=3)


def test_resp3(compat):
    compat.hello(3)
    compat.check("SET", "k", "v")
    assert compat.check("GET", "nothing") == ("_", None)


def test_unordered(compat):
    compat.check("MSET", "a", "1", "b", "2", "c", "3")
    assert compat.check("KEYS", "*", unordered=True) == (
        "*", [("$", b"a"), ("$", b"b"), ("$", b"c")])


def test_second_connection(compat):
    other = compat.connect()
    compat.check("SET", "shared", "1")
    assert other.check("GET", "shared") == ("$", b"1")


def test_mismatch_is_reported_readably():
    r = ("*", [("$", b"a"), ("$", b"b")])
    b = ("*", [("$", b"a"), ("-", b"ERR nope")])
    assert first_difference(r, b) == "[1]"
    assert normalise(("*", [("$", b"b"), ("$", None)])) == normalise(("*", [("$", None), ("$", b"b")]))
    msg = mismatch_message("GET x", r, b)
    assert "GET x" in msg and "-ERR nope" in msg and "first difference at: [1]" in msg
    with pytest.raises(AssertionError, match="differs"):
        from tests.compat.helpers import Compat
        Compat._compare("GET x", r, b, False)


def test_raw_client_parses_every_resp3_type():
    """Feed hand-written RESP3 from a local socket into RawClient."""
    import socket
    import threading

    from tests.resp import RawClient, format_reply, unwrap

    payload = (b"%2\r\n+a\r\n:1\r\n$1\r\nb\r\n~2\r\n#t\r\n#f\r\n"
               b",1.5\r\n(12345678901234567890\r\n=8\r\ntxt:abcd\r\n_\r\n"
               b"|1\r\n+ttl\r\n:3600\r\n$3\r\nval\r\n>2\r\n$7\r\nmessage\r\n*-1\r\n"
               b"!7\r\nERR x\r\n\r\n$-1\r\n*0\r\n")
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = listener.accept()
        conn.recv(1024)
        for i in range(0, len(payload), 3):  # dribble: replies split across recv() calls
            conn.sendall(payload[i:i + 3])
        try:
            conn.recv(1024)  # until the client hangs up
        except ConnectionResetError:
            pass
        conn.close()

    t = threading.Thread(target=serve)
    t.start()
    with RawClient(*listener.getsockname()) as c:
        c.send("ANY")
        replies = [c.read_reply() for _ in range(9)]
    t.join()
    listener.close()
    assert replies == [
        ("%", [(("+", b"a"), (":", 1)), (("$", b"b"), ("~", [("#", True), ("#", False)]))]),
        (",", b"1.5"), ("(", b"12345678901234567890"), ("=", b"txt:abcd"), ("_", None),
        ("|", [(("+", b"ttl"), (":", 3600))], ("$", b"val")),
        (">", [("$", b"message"), ("*", None)]),
        ("!", b"ERR x\r\n"), ("$", None)]
    assert unwrap(replies[0]) == {b"a": 1, b"b": [True, False]}
    assert "%2" in format_reply(replies[0])
