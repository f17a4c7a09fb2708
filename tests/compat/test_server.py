"""Server commands against redis-server 7.0: INFO, CONFIG, COMMAND, TIME,
LASTSAVE, DEBUG, SHUTDOWN (error forms only: the servers are shared)."""

import time

import pytest

from tests.resp import unwrap
from tests.servers import start_basalt, start_redis

# Options with the same defaults in both servers as the harness starts them
# (port, dir and save differ by construction).
COMMON_OPTIONS = [
    "maxmemory", "maxmemory-policy", "maxmemory-samples", "maxclients", "timeout",
    "tcp-keepalive", "tcp-backlog", "databases", "hz", "proto-max-bulk-len",
    "client-query-buffer-limit", "active-expire-effort", "protected-mode", "loglevel",
    "requirepass", "unixsocketperm", "bind", "client-output-buffer-limit", "daemonize",
]

# Fields Basalt adds to Redis 7.0's INFO: its own version, and two counters
# later Redis versions report under these names.
BASALT_EXTRA_FIELDS = {
    "basalt_version", "client_query_buffer_limit_disconnections",
    "client_output_buffer_limit_disconnections",
}


def info_fields(text):
    """{section title: [field names]} from an INFO text."""
    sections, current = {}, None
    for line in text.decode().split("\r\n"):
        if line.startswith("# "):
            current = line[2:]
            sections[current] = []
        elif line:
            sections[current].append(line.split(":", 1)[0])
    return sections


def info_text(reply):
    t, v = reply
    if t == "=":
        assert v[:4] == b"txt:"
        return v[4:]
    assert t == "$", reply
    return v


# ---------------------------------------------------------------- CONFIG

def test_config_get_single(compat):
    for name in COMMON_OPTIONS:
        compat.check("CONFIG", "GET", name)
    compat.check("CONFIG", "GET", "no-such-option")
    compat.check("CONFIG", "GET", "MAXMEMORY")


def test_config_get_many_resp3(compat):
    compat.hello(3)
    reply = compat.check("CONFIG", "GET", *COMMON_OPTIONS, unordered=True)
    assert reply[0] == "%" and len(reply[1]) == len(COMMON_OPTIONS)
    # A name given twice (or matched by two patterns) is reported once.
    compat.check("CONFIG", "GET", "maxmemory", "maxmemory", "MAXMEMORY", unordered=True)
    compat.check("CONFIG", "GET", "nosuch1", "nosuch2")


