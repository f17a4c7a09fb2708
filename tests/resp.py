"""A small raw RESP2/RESP3 client for exact, protocol-level comparisons.

Replies are tagged tuples that keep the RESP type, so they compare exactly:

    ('+', b'OK')  ('-', b'ERR ...')  (':', 5)  ('$', b'x')  ('$', None)
    ('*', [...])  ('*', None)        ('_', None)             (',', b'1.5')
    ('#', True)   ('=', b'txt:...')  ('(', b'123')           ('!', b'ERR ...')
    ('%', [(k, v), ...])  ('~', [...])  ('>', [...])
    ('|', [(k, v), ...], reply)   attributes, together with the reply they annotate

Errors are returned as values, never raised.
"""

import shlex
import socket


class ProtocolError(Exception):
    pass


def encode_command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, bool) or not isinstance(a, (bytes, bytearray, memoryview, str, int, float)):
            raise TypeError(f"unsupported argument type {type(a).__name__}: {a!r}")
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, (int, float)):
            a = repr(a).encode()
        a = bytes(a)
        out += [b"$%d\r\n" % len(a), a, b"\r\n"]
    return b"".join(out)


class RawClient:
    def __init__(self, host="127.0.0.1", port=6379, timeout=5):
        self.host, self.port = host, port
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def settimeout(self, timeout):
        self.sock.settimeout(timeout)

    # --- sending -------------------------------------------------------
    def send(self, *args):
        """Send one command without reading its reply."""
        self.sock.sendall(encode_command(*args))

    def send_raw(self, data):
        self.sock.sendall(data)

    def call(self, *args):
        self.send(*args)
        return self.read_reply()

    def call_many(self, commands):
        """Pipeline: send every command (each a tuple of args), then read all replies."""
        self.sock.sendall(b"".join(encode_command(*c) for c in commands))
        return [self.read_reply() for _ in commands]

    def call_inline(self, line):
        """Send an inline command, e.g. call_inline("SET a b")."""
        self.send_raw(line.encode() + b"\r\n" if isinstance(line, str) else line + b"\r\n")
        return self.read_reply()

    def hello(self, proto=3):
        return self.call("HELLO", proto)

    # --- reading -------------------------------------------------------
    def _fill(self):
        if self.pos > 65536 and self.pos * 2 > len(self.buf):
            del self.buf[:self.pos]
            self.pos = 0
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError(f"connection closed by {self.host}:{self.port}")
        self.buf += chunk

    def _line(self):
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                line = bytes(self.buf[self.pos:end])
                self.pos = end + 2
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        data = bytes(self.buf[self.pos:self.pos + n])
        if self.buf[self.pos + n:self.pos + n + 2] != b"\r\n":
            raise ProtocolError(f"bulk of length {n} not followed by CRLF")
        self.pos += n + 2
        return data

    def read_reply(self):
        line = self._line()
        if not line:
            raise ProtocolError("empty line where a reply was expected")
        t, rest = chr(line[0]), line[1:]
        if t in "+-":
            return (t, rest)
        if t == ":":
            return (t, int(rest))
        if t in ",(":
            return (t, rest)
        if t == "_":
            return (t, None)
        if t == "#":
            if rest not in (b"t", b"f"):
                raise ProtocolError(f"bad boolean {line!r}")
            return (t, rest == b"t")
        if t in "$=!":
            n = int(rest)
            if n < 0:
                if t != "$":
                    raise ProtocolError(f"negative length in {line!r}")
                return (t, None)
            return (t, self._exact(n))
        if t in "*~>":
            n = int(rest)
            if n < 0:
                return (t, None)
            return (t, [self.read_reply() for _ in range(n)])
        if t == "%":
            return (t, [(self.read_reply(), self.read_reply()) for _ in range(int(rest))])
        if t == "|":
            attrs = [(self.read_reply(), self.read_reply()) for _ in range(int(rest))]
            return (t, attrs, self.read_reply())
        raise ProtocolError(f"unknown reply type in {line[:100]!r}")


def unwrap(reply):
    """Tagged reply -> plain Python (bytes, int, list, dict, None, ...), for convenience."""
    t, v = reply[0], reply[1]
    if t == "|":
        return unwrap(reply[2])
    if t in "*~>" and v is not None:
        return [unwrap(x) for x in v]
    if t == "%":
        return {_hashable(unwrap(k)): unwrap(x) for k, x in v}
    return v


def _hashable(x):
    return tuple(_hashable(i) for i in x) if isinstance(x, list) else x


def format_reply(reply, indent=0):
    """Readable multi-line rendering, e.g. for assertion messages."""
    pad = "  " * indent
    t, v = reply[0], reply[1]
    if t == "|":
        return (f"{pad}|attributes\n" + _format_pairs(v, indent + 1)
                + "\n" + format_reply(reply[2], indent))
    if t in "*~>":
        if v is None:
            return f"{pad}{t}(nil)"
        if not v:
            return f"{pad}{t}0 (empty)"
        return f"{pad}{t}{len(v)}\n" + "\n".join(
            f"{pad}  {i + 1}) " + format_reply(x, indent + 2).lstrip() for i, x in enumerate(v))
    if t == "%":
        return f"{pad}%{len(v)}" + ("\n" + _format_pairs(v, indent + 1) if v else " (empty)")
    if v is None:
        return f"{pad}{t}(nil)"
    if t in "+-,(":
        return f"{pad}{t}{v.decode('utf-8', 'replace')}"
    if isinstance(v, bytes):
        return f"{pad}{t}{_show(v)}"
    return f"{pad}{t}{v}"


def _format_pairs(pairs, indent):
    pad = "  " * indent
    return "\n".join(f"{pad}{format_reply(k).strip()} => "
                     + format_reply(v, indent + 1).lstrip() for k, v in pairs)


def _show(b):
    s = repr(b)[1:]  # b'..' -> '..'
    return s if len(s) <= 300 else s[:300] + f"...({len(b)} bytes)"


def format_command(args):
    return " ".join(shlex.quote(a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a))
                    for a in args)
