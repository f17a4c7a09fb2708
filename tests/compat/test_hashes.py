"""Hash family against redis-server 7.0, reply for reply.

While a hash is compact ("listpack") both servers keep insertion order, so
HGETALL/HKEYS/HVALS/HSCAN are compared exactly; once it is a "hashtable" the
order is the table's own and those replies are compared normalised. Random
picks (HRANDFIELD) are checked by shape and membership.
"""

import pytest

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

OK = ("+", b"OK")
NIL = ("$", None)


def ints(n):
    return (":", n)


def err(text):
    return ("-", text.encode())


@pytest.fixture
def limits(compat):
    """Lets a test change the listpack thresholds; restores the defaults after."""
    yield compat
    for name, value in (("hash-max-listpack-entries", "128"), ("hash-max-listpack-value", "64")):
        compat.check("CONFIG", "SET", name, value)


def enc(compat, key):
    return compat.check("OBJECT", "ENCODING", key)


def fill(compat, key, n, value_size=1, start=0):
    args = []
    for i in range(start, start + n):
        args += [f"f{i}", ("v" * value_size) + str(i)]
    compat.check("HSET", key, *args)


WRONG_ARITY = [
    ("HSET",), ("HSET", "h"), ("HSET", "h", "f"), ("HSETNX", "h", "f"),
    ("HSETNX", "h", "f", "v", "x"), ("HGET", "h"), ("HGET", "h", "f", "g"), ("HMGET", "h"),
    ("HMSET", "h"), ("HMSET", "h", "f"), ("HDEL", "h"), ("HLEN",), ("HLEN", "h", "x"),
    ("HEXISTS", "h"), ("HEXISTS", "h", "f", "g"), ("HGETALL",), ("HGETALL", "h", "x"),
    ("HKEYS",), ("HKEYS", "h", "x"), ("HVALS",), ("HVALS", "h", "x"), ("HINCRBY", "h", "f"),
    ("HINCRBY", "h", "f", "1", "2"), ("HINCRBYFLOAT", "h", "f"),
    ("HINCRBYFLOAT", "h", "f", "1", "2"), ("HSTRLEN", "h"), ("HSTRLEN", "h", "f", "g"),
    ("HRANDFIELD",), ("HSCAN", "h"),
]


@pytest.mark.parametrize("cmd", WRONG_ARITY, ids=lambda c: " ".join(c))
def test_wrong_arity(compat, cmd):
    reply = compat.check(*cmd)
    assert reply[0] == "-" and b"wrong number of arguments" in reply[1]


def test_hset_odd_pairs_is_arity_error(compat):
    assert compat.check("HSET", "h", "a", "1", "b") == err(
        "ERR wrong number of arguments for 'hset' command")
    assert compat.check("HMSET", "h", "a", "1", "b") == err(
        "ERR wrong number of arguments for 'hmset' command")
    compat.check("EXISTS", "h")


WRONGTYPE_CMDS = [
    ("HSET", "s", "f", "v"), ("HSETNX", "s", "f", "v"), ("HGET", "s", "f"),
    ("HMGET", "s", "f", "g"), ("HMSET", "s", "f", "v"), ("HDEL", "s", "f"), ("HLEN", "s"),
    ("HEXISTS", "s", "f"), ("HGETALL", "s"), ("HKEYS", "s"), ("HVALS", "s"),
    ("HINCRBY", "s", "f", "1"), ("HINCRBYFLOAT", "s", "f", "1"), ("HSTRLEN", "s", "f"),
    ("HRANDFIELD", "s"), ("HRANDFIELD", "s", "2"), ("HRANDFIELD", "s", "-2", "WITHVALUES"),
    ("HSCAN", "s", "0"),
]


@pytest.mark.parametrize("cmd", WRONGTYPE_CMDS, ids=lambda c: " ".join(c))
def test_wrongtype(compat, cmd):
    compat.check("SET", "s", "value")
    assert compat.check(*cmd)[0] == "-"
    compat.check("GET", "s")


def test_string_commands_on_hash_are_wrongtype(compat):
    compat.check("HSET", "h", "f", "v")
    for cmd in (("GET", "h"), ("APPEND", "h", "x"), ("INCR", "h"), ("STRLEN", "h")):
        assert compat.check(*cmd)[0] == "-"