def test_config_set_round_trip(compat):
    try:
        compat.check("CONFIG", "SET", "maxmemory", "10mb", "timeout", "30")
        compat.check("CONFIG", "GET", "maxmemory")
        compat.check("CONFIG", "GET", "timeout")
        compat.check("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
        compat.check("CONFIG", "GET", "maxmemory-policy")
        compat.check("CONFIG", "SET", "hz", "20")
        compat.check("CONFIG", "GET", "hz")
    finally:
        compat.check("CONFIG", "SET", "maxmemory", "0", "timeout", "0",
                     "maxmemory-policy", "noeviction", "hz", "10")


def test_config_set_errors(compat):
    compat.check("CONFIG", "SET")
    compat.check("CONFIG", "SET", "maxmemory")
    compat.check("CONFIG", "SET", "maxmemory", "10", "timeout")
    compat.check("CONFIG", "SET", "no-such-option", "1")
    compat.check("CONFIG", "SET", "maxmemory", "abc")
    compat.check("CONFIG", "SET", "maxmemory", "10", "maxmemory", "20")
    compat.check("CONFIG", "SET", "maxmemory", "10", "no-such-option", "20")
    compat.check("CONFIG", "SET", "daemonize", "yes")
    compat.check("CONFIG", "SET", "databases", "4")
    compat.check("CONFIG", "SET", "maxmemory-policy", "nosuch")
    compat.check("CONFIG", "SET", "hz", "abc")
    # All or nothing: the valid pair before the bad one is not applied.
    compat.check("CONFIG", "SET", "timeout", "77", "maxmemory", "abc")
    compat.check("CONFIG", "GET", "timeout")


def test_config_subcommand_errors(compat):
    compat.check("CONFIG")
    compat.check("CONFIG", "GET")
    compat.check("CONFIG", "nosuch")
    compat.check("CONFIG", "RESETSTAT", "extra")
    compat.check("CONFIG", "HELP")
    compat.check("config", "help", "extra")
    # Neither server was started with a config file.
    compat.check("CONFIG", "REWRITE")


def test_config_resetstat(compat):
    compat.check("CONFIG", "RESETSTAT")
    r, b = compat.both("INFO", "stats")
    for text in (info_text(r), info_text(b)):
        assert b"total_error_replies:0\r\n" in text
        assert b"keyspace_hits:0\r\n" in text


# ---------------------------------------------------------------- INFO

def test_info_section_headers(compat):
    for args in [(), ("default",), ("all",), ("everything",), ("server", "keyspace"),
                 ("KEYSPACE", "server"), ("cpu", "cpu"), ("default", "commandstats")]:
        r, b = compat.both("INFO", *args)
        r_sections = [s for s in info_fields(info_text(r)) if s != "Latencystats"]
        assert list(info_fields(info_text(b))) == r_sections, args


def test_info_field_names(compat):
    r, b = compat.both("INFO", "everything")
    redis_fields = info_fields(info_text(r))
    for section, fields in info_fields(info_text(b)).items():
        if section in ("Commandstats", "Errorstats", "Keyspace"):
            continue  # their fields are data, checked below
        unknown = set(fields) - set(redis_fields[section]) - BASALT_EXTRA_FIELDS
        assert not unknown, f"{section}: fields Redis 7.0 doesn't have: {sorted(unknown)}"
        assert len(fields) == len(set(fields)), section


def test_info_exact_sections(compat):
    compat.check("INFO", "nosuch")
    compat.check("INFO", "cluster")
    compat.check("INFO", "modules")
    compat.check("INFO", "CLUSTER", "nosuch", "modules")
    compat.hello(3)
    compat.check("INFO", "nosuch")
    compat.check("INFO", "cluster")


def test_info_keyspace(compat):
    compat.check("INFO", "keyspace")
    compat.check_seq([("SET", "a", "1"), ("SET", "b", "2", "EX", "100"), ("SELECT", "3"),
                      ("SET", "c", "3")])
    r, b = compat.both("INFO", "keyspace")
    strip = lambda t: [line.rsplit(b",avg_ttl=", 1)[0] for line in t.split(b"\r\n")]
    assert strip(info_text(b)) == strip(info_text(r))
    ttl = int(info_text(b).split(b"avg_ttl=")[1].split(b"\r\n")[0])
    assert 90_000 < ttl <= 100_000
    compat.check("SELECT", "0")


def test_info_errorstats_and_commandstats(compat):
    compat.check("CONFIG", "RESETSTAT")
    compat.check_seq([("SET", "s", "v"), ("GET", "s"), ("GET",), ("INCR", "s"),
                      ("NOSUCHCMD",), ("CONFIG", "GET", "hz"), ("CONFIG", "SET", "hz", "x")])
    compat.check("INFO", "errorstats")
    r, b = compat.both("INFO", "commandstats")

    def calls(text):
        out = {}
        for line in text.decode().split("\r\n")[1:]:
            if line:
                name, rest = line.split(":", 1)
                fields = dict(kv.split("=") for kv in rest.split(","))
                out[name] = (fields["calls"], fields["rejected_calls"], fields["failed_calls"])
        return out

    assert calls(info_text(b)) == calls(info_text(r))
    r, b = compat.both("INFO", "stats")
    for text in (info_text(r), info_text(b)):
        assert b"total_error_replies:4\r\n" in text


def test_info_redis_py_compatible_values(compat):
    _, b = compat.both("INFO", "everything")
    for line in info_text(b).decode().split("\r\n"):
        if line and not line.startswith("#"):
            name, value = line.split(":", 1)
            assert name and "\n" not in value


# ---------------------------------------------------------------- COMMAND

OWN_COMMANDS = ["info", "config", "time", "lastsave", "debug", "shutdown", "command"]


def command_head(v):
    """name, arity, flags, first, last, step, categories of an unwrapped info."""
    return [v[0], v[1], sorted(v[2]), v[3], v[4], v[5], sorted(v[6])]


def compare_info(r, b, all_subcommands):
    """Heads of a command and of its subcommands; Basalt's subcommands must
    all exist in Redis (and, with all_subcommands, be all of Redis's)."""
    rv, bv = unwrap(r[1][0]), unwrap(b[1][0])
    problems = []
    if command_head(rv) != command_head(bv):
        problems.append((command_head(rv), command_head(bv)))
    r_subs = {s[0]: command_head(s) for s in rv[9]}
    b_subs = {s[0]: command_head(s) for s in bv[9]}
    if all_subcommands and set(r_subs) != set(b_subs):
        problems.append(("subcommands", sorted(r_subs), sorted(b_subs)))
    for name, head in b_subs.items():
        if r_subs.get(name) != head:
            problems.append((r_subs.get(name), head))
    return problems


def test_command_info_own_commands(compat):
    for name in OWN_COMMANDS:
        all_subs = name != "debug"  # Redis's DEBUG has no subcommand table
        assert not compare_info(*compat.both("COMMAND", "INFO", name), all_subs), name


def test_command_info_shared_commands(compat):
    """Every command both servers have agrees on arity, flags, keys, categories."""
    basalt_names = unwrap(compat.basalt.call("COMMAND", "LIST"))
    redis_names = set(unwrap(compat.redis.call("COMMAND", "LIST")))
    mismatches = []
    for name in basalt_names:
        if name not in redis_names or b"|" in name:
            continue
        if problems := compare_info(*compat.both("COMMAND", "INFO", name), False):
            mismatches.append((name, problems))
    assert not mismatches, "\n".join(map(str, mismatches))


def test_command_info_get_key_spec(compat):
    compat.check("COMMAND", "INFO", "get")
    compat.check("COMMAND", "INFO", "GET", "nosuch", "config|get", "CONFIG|RESETSTAT")
    compat.check("COMMAND", "INFO", "get|x", "config|nosuch", "config|get|x")
    compat.hello(3)
    compat.check("COMMAND", "INFO", "get", "nosuch")


def test_command_docs(compat):
    for name in OWN_COMMANDS + ["get", "set"]:
        r, b = compat.both("COMMAND", "DOCS", name)
        rd, bd = unwrap(r), unwrap(b)
        assert rd[0] == bd[0] == name.encode()

        def core(d):
            d = dict(zip(d[::2], d[1::2])) if isinstance(d, list) else d
            out = {k: d[k] for k in (b"summary", b"since", b"group", b"complexity") if k in d}
            if b"subcommands" in d:
                subs = d[b"subcommands"]
                subs = dict(zip(subs[::2], subs[1::2])) if isinstance(subs, list) else subs
                out["subs"] = {k: core(v) for k, v in subs.items()}
            return out

        assert core(bd[1]) == core(rd[1]), name
    compat.check("COMMAND", "DOCS", "nosuch")
    compat.hello(3)
    compat.check("COMMAND", "DOCS", "nosuch")


def test_command_getkeys(compat):
    for args in [("GET", "k"), ("SET", "k", "v", "EX", "10"), ("MSET", "a", "1", "b", "2"),
                 ("MSET", "a", "1", "b"), ("MGET", "a", "b", "c"), ("DEL", "a", "b"),
                 ("RENAME", "a", "b"), ("EXISTS", "x", "y", "z"), ("GETEX", "k", "PERSIST")]:
        compat.check("COMMAND", "GETKEYS", *args)
        compat.check("COMMAND", "GETKEYS", args[0], args[1])  # wrong arity or keys
        # Basalt derives key flags from the command flags (RW/RO), so only
        # the keys of GETKEYSANDFLAGS are compared in general.
        r, b = compat.both("COMMAND", "GETKEYSANDFLAGS", *args)
        assert [k for k, _ in unwrap(r)] == [k for k, _ in unwrap(b)], args
    compat.check("COMMAND", "GETKEYS", "GET")
    compat.check("COMMAND", "GETKEYS", "nosuch", "x")
    compat.check("COMMAND", "GETKEYS", "GET", "a", "b")
    compat.check("COMMAND", "GETKEYS", "PING", "x")
    compat.check("COMMAND", "GETKEYS", "CONFIG", "GET", "x")
    compat.check("COMMAND", "GETKEYS", "CONFIG", "nosuch", "x")
    compat.check("COMMAND", "GETKEYSANDFLAGS", "GET", "k")
    compat.check("COMMAND", "GETKEYSANDFLAGS", "MGET", "k", "l")
    compat.check("COMMAND", "GETKEYSANDFLAGS", "GET", "k", "l")
    compat.hello(3)
    compat.check("COMMAND", "GETKEYSANDFLAGS", "GET", "k")


def test_command_list(compat):
    compat.check("COMMAND", "LIST", "FILTERBY", "PATTERN", "config*", unordered=True)
    compat.check("COMMAND", "LIST", "FILTERBY", "pattern", "COMMAND|*", unordered=True)
    compat.check("COMMAND", "LIST", "FILTERBY", "aclcat", "nosuch")
    compat.check("COMMAND", "LIST", "FILTERBY", "aclcat", "@admin")
    compat.check("COMMAND", "LIST", "FILTERBY", "module", "x")
    compat.check("COMMAND", "LIST", "FILTERBY", "x", "y")
    compat.check("COMMAND", "LIST", "FILTERBY")
    compat.check("COMMAND", "LIST", "x")
    compat.check("COMMAND", "LIST", "FILTERBY", "pattern", "a", "b")
    names = unwrap(compat.basalt.call("COMMAND", "LIST"))
    admin = set(unwrap(compat.basalt.call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "admin")))
    redis_admin = set(unwrap(compat.redis.call("COMMAND", "LIST", "FILTERBY", "aclcat", "admin")))
    assert admin == redis_admin & set(names)


