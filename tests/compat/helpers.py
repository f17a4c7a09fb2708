"""Side-by-side comparison of Basalt against the reference redis-server.

Every command goes to both servers over tests.resp.RawClient and the tagged
replies must be equal: same RESP types, same bytes, same error texts.
"""

from tests.resp import format_command, format_reply
from tests.servers import start_basalt, start_redis


class ServerPair:
    """The session's two servers; ensure() replaces one that died."""

    def __init__(self):
        self.redis = self.basalt = None

    def ensure(self):
        """(Re)start missing or dead servers; returns the dead ones' reports."""
        problems = []
        for attr, start in (("redis", start_redis), ("basalt", start_basalt)):
            srv = getattr(self, attr)
            if srv is not None and not srv.alive and not srv.stopped:
                problems += death_report(srv, "after the previous test's checks")
            if srv is None or not srv.alive:
                setattr(self, attr, start())
        return problems

    def stop(self):
        problems = []
        for srv in (self.redis, self.basalt):
            if srv is not None:
                problems += srv.stop()
        return problems


def death_report(srv, when):
    output = srv.output()
    return [f"{srv.name} (pid {srv.pid}) exited {when}"] + (srv.stop() or [output])


def normalise(reply):
    """Sort the elements of a top-level array/set/push/map (not nested ones)."""
    t, v = reply[0], reply[1]
    if t in "*~>%" and v is not None:
        return (t, sorted(v, key=repr))
    return reply


def first_difference(a, b, path=""):
    """Path of the first place where two tagged replies differ, e.g. '[2][0]'."""
    if a == b:
        return None
    if a[0] == b[0] and a[0] in "*~>%" and a[1] is not None and b[1] is not None:
        for i, (x, y) in enumerate(zip(a[1], b[1])):
            if a[0] == "%":
                d = (first_difference(x[0], y[0], f"{path}[{i}].key")
                     or first_difference(x[1], y[1], f"{path}[{i}].value"))
            else:
                d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return f"{path} (length {len(a[1])} vs {len(b[1])})"
    return path or "top level"


def mismatch_message(what, redis_reply, basalt_reply):
    indent = lambda s: "\n".join("    " + line for line in s.splitlines())
    return (f"Basalt differs from Redis for: {what}\n"
            f"  first difference at: {first_difference(redis_reply, basalt_reply)}\n"
            f"  redis:\n{indent(format_reply(redis_reply))}\n"
            f"  basalt:\n{indent(format_reply(basalt_reply))}")


class Compat:
    """One connection to each server. Fixture `compat` gives a fresh one per test."""

    def __init__(self, pair):
        self.pair = pair
        self.redis = pair.redis.raw()
        self.basalt = pair.basalt.raw()
        self._others = []

    def both(self, *args):
        """Send the same command to both; return (redis_reply, basalt_reply)."""
        return self.redis.call(*args), self.basalt.call(*args)

    def check(self, *args, unordered=False):
        """Send to both, assert equal replies, return the (normalised) reply."""
        __tracebackhide__ = True
        r, b = self.both(*args)
        return self._compare(format_command(args), r, b, unordered)

    def check_seq(self, commands, unordered=False):
        """check() each command (a tuple/list of args) in turn; return the replies."""
        __tracebackhide__ = True
        return [self.check(*cmd, unordered=unordered) for cmd in commands]

    def check_raw(self, data, replies=1):
        """Send raw bytes to both, compare the next `replies` replies."""
        __tracebackhide__ = True
        self.redis.send_raw(data)
        self.basalt.send_raw(data)
        return [self._compare(f"raw {data[:200]!r}", self.redis.read_reply(),
                              self.basalt.read_reply(), False) for _ in range(replies)]

    def hello(self, proto=3):
        """HELLO proto on both (replies differ by nature: not compared)."""
        r, b = self.both("HELLO", proto)
        assert r[0] != "-" and b[0] != "-", mismatch_message(f"HELLO {proto}", r, b)
        return r, b

    def connect(self):
        """Another pair of connections (for multi-client tests); closed at teardown."""
        other = Compat(self.pair)
        self._others.append(other)
        return other

    def close(self):
        for c in [self.redis, self.basalt, *self._others]:
            c.close()

    @staticmethod
    def _compare(what, r, b, unordered):
        __tracebackhide__ = True
        if unordered:
            r, b = normalise(r), normalise(b)
        if r != b:
            raise AssertionError(mismatch_message(what, r, b))
        return r