# --------------------------------------------------------------------------- basics


def test_hset_hget_basic(compat):
    compat.check_seq([
        ("HSET", "h", "f1", "v1"),
        ("HSET", "h", "f1", "v1b", "f2", "v2", "f3", "v3"),
        ("HSET", "h", "f2", "x", "f2", "y"),
        ("HGET", "h", "f1"), ("HGET", "h", "f2"), ("HGET", "h", "nope"), ("HGET", "nokey", "f"),
        ("HLEN", "h"), ("HLEN", "nokey"),
        ("HGETALL", "h"), ("HKEYS", "h"), ("HVALS", "h"),
        ("HGETALL", "nokey"), ("HKEYS", "nokey"), ("HVALS", "nokey"),
        ("TYPE", "h"), ("OBJECT", "ENCODING", "h"),
    ])


def test_hset_duplicate_fields_in_one_call(compat):
    compat.check_seq([
        ("HSET", "h", "a", "1", "a", "2", "b", "3", "a", "4"),
        ("HGETALL", "h"), ("HLEN", "h"),
    ])


def test_empty_field_and_value(compat):
    compat.check_seq([
        ("HSET", "h", "", ""), ("HGET", "h", ""), ("HEXISTS", "h", ""), ("HSTRLEN", "h", ""),
        ("HSET", "h", "", "x"), ("HGETALL", "h"), ("HDEL", "h", ""), ("EXISTS", "h"),
    ])


def test_binary_fields_and_values(compat):
    f, v = b"a\x00b\r\n\xff", b"\x00\x01\x02\r\n"
    compat.check("HSET", "h", f, v, b"\xfe", b"")
    compat.check_seq([("HGET", "h", f), ("HGETALL", "h"), ("HSTRLEN", "h", f),
                      ("HEXISTS", "h", b"a"), ("HDEL", "h", f), ("HGETALL", "h")])


def test_hmset(compat):
    compat.check_seq([
        ("HMSET", "h", "a", "1", "b", "2"), ("HMSET", "h", "a", "3"),
        ("HGETALL", "h"), ("HMGET", "h", "a", "b", "c", "a"), ("HMGET", "nokey", "a", "b"),
    ])


def test_hsetnx(compat):
    compat.check_seq([
        ("HSETNX", "h", "f", "v1"), ("HSETNX", "h", "f", "v2"), ("HGET", "h", "f"),
        ("HSETNX", "h", "g", "v3"), ("HGETALL", "h"),
    ])


def test_hdel(compat):
    compat.check_seq([
        ("HDEL", "nokey", "a"),
        ("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"),
        ("HDEL", "h", "x"), ("HDEL", "h", "a", "a", "x"), ("HGETALL", "h"),
        ("HDEL", "h", "c"), ("HGETALL", "h"),
        ("HDEL", "h", "b", "d", "zzz"), ("EXISTS", "h"), ("TYPE", "h"), ("HLEN", "h"),
    ])


def test_hexists_hstrlen(compat):
    compat.check_seq([
        ("HSET", "h", "a", "hello", "n", "12345", "neg", "-7", "e", ""),
        ("HEXISTS", "h", "a"), ("HEXISTS", "h", "b"), ("HEXISTS", "nokey", "a"),
        ("HSTRLEN", "h", "a"), ("HSTRLEN", "h", "n"), ("HSTRLEN", "h", "neg"),
        ("HSTRLEN", "h", "e"), ("HSTRLEN", "h", "missing"), ("HSTRLEN", "nokey", "a"),
    ])


def test_insertion_order_kept_while_compact(compat):
    compat.check("HSET", "h", "z", "1", "a", "2", "m", "3")
    compat.check("HDEL", "h", "a")
    compat.check("HSET", "h", "a", "4", "z", "5")
    compat.check_seq([("HGETALL", "h"), ("HKEYS", "h"), ("HVALS", "h"), ("HSCAN", "h", "0")])


def test_update_value_sizes_in_place(compat):
    compat.check("HSET", "h", "a", "1", "b", "2", "c", "3")
    for v in ("x" * 60, "", "y" * 5, "z" * 64, "q"):
        compat.check("HSET", "h", "b", v)
        compat.check("HGETALL", "h")
    enc(compat, "h")


# --------------------------------------------------------------------------- encoding conversion