def test_command_misc(compat):
    compat.check("COMMAND", "HELP")
    compat.check("COMMAND", "nosuch")
    compat.check("COMMAND", "COUNT", "x")
    count = compat.basalt.call("COMMAND", "COUNT")
    assert count[0] == ":"
    everything = compat.basalt.call("COMMAND")
    assert len(everything[1]) == count[1]
    assert len(compat.basalt.call("COMMAND", "INFO")[1]) == count[1]
    assert len(unwrap(compat.basalt.call("COMMAND", "DOCS"))) == 2 * count[1]


# ---------------------------------------------------------------- TIME, LASTSAVE

def test_time(compat):
    r, b = compat.both("TIME")
    assert r[0] == b[0] == "*" and len(b[1]) == 2
    assert all(t == "$" and v.isdigit() for t, v in b[1])
    assert abs(int(b[1][0][1]) - time.time()) < 5
    assert 0 <= int(b[1][1][1]) < 1_000_000
    compat.check("TIME", "extra")


def test_lastsave(compat):
    r, b = compat.both("LASTSAVE")
    assert r[0] == b[0] == ":"
    assert b[1] <= time.time() + 1
    compat.check("LASTSAVE", "x")


# ---------------------------------------------------------------- DEBUG

def test_debug_disabled_by_default(compat):
    compat.check("DEBUG", "SLEEP", "0")
    compat.check("DEBUG", "HELP")
    compat.check("DEBUG")


