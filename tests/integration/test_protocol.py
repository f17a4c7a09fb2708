"""Protocol-level behaviour of the real binary: malformed input, inline
commands, pipelining, limits. Errors must carry Redis's exact text, close
only the offending connection, and never disturb other clients."""

import socket
import time

import pytest

from tests.resp import RawClient


def read_all(sock, timeout=2.0):
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except socket.timeout:
        return data, False
    except ConnectionResetError:
        return data, True


def raw_exchange(server, payload, timeout=2.0):
    with socket.create_connection((server.host, server.port)) as s:
        s.sendall(payload)
        return read_all(s, timeout)


@pytest.mark.parametrize("payload,error", [
    (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*1\r\n$-1\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$600000000\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n:5\r\n", b"-ERR Protocol error: expected '$', got ':'\r\n"),
    (b'SET k "unterminated\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    (b"x" * 70000, b"-ERR Protocol error: too big inline request\r\n"),
])
def test_malformed_request_gets_redis_error_and_close(basalt, payload, error):
    data, closed = raw_exchange(basalt, payload)
    assert data == error
    assert closed
    # The server is still fine for everyone else.
    assert basalt.client().ping()


def test_commands_before_a_protocol_error_are_executed(basalt):
    data, closed = raw_exchange(basalt, b"SET a 1\r\nGET a\r\n*x\r\n")
    assert data == b"+OK\r\n$1\r\n1\r\n-ERR Protocol error: invalid multibulk length\r\n"
    assert closed


def test_pipelined_mix_of_multibulk_inline_and_a_bad_request(basalt):
    # The request loop parses one request ahead; every shape must still run in order.
    payload = (b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
               b"GET a\r\n"
               b"*2\r\n$4\r\nINCR\r\n$1\r\na\r\n"
               b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n"
               b"*1\r\n$x\r\n")
    data, closed = raw_exchange(basalt, payload)
    assert data == (b"+OK\r\n$1\r\n1\r\n:2\r\n$1\r\n2\r\n"
                    b"-ERR Protocol error: invalid bulk length\r\n")
    assert closed


def test_select_then_pipelined_commands_use_the_new_db(basalt):
    payload = (b"*2\r\n$6\r\nSELECT\r\n$1\r\n5\r\n"
               b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv5\r\n"
               b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
               b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
    data, _ = raw_exchange(basalt, payload, timeout=0.5)
    assert data == b"+OK\r\n+OK\r\n+OK\r\n$-1\r\n"


def test_inline_commands_like_telnet(basalt):
    with RawClient(basalt.host, basalt.port) as c:
        assert c.call_inline('SET "my key" "hello world"') == ("+", b"OK")
        assert c.call_inline("GET 'my key'") == ("$", b"hello world")
        assert c.call_inline("ECHO \"\\x41\\x42\"") == ("$", b"AB")


def test_empty_lines_are_ignored(basalt):
    data, _ = raw_exchange(basalt, b"\r\n\r\n*0\r\nPING\r\n", timeout=0.5)
    assert data == b"+PONG\r\n"


def test_pipeline_of_many_commands_in_one_write(basalt):
    n = 10000
    payload = b"".join(b"*2\r\n$4\r\nINCR\r\n$1\r\nc\r\n" for _ in range(n))
    with socket.create_connection((basalt.host, basalt.port)) as s:
        s.sendall(payload)
        expected = b"".join(b":%d\r\n" % i for i in range(1, n + 1))
        data = b""
        s.settimeout(10)
        while len(data) < len(expected):
            chunk = s.recv(1 << 20)
            assert chunk
            data += chunk
    assert data == expected


def test_request_split_byte_by_byte(basalt):
    payload = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"
    with socket.create_connection((basalt.host, basalt.port)) as s:
        for i in range(len(payload)):
            s.send(payload[i:i + 1])
            time.sleep(0.001)
        data, _ = read_all(s, 0.5)
    assert data == b"+OK\r\n$5\r\nva\r\nl\r\n"


def test_large_bulk_values_round_trip(basalt):
    r = basalt.client()
    big = bytes(range(256)) * (64 * 1024)  # 16 MB
    r.set("big", big)
    assert r.get("big") == big
    assert r.strlen("big") == len(big)


def test_proto_max_bulk_len_is_enforced(basalt_factory):
    srv = basalt_factory(["--proto-max-bulk-len", "1mb"])
    data, closed = raw_exchange(srv, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n")
    assert data == b"-ERR Protocol error: invalid bulk length\r\n"
    assert closed


def test_query_buffer_limit_closes_the_client(basalt_factory):
    srv = basalt_factory(["--client-query-buffer-limit", "1mb"])
    with socket.create_connection((srv.host, srv.port)) as s:
        # One never-ending bulk: the request can't complete, the buffer grows.
        s.sendall(b"*2\r\n$4\r\nECHO\r\n$" + b"%d" % (8 << 20) + b"\r\n")
        closed = False
        try:
            for _ in range(64):
                s.sendall(b"x" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            closed = True
        if not closed:
            _, closed = read_all(s, 2)
    assert closed
    assert srv.client().ping()


def test_unauthenticated_clients_get_tighter_limits(basalt_factory):
    srv = basalt_factory(["--requirepass", "secret"])
    data, closed = raw_exchange(srv, b"*1\r\n$20000\r\n")
    assert data == b"-ERR Protocol error: unauthenticated bulk length\r\n"
    assert closed


def test_auth_in_a_pipeline_lifts_limits_for_the_rest(basalt_factory):
    srv = basalt_factory(["--requirepass", "secret"])
    big = b"v" * 20000  # over the 16 KB unauthenticated bulk limit
    payload = (b"*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n"
               b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$20000\r\n" + big + b"\r\n"
               b"*2\r\n$6\r\nSTRLEN\r\n$1\r\nk\r\n")
    data, _ = raw_exchange(srv, payload, timeout=1)
    assert data == b"+OK\r\n+OK\r\n:20000\r\n"


def test_binary_safe_keys_and_values(basalt):
    r = basalt.client()
    key = b"\x00\xff\r\n key"
    r.set(key, b"\x00\r\n\x00")
    assert r.get(key) == b"\x00\r\n\x00"
    assert r.exists(key) == 1