def test_conversion_on_entry_count(limits):
    compat = limits
    compat.check("CONFIG", "SET", "hash-max-listpack-entries", "2")
    compat.check("HSET", "h", "a", "1", "b", "2")
    assert enc(compat, "h") == ("$", b"listpack")
    compat.check("HSET", "h", "a", "3")
    assert enc(compat, "h") == ("$", b"listpack")
    compat.check("HSET", "h", "c", "3")
    assert enc(compat, "h") == ("$", b"hashtable")
    compat.check("HGETALL", "h", unordered=True)
    # One-way: deleting back below the threshold keeps the table.
    compat.check("HDEL", "h", "a", "b")
    assert enc(compat, "h") == ("$", b"hashtable")
    compat.check("HGETALL", "h")


@pytest.mark.parametrize("cmd", [("HINCRBY", "h", "new", "1"), ("HINCRBYFLOAT", "h", "new", "1.5"),
                                 ("HSETNX", "h", "new", "v"), ("HMSET", "h", "new", "v")])
def test_conversion_by_other_writers(compat, cmd):
    fill(compat, "h", 128)
    compat.check(*cmd)
    assert enc(compat, "h") == ("$", b"hashtable")
    compat.check("HGET", "h", "new")


def test_emptied_hash_is_deleted(compat):
    compat.check("HSET", "h", "a", "1")
    compat.check("EXPIRE", "h", "100")
    compat.check_seq([("HDEL", "h", "a"), ("EXISTS", "h"), ("OBJECT", "ENCODING", "h"),
                      ("TTL", "h"), ("HSET", "h", "b", "2"), ("TTL", "h")])
    fill(compat, "t", 200)
    compat.check("HDEL", "t", *[f"f{i}" for i in range(200)])
    compat.check_seq([("EXISTS", "t"), ("HLEN", "t")])


def test_conversion_on_default_entry_threshold(compat):
    fill(compat, "h", 128)
    assert enc(compat, "h") == ("$", b"listpack")
    compat.check("HGETALL", "h")
    compat.check("HSET", "h", "f127", "again")
    assert enc(compat, "h") == ("$", b"listpack")
    compat.check("HSET", "h", "extra", "1")
    assert enc(compat, "h") == ("$", b"hashtable")
    compat.check("HLEN", "h")
    compat.check("HGETALL", "h", unordered=True)
    compat.check("HKEYS", "h", unordered=True)
    compat.check("HVALS", "h", unordered=True)


@pytest.mark.parametrize("size", [64, 65])
def test_conversion_on_value_length(compat, size):
    compat.check("HSET", "h", "a", "1")
    compat.check("HSET", "h", "b", "x" * size)
    enc(compat, "h")
    compat.check("HGET", "h", "b")
    compat.check("HSTRLEN", "h", "b")


@pytest.mark.parametrize("size", [64, 65])
def test_conversion_on_field_length(compat, size):
    compat.check("HSET", "h", "f" * size, "1")
    enc(compat, "h")
    compat.check("HGET", "h", "f" * size)


def test_hsetnx_long_value_on_existing_field_keeps_encoding(compat):
    compat.check("HSET", "h", "a", "1")
    compat.check("HSETNX", "h", "a", "v" * 100)
    enc(compat, "h")
    compat.check("HGET", "h", "a")


def test_hincrbyfloat_long_result_converts(limits):
    compat = limits
    compat.check("CONFIG", "SET", "hash-max-listpack-value", "5")
    compat.check("HSET", "h", "a", "1")
    compat.check("HINCRBYFLOAT", "h", "a", "0.123456")
    enc(compat, "h")


def test_value_limit_config(limits):
    compat = limits
    compat.check("CONFIG", "SET", "hash-max-listpack-value", "3")
    compat.check("HSET", "h", "abc", "def")
    enc(compat, "h")
    compat.check("HSET", "h", "abc", "defg")
    enc(compat, "h")


def test_zero_entries_limit(limits):
    compat = limits
    compat.check("CONFIG", "SET", "hash-max-listpack-entries", "0")
    compat.check("HSET", "h", "a", "1")
    enc(compat, "h")
    compat.check("HGETALL", "h")