@pytest.fixture(scope="module")
def debug_pair():
    probe = start_basalt()
    try:
        supported = probe.raw().call("CONFIG", "GET", "enable-debug-command")[1] != []
    finally:
        probe.stop()
    if not supported:
        pytest.skip("basalt's config has no enable-debug-command option yet")
    args = ["--enable-debug-command", "yes"]
    redis, basalt = start_redis(args), start_basalt(args)
    yield redis.raw(), basalt.raw()
    assert not redis.stop() and not basalt.stop()


def test_debug_enabled(debug_pair):
    redis, basalt = debug_pair
    for args in [("DEBUG", "SLEEP", "0"), ("DEBUG", "SLEEP", "0.05"), ("DEBUG", "SLEEP", "abc"),
                 ("DEBUG", "SLEEP", "-1"), ("DEBUG", "SLEEP"), ("DEBUG", "SLEEP", "1", "2"),
                 ("DEBUG", "nosuch"), ("debug", "nosuch", "x"), ("DEBUG", "help", "x"),
                 ("DEBUG", "LOG", "hello"), ("DEBUG", "ERROR", "MYERR something"),
                 ("DEBUG", "LOG")]:
        assert redis.call(*args) == basalt.call(*args), args


# ---------------------------------------------------------------- SHUTDOWN

def test_shutdown_syntax_errors(compat):
    for args in [("x",), ("NOSAVE", "SAVE"), ("ABORT",), ("ABORT", "NOW"), ("NOW", "ABORT"),
                 ("FORCE", "ABORT"), ("NOW", "NOW", "x"), ("save", "nosave", "now"),
                 ("abort", "abort", "nosave")]:
        compat.check("SHUTDOWN", *args)
    assert compat.pair.redis.alive and compat.pair.basalt.alive
