"""Connection handling: maxclients, timeout, output buffer limits, AUTH,
shutdown, load spread across workers, and real clients (hiredis, redis-cli)."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

from tests.resp import RawClient
from tests.servers import basalt_path


def test_maxclients_rejects_with_redis_error(basalt_factory):
    srv = basalt_factory(["--maxclients", "3"])
    first = RawClient(srv.host, srv.port)
    # The start-up probe's connection may not be reaped yet; wait until only we remain.
    deadline = time.time() + 5
    while b"connected_clients:1\r\n" not in first.call("INFO", "clients")[1]:
        assert time.time() < deadline
        time.sleep(0.05)
    held = [first] + [RawClient(srv.host, srv.port) for _ in range(2)]
    for c in held:
        assert c.call("PING") == ("+", b"PONG")
    with socket.create_connection((srv.host, srv.port)) as s:
        s.settimeout(2)
        data = s.recv(1024)
    assert data == b"-ERR max number of clients reached\r\n"
    for c in held:
        c.close()


def test_idle_timeout_closes_clients(basalt_factory):
    srv = basalt_factory(["--timeout", "1"])
    with socket.create_connection((srv.host, srv.port)) as s:
        s.settimeout(5)
        start = time.time()
        assert s.recv(10) == b""  # closed by the server
        assert time.time() - start >= 0.9


def test_output_buffer_limit_disconnects_a_client_that_never_reads(basalt_factory):
    srv = basalt_factory(["--client-output-buffer-limit", "normal 1mb 0 0"])
    r = srv.client()
    r.set("v", b"x" * 100_000)
    s = socket.create_connection((srv.host, srv.port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    # 200 GETs of 100 KB = 20 MB of replies the client never reads.
    s.sendall(b"*2\r\n$3\r\nGET\r\n$1\r\nv\r\n" * 200)
    deadline = time.time() + 10
    killed = False
    while time.time() < deadline and not killed:
        clients = r.client_list()
        killed = len(clients) == 1
        time.sleep(0.1)
    s.close()
    assert killed
    info = r.info("stats")
    assert info.get("client_output_buffer_limit_disconnections", 1) >= 1


def test_requirepass_and_auth(basalt_factory):
    srv = basalt_factory(["--requirepass", "s3cret"])
    with RawClient(srv.host, srv.port) as c:
        assert c.call("GET", "x") == ("-", b"NOAUTH Authentication required.")
        assert c.call("AUTH", "wrong") == (
            "-", b"WRONGPASS invalid username-password pair or user is disabled.")
        assert c.call("AUTH", "s3cret") == ("+", b"OK")
        assert c.call("SET", "x", "1") == ("+", b"OK")
    r = redis.Redis(host=srv.host, port=srv.port, password="s3cret", protocol=3) \
        if "protocol" in redis.Redis.__init__.__code__.co_varnames else \
        redis.Redis(host=srv.host, port=srv.port, password="s3cret")
    assert r.get("x") == b"1"


def test_hello_switches_protocol(basalt):
    with RawClient(basalt.host, basalt.port) as c:
        reply = c.call("HELLO", "3")
        assert reply[0] == "%"
        fields = dict(reply[1])
        assert fields[("$", b"proto")] == (":", 3)
        assert c.call("GET", "missing") == ("_", None)
        assert c.call("HELLO", "4") == ("-", b"NOPROTO unsupported protocol version")


def test_shutdown_command_stops_the_server(basalt_factory):
    srv = basalt_factory()
    with RawClient(srv.host, srv.port) as c:
        c.send("SHUTDOWN", "NOSAVE")
        try:
            c.read_reply()
        except Exception:
            pass
    srv.proc.wait(timeout=10)
    assert srv.proc.returncode == 0


def test_sigterm_is_a_clean_shutdown(basalt_factory):
    srv = basalt_factory()
    os.kill(srv.pid, signal.SIGTERM)
    srv.proc.wait(timeout=10)
    assert srv.proc.returncode == 0


def test_connections_spread_over_workers(basalt_factory):
    srv = basalt_factory(["--io-threads", "2"])
    clients = [RawClient(srv.host, srv.port) for _ in range(16)]
    for i, c in enumerate(clients):
        assert c.call("SET", f"k{i}", i) == ("+", b"OK")
    assert srv.client().dbsize() == 16
    for c in clients:
        c.close()


def test_unix_socket(basalt_factory, tmp_path):
    path = str(tmp_path / "basalt.sock")
    srv = basalt_factory(["--unixsocket", path])
    r = redis.Redis(unix_socket_path=path)
    assert r.ping()
    r.set("via", "unix")
    assert srv.client().get("via") == b"unix"


def hiredis_client_binary():
    return Path(basalt_path()).parent / "hiredis_client"


def test_hiredis_c_client(basalt):
    binary = hiredis_client_binary()
    if not binary.exists():
        pytest.fail(f"{binary} not built (it is part of the CMake build)")
    out = subprocess.run([str(binary), basalt.host, str(basalt.port)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "all checks passed" in out.stdout


def test_redis_cli_commands_and_interactive_input(basalt):
    cli = ["redis-cli", "-h", basalt.host, "-p", str(basalt.port)]
    out = subprocess.run(cli + ["SET", "cli", "value"], capture_output=True, text=True, timeout=10)
    assert out.stdout.strip() == "OK"
    out = subprocess.run(cli, input="GET cli\nINCR n\nINCR n\nPING\n", capture_output=True,
                         text=True, timeout=10)
    assert out.stdout.split() == ["value", "1", "2", "PONG"]
    out = subprocess.run(cli + ["--no-raw", "GET", "nokey"], capture_output=True, text=True,
                         timeout=10)
    assert out.stdout.strip() == "(nil)"


def test_redis_cli_pipe_mode(basalt):
    payload = "".join(f"SET pipe:{i} {i}\r\n" for i in range(1000))
    out = subprocess.run(["redis-cli", "-p", str(basalt.port), "--pipe"], input=payload,
                         capture_output=True, text=True, timeout=30)
    assert "errors: 0, replies: 1000" in out.stdout
    assert basalt.client().get("pipe:999") == b"999"


def test_redis_benchmark_runs_against_basalt(basalt):
    out = subprocess.run(["redis-benchmark", "-p", str(basalt.port), "-n", "2000", "-c", "10",
                          "-t", "set,get,incr,mset,ping", "-q"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "requests per second" in out.stdout