def test_big_values(compat):
    big = "x" * 100_000
    compat.check("HSET", "h", "small", "1", "big", big)
    compat.check_seq([("HGET", "h", "big"), ("HSTRLEN", "h", "big"), ("OBJECT", "ENCODING", "h"),
                      ("HSET", "h", "big", "y"), ("HGET", "h", "big")])
    compat.check("HGETALL", "h", unordered=True)


def test_huge_hash(compat):
    for batch in range(10):
        fill(compat, "h", 1000, start=batch * 1000)
    compat.check_seq([("HLEN", "h"), ("HGET", "h", "f5555"), ("HEXISTS", "h", "f9999"),
                      ("OBJECT", "ENCODING", "h")])
    compat.check("HKEYS", "h", unordered=True)
    args = [f"f{i}" for i in range(0, 10000, 2)]
    compat.check("HDEL", "h", *args)
    compat.check("HLEN", "h")
    compat.check("HGETALL", "h", unordered=True)
    compat.check("HDEL", "h", *[f"f{i}" for i in range(10000)])
    compat.check("EXISTS", "h")


# --------------------------------------------------------------------------- HINCRBY / HINCRBYFLOAT


def test_hincrby_basic(compat):
    compat.check_seq([
        ("HINCRBY", "h", "n", "5"), ("HINCRBY", "h", "n", "-12"), ("HINCRBY", "h", "n", "0"),
        ("HGET", "h", "n"), ("HINCRBY", "h", "m", "-3"), ("HGETALL", "h"),
        ("OBJECT", "ENCODING", "h"),
    ])


@pytest.mark.parametrize("start,incr", [
    (INT64_MAX, 1), (INT64_MAX - 1, 1), (INT64_MIN, -1), (INT64_MIN + 1, -1), (INT64_MAX, 0),
    (0, INT64_MAX), (0, INT64_MIN), (-1, INT64_MIN), (1, INT64_MAX), (INT64_MIN, INT64_MAX),
    (INT64_MAX, INT64_MIN),
])
def test_hincrby_boundaries(compat, start, incr):
    compat.check("HSET", "h", "n", str(start))
    compat.check("HINCRBY", "h", "n", str(incr))
    compat.check("HGET", "h", "n")


@pytest.mark.parametrize("value", ["abc", "1.5", " 1", "1 ", "", "01", "+1",
                                   "9223372036854775808", "1e3"])
def test_hincrby_non_integer_value(compat, value):
    compat.check("HSET", "h", "n", value)
    compat.check("HINCRBY", "h", "n", "1")
    compat.check("HGET", "h", "n")


@pytest.mark.parametrize("incr", ["abc", "1.5", "", " 1", "9223372036854775808", "0x10"])
def test_hincrby_invalid_increment(compat, incr):
    compat.check("HINCRBY", "h", "n", incr)
    compat.check("EXISTS", "h")
    compat.check("HINCRBY", "s", "n", incr)


@pytest.mark.parametrize("start,incr", [
    ("10.5", "0.1"), ("0", "1e10"), ("5", "-5"), ("1", "-1.5"), ("3.0e3", "1.0e-3"),
    ("-0", "0"), ("1", "0.00000000000000001"), ("100", "1e300"), ("1.7976931348623157e308", "1"),
    ("0x10", "1"), ("5", "-0.0000000000000000001"), ("12345678901234567890", "1"),
    ("1.2", "1.2"), ("7", "3"), ("0", "-0"), ("-0.0", "0"), ("1", "0x1p3"), ("1", "-1"),
    ("0.1", "0.2"), ("1e-300", "0"), ("9223372036854775807", "1"), ("3", "1E2"),
])
def test_hincrbyfloat(compat, start, incr):
    compat.check("HSET", "h", "f", start)
    compat.check("HINCRBYFLOAT", "h", "f", incr)
    compat.check("HGET", "h", "f")


def test_hincrbyfloat_new_field_and_key(compat):
    compat.check_seq([("HINCRBYFLOAT", "h", "f", "2.5"), ("HINCRBYFLOAT", "h", "g", "-1"),
                      ("HGETALL", "h"), ("HINCRBY", "h", "f", "1")])


@pytest.mark.parametrize("incr", ["abc", "", " 1", "1 ", "nan", "inf", "-inf", "+inf",
                                  "1e5000", "infinity", "1e-5000", "1.5x", "--1"])
