"""Differential tests of the connection family: PING, ECHO, QUIT, RESET,
HELLO, AUTH, SELECT and CLIENT, against redis-server."""

import pytest


def test_ping_and_echo(compat):
    compat.check("PING")
    compat.check("PING", "hello")
    compat.check("PING", "a", "b")
    compat.check("ping")
    compat.check("ECHO", "x")
    compat.check("ECHO", "")
    compat.check("ECHO", b"\x00\xff")
    compat.check("ECHO")
    compat.check("ECHO", "a", "b")


@pytest.mark.parametrize("index", ["0", "15", "16", "-1", "abc", "1.5", "99999999999", "", " 1"])
def test_select(compat, index):
    compat.check("SELECT", index)


def test_select_isolates_databases(compat):
    compat.check("SET", "k", "db0")
    compat.check("SELECT", "3")
    compat.check("GET", "k")
    compat.check("SET", "k", "db3")
    compat.check("SELECT", "0")
    compat.check("GET", "k")


def test_auth_without_password(compat):
    compat.check("AUTH", "x")
    compat.check("AUTH", "default", "anything")
    compat.check("AUTH", "nobody", "x")
    compat.check("AUTH", "a", "b", "c")
    compat.check("AUTH")


@pytest.mark.parametrize("args", [
    ("HELLO", "1"), ("HELLO", "4"), ("HELLO", "abc"), ("HELLO", "3", "SETNAME"),
    ("HELLO", "3", "BOGUS"), ("HELLO", "2", "SETNAME", "bad name"),
    ("HELLO", "2", "AUTH", "default"), ("HELLO", "2", "AUTH", "default", "pw"),
    ("HELLO", "2", "AUTH", "nobody", "pw"),
])
def test_hello_errors_and_options(compat, args):
    r, b = compat.both(*args)
    if r[0] == "-":
        assert b == r
    else:  # a HELLO map: compare its keys and the protocol, ids differ legitimately
        assert b[0] == r[0]
        assert [k for k, _ in zip(b[1][::2], b[1][::2])] == [k for k, _ in zip(r[1][::2], r[1][::2])]


def test_hello_then_resp3_shapes(compat):
    compat.hello(3)
    compat.check("GET", "missing")
    compat.check("PING")
    compat.check("CLIENT", "GETNAME")
    compat.check("ECHO", "resp3")


def test_client_name(compat):
    compat.check("CLIENT", "GETNAME")
    compat.check("CLIENT", "SETNAME", "worker-1")
    compat.check("CLIENT", "GETNAME")
    compat.check("CLIENT", "SETNAME", "has space")
    compat.check("CLIENT", "SETNAME", "new\nline")
    compat.check("CLIENT", "SETNAME", "")
    compat.check("CLIENT", "GETNAME")
    compat.check("CLIENT", "SETNAME")
    compat.check("CLIENT", "GETNAME", "extra")


def test_client_subcommand_errors(compat):
    compat.check("CLIENT")
    compat.check("CLIENT", "NOSUCH")
    compat.check("CLIENT", "ID", "extra")
    compat.check("CLIENT", "REPLY", "MAYBE")
    compat.check("CLIENT", "KILL", "1.2.3.4:5")
    compat.check("CLIENT", "KILL", "ID", "abc")
    compat.check("CLIENT", "KILL", "ID", "0")
    compat.check("CLIENT", "KILL", "ID", "999999")
    compat.check("CLIENT", "KILL", "TYPE", "bogus")
    compat.check("CLIENT", "KILL", "SKIPME", "maybe")
    compat.check("CLIENT", "KILL", "BOGUS", "x")
    compat.check("CLIENT", "KILL", "ID")
    compat.check("CLIENT", "LIST", "TYPE", "bogus")
    compat.check("CLIENT", "LIST", "ID", "abc")
    compat.check("CLIENT", "LIST", "BOGUS")
    assert compat.both("CLIENT", "HELP")[1][0] == "*"  # ours lists only what Basalt implements


def test_client_reply_off_skip_on(compat):
    # OFF: nothing comes back until ON, whose +OK is the next reply.
    compat.check_raw(b"CLIENT REPLY OFF\r\nSET a 1\r\nGET a\r\nCLIENT REPLY ON\r\nGET a\r\n",
                     replies=2)
    compat.check_raw(b"CLIENT REPLY SKIP\r\nSET b 2\r\nGET b\r\n", replies=1)


def test_client_info_and_list_shapes(compat):
    for args in (("CLIENT", "INFO"), ("CLIENT", "LIST")):
        r, b = compat.both(*args)
        assert r[0] == b[0] == "$"
        r_fields = [kv.split(b"=")[0] for kv in r[1].split()]
        b_fields = [kv.split(b"=")[0] for kv in b[1].split()]
        assert b_fields[:len(r_fields)] == r_fields


def test_reset(compat):
    compat.check("SELECT", "2")
    compat.check("CLIENT", "SETNAME", "n")
    compat.check("RESET")
    compat.check("CLIENT", "GETNAME")
    compat.check("SET", "where", "db0")
    compat.check("SELECT", "0")
    compat.check("GET", "where")
    compat.check("RESET", "extra")


def test_quit(compat):
    compat.check_raw(b"QUIT\r\n")