def test_hincrbyfloat_invalid_increment(compat, incr):
    compat.check("HSET", "h", "f", "1")
    compat.check("HINCRBYFLOAT", "h", "f", incr)
    compat.check("HINCRBYFLOAT", "nokey", "f", incr)
    compat.check("EXISTS", "nokey")


@pytest.mark.parametrize("value", ["abc", " 1", "1 ", "", "nan", "1.5.5"])
def test_hincrbyfloat_non_float_value(compat, value):
    compat.check("HSET", "h", "f", value)
    compat.check("HINCRBYFLOAT", "h", "f", "1")


def test_hincrbyfloat_overflow_to_infinity(compat):
    compat.check("HSET", "h", "f", "1e4932")
    compat.check("HINCRBYFLOAT", "h", "f", "1e4932")
    compat.check("HGET", "h", "f")


def test_hincr_on_hashtable_encoding(compat):
    fill(compat, "h", 200)
    compat.check_seq([("HINCRBY", "h", "f5", "10"), ("HINCRBY", "h", "new", "1"),
                      ("HINCRBYFLOAT", "h", "f7", "0.5"), ("HGET", "h", "f5"),
                      ("HGET", "h", "f7"), ("HLEN", "h")])


# --------------------------------------------------------------------------- HRANDFIELD


def fields_of(compat, key):
    return {f for _, f in compat.redis.call("HKEYS", key)[1]}


def test_hrandfield_missing_key(compat):
    compat.check_seq([("HRANDFIELD", "nokey"), ("HRANDFIELD", "nokey", "5"),
                      ("HRANDFIELD", "nokey", "-5", "WITHVALUES"), ("HRANDFIELD", "nokey", "0")])


@pytest.mark.parametrize("args", [
    ("abc",), ("1.5",), ("",), ("-9223372036854775808",), ("9223372036854775808",),
    ("1", "WITHVALUE"), ("1", "WITHVALUES", "x"), ("5", "x"),
    ("4611686018427387904", "WITHVALUES"), ("-4611686018427387904", "WITHVALUES"),
    ("4611686018427387903", "withvalues"),
])
def test_hrandfield_argument_errors(compat, args):
    compat.check("HSET", "h", "a", "1", "b", "2")
    compat.check("HRANDFIELD", "h", *args)
    compat.check("HRANDFIELD", "nokey", *args)


@pytest.mark.parametrize("big", [False, True])
def test_hrandfield_picks(compat, big):
    if big:
        fill(compat, "h", 300)
    else:
        fill(compat, "h", 5)
    fields = fields_of(compat, "h")
    r, b = compat.both("HRANDFIELD", "h")
    assert r[0] == b[0] == "$" and b[1] in fields
    for count in (0, 1, 3, 5, 6, 100, 299, 300, 1000):
        r, b = compat.both("HRANDFIELD", "h", str(count))
        assert r[0] == b[0] == "*"
        assert len(r[1]) == len(b[1])
        picked = [f for _, f in b[1]]
        assert len(set(picked)) == len(picked) and set(picked) <= fields
        if count >= len(fields):
            compat.check("HRANDFIELD", "h", str(count), unordered=big)
    for count in (-1, -3, -10, -1000):
        r, b = compat.both("HRANDFIELD", "h", str(count))
        assert len(r[1]) == len(b[1]) == -count
        assert {f for _, f in b[1]} <= fields


def test_hrandfield_whole_compact_hash_in_order(compat):
    compat.check("HSET", "h", "z", "1", "a", "2", "m", "3")
    compat.check_seq([("HRANDFIELD", "h", "3"), ("HRANDFIELD", "h", "10", "WITHVALUES")])


@pytest.mark.parametrize("resp3", [False, True])
@pytest.mark.parametrize("big", [False, True])
def test_hrandfield_withvalues_shape(compat, resp3, big):
    if resp3:
        compat.hello(3)
    fill(compat, "h", 300 if big else 5)
    all_pairs = compat.redis.call("HGETALL", "h")[1]
    if resp3:
        expect = {k[1]: v[1] for k, v in all_pairs}
    else:
        flat = [x[1] for x in all_pairs]
        expect = dict(zip(flat[::2], flat[1::2]))
    for count in ("2", "-7", "5", "1000", "-1"):
        r, b = compat.both("HRANDFIELD", "h", count, "WITHVALUES")
        assert r[0] == b[0] == "*" and len(r[1]) == len(b[1])
        if resp3:
            assert all(x[0] == "*" and len(x[1]) == 2 for x in b[1])
            pairs = [(x[1][0][1], x[1][1][1]) for x in b[1]]
        else:
            flat = [x[1] for x in b[1]]
            pairs = list(zip(flat[::2], flat[1::2]))
        assert all(expect[f] == v for f, v in pairs)
        if count in ("1000",):
            compat.check("HRANDFIELD", "h", count, "WITHVALUES", unordered=True)


# --------------------------------------------------------------------------- HSCAN


def hscan_all(client, key, *options):
    pairs, cursor, calls = [], b"0", 0
    while True:
        reply = client.call("HSCAN", key, cursor, *options)
        assert reply[0] == "*", reply
        cursor = reply[1][0][1]
        flat = [x[1] for x in reply[1][1][1]]
        pairs += list(zip(flat[::2], flat[1::2]))
        calls += 1
        if cursor == b"0":
            return pairs, calls


def test_hscan_compact_exact(compat):
    compat.check("HSET", "h", "b", "1", "a", "2", "foo", "3", "fab", "4")
    compat.check_seq([
        ("HSCAN", "h", "0"), ("HSCAN", "h", "0", "COUNT", "1"), ("HSCAN", "h", "0", "MATCH", "f*"),
        ("HSCAN", "h", "0", "MATCH", "*", "COUNT", "100"), ("HSCAN", "h", "123"),
        ("HSCAN", "h", "0", "match", "x*"), ("HSCAN", "nokey", "0"),
        ("HSCAN", "nokey", "0", "COUNT", "0"),
    ])


@pytest.mark.parametrize("opts", [
    ("COUNT", "0"), ("COUNT", "-1"), ("COUNT", "x"), ("COUNT",), ("MATCH",), ("TYPE", "string"),
    ("NOVALUES",), ("COUNT", "1", "MATCH"), ("FOO", "bar"),
])
def test_hscan_option_errors(compat, opts):
    compat.check("HSET", "h", "a", "1")
    compat.check("HSCAN", "h", "0", *opts)


@pytest.mark.parametrize("cursor", ["abc", "-1", "1.5", "", "18446744073709551616",
                                    "18446744073709551615", "+3", "+", "-", " 1", "1 ",
                                    "-18446744073709551615", "-18446744073709551616", "0x1",
                                    "1\x00junk", "007"])
def test_hscan_cursor_values(compat, cursor):
    compat.check("HSET", "h", "a", "1")
    compat.check("HSCAN", "h", cursor)
    compat.check("HSCAN", "nokey", cursor)


@pytest.mark.parametrize("options", [(), ("COUNT", "3"), ("COUNT", "1000"), ("MATCH", "f1*"),
                                     ("COUNT", "9223372036854775807"), ("MATCH", "[f]?0"),
                                     ("MATCH", "f1*", "COUNT", "7")])
def test_hscan_hashtable_full_iteration(compat, options):
    fill(compat, "h", 1000)
    r_pairs, _ = hscan_all(compat.redis, "h", *options)
    b_pairs, b_calls = hscan_all(compat.basalt, "h", *options)
    assert set(r_pairs) == set(b_pairs)
    if "COUNT" not in options:
        assert b_calls > 1  # really incremental


def test_hscan_survives_growth_and_shrink(compat):
    fill(compat, "h", 500)
    seen, cursor, step = set(), b"0", 0
    while True:
        reply = compat.basalt.call("HSCAN", "h", cursor, "COUNT", "20")
        cursor = reply[1][0][1]
        flat = [x[1] for x in reply[1][1][1]]
        seen |= set(flat[::2])
        step += 1
        if step == 5:
            compat.basalt.call("HSET", "h", *[x for i in range(500, 3000) for x in (f"g{i}", "1")])
        if step == 10:
            compat.basalt.call("HDEL", "h", *[f"g{i}" for i in range(500, 3000)])
        if cursor == b"0":
            break
    assert {f"f{i}".encode() for i in range(500)} <= seen


# --------------------------------------------------------------------------- generic commands


def test_generic_commands_on_hash(compat):
    compat.check("HSET", "h", "a", "1", "b", "2")
    compat.check_seq([
        ("TYPE", "h"), ("EXISTS", "h"), ("OBJECT", "ENCODING", "h"),
        ("RENAME", "h", "h2"), ("HGETALL", "h2"), ("EXISTS", "h"),
        ("COPY", "h2", "h3"), ("HSET", "h3", "c", "3"), ("HGETALL", "h2"), ("HGETALL", "h3"),
        ("COPY", "h2", "h3"), ("COPY", "h2", "h3", "REPLACE"), ("HGETALL", "h3"),
        ("EXPIRE", "h3", "100"), ("TTL", "h3"), ("HSET", "h3", "d", "4"), ("TTL", "h3"),
        ("PERSIST", "h3"), ("TTL", "h3"),
        ("DEL", "h2", "h3"), ("EXISTS", "h2", "h3"),
    ])


def test_copy_hashtable_encoding_is_deep(compat):
    fill(compat, "h", 200)
    compat.check("COPY", "h", "c")
    compat.check("HDEL", "c", "f1", "f2")
    compat.check("HSET", "c", "f3", "changed")
    compat.check_seq([("HLEN", "h"), ("HLEN", "c"), ("HGET", "h", "f3"), ("HGET", "c", "f3"),
                      ("OBJECT", "ENCODING", "c")])
    compat.check("HGETALL", "c", unordered=True)


def test_move_and_select(compat):
    compat.check("HSET", "h", "a", "1")
    compat.check_seq([("MOVE", "h", "1"), ("EXISTS", "h"), ("SELECT", "1"), ("HGETALL", "h"),
                      ("FLUSHDB",), ("SELECT", "0")])


def test_scan_type_hash(compat):
    compat.check("HSET", "h1", "a", "1")
    compat.check("HSET", "h2", "a", "1")
    compat.check("SET", "s", "x")
    r, b = compat.both("SCAN", "0", "TYPE", "hash", "COUNT", "1000")
    assert sorted(x[1] for x in r[1][1][1]) == sorted(x[1] for x in b[1][1][1]) == [b"h1", b"h2"]


def test_expired_hash_is_gone(compat):
    compat.check("HSET", "h", "a", "1")
    compat.check("PEXPIRE", "h", "1")
    import time
    time.sleep(0.05)
    compat.check_seq([("HGET", "h", "a"), ("HLEN", "h"), ("EXISTS", "h"),
                      ("HSET", "h", "b", "2"), ("HGETALL", "h"), ("TTL", "h")])


def test_set_overwrites_hash(compat):
    compat.check("HSET", "h", "a", "1")
    compat.check_seq([("SET", "h", "str"), ("TYPE", "h"), ("GET", "h")])


# --------------------------------------------------------------------------- RESP3


def test_resp3_replies(compat):
    compat.hello(3)
    compat.check("HSET", "h", "a", "1", "b", "2")
    compat.check_seq([
        ("HGETALL", "h"), ("HGETALL", "nokey"), ("HKEYS", "h"), ("HVALS", "h"),
        ("HGET", "h", "zz"), ("HMGET", "h", "a", "zz"), ("HRANDFIELD", "nokey"),
        ("HRANDFIELD", "nokey", "3"), ("HRANDFIELD", "h", "2", "WITHVALUES"),
        ("HSCAN", "h", "0"), ("HSCAN", "nokey", "0"), ("HINCRBYFLOAT", "h", "c", "1.5"),
        ("HINCRBY", "h", "d", "2"), ("HSETNX", "h", "a", "x"), ("HEXISTS", "h", "a"),
        ("HLEN", "h"), ("HSTRLEN", "h", "a"), ("HDEL", "h", "a"),
    ])
    fill(compat, "big", 200)
    compat.check("HGETALL", "big", unordered=True)


def test_command_info(compat):
    for name in ("hset", "hsetnx", "hget", "hmset", "hmget", "hdel", "hlen", "hstrlen",
                 "hexists", "hkeys", "hvals", "hgetall", "hincrby", "hincrbyfloat",
                 "hrandfield", "hscan"):
        r, b = compat.both("COMMAND", "INFO", name)
        # name, arity, flags, first key, last key, step, acl categories
        assert r[1][0][1][:6] == b[1][0][1][:6], name
        assert sorted(r[1][0][1][6][1]) == sorted(b[1][0][1][6][1]), name
