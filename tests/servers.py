"""Start and stop server processes (basalt-server or redis-server).

Used by the pytest fixtures (tests/conftest.py) and by bench/bench.py.

    srv = start_basalt(["--io-threads", "2"])   # or start_redis()
    srv.client().set("a", "b")                    # redis-py client
    problems = srv.stop()                         # [] when all went well

Each server runs in its own temp dir (its cwd) on a free 127.0.0.1 port,
with stdout/stderr captured to files there. When env BASALT_SANITIZER is
tsan or asan, sanitizer options are set and stop() reports sanitizer output.
"""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BASALT = REPO / "build" / "release" / "bin" / "basalt-server"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
HOST = "127.0.0.1"

SANITIZER = os.environ.get("BASALT_SANITIZER", "").strip().lower()
# Multiply timeouts by this in tests: sanitized servers run several times slower.
TIMEOUT_SCALE = 5 if SANITIZER else 1
SANITIZER_EXITCODE = 66
SANITIZER_MARKERS = ("WARNING: ThreadSanitizer", "ERROR: AddressSanitizer",
                     "ERROR: LeakSanitizer", "runtime error:")


class ServerError(RuntimeError):
    pass


def basalt_path():
    return os.environ.get("BASALT_SERVER") or str(DEFAULT_BASALT)


def is_redis_binary(path):
    # By the name we run it under: /usr/bin/redis-server is a symlink.
    return os.path.basename(str(path)).startswith("redis-server")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def sanitizer_env(base=None):
    env = dict(os.environ if base is None else base)
    common = f"exitcode={SANITIZER_EXITCODE}:print_stacktrace=1"
    if SANITIZER == "tsan":
        # halt_on_error=0: keep running so every report accumulates in stderr.
        # detect_deadlocks=0: FLUSHALL/SWAPDB hold every shard lock at once, past
        # the deadlock detector's 64-lock limit; lock order is global by design.
        env["TSAN_OPTIONS"] = f"halt_on_error=0:{common}:detect_deadlocks=0 " \
                              + env.get("TSAN_OPTIONS", "")
    elif SANITIZER == "asan":
        env["ASAN_OPTIONS"] = f"{common}:detect_leaks=1:abort_on_error=0 " \
                              + env.get("ASAN_OPTIONS", "")
        env["UBSAN_OPTIONS"] = "halt_on_error=0:print_stacktrace=1 " + env.get("UBSAN_OPTIONS", "")
    return env


def _die_with_parent():
    # Runs in the child before exec: SIGTERM it if the parent dies (killed
    # pytest or bench), so no stray servers are left behind. Linux ties this
    # to the starting *thread*: start servers from the main thread.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _ping(port, timeout=0.5):
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            reply = s.recv(64)
            # A server with requirepass answers NOAUTH: it is up all the same.
            return reply.startswith(b"+PONG") or reply.startswith(b"-NOAUTH")
    except OSError:
        return False


class Server:
    """A running server process. Attributes: name, binary, host, port, pid,
    proc (subprocess.Popen), workdir (its cwd), argv."""

    def __init__(self, name, binary, argv, port, proc, workdir, sanitized):
        self.name, self.binary, self.argv = name, binary, argv
        self.host, self.port, self.proc, self.workdir = HOST, port, proc, workdir
        self.sanitized = sanitized
        self._checked = 0  # stderr offset already scanned by check_sanitizer()
        self.stopped = False

    def __repr__(self):
        return f"<Server {self.name} pid={self.pid} port={self.port}>"

    @property
    def pid(self):
        return self.proc.pid

    @property
    def alive(self):
        return self.proc.poll() is None

    def client(self, **kw):
        """A redis-py client (redis.Redis) connected to this server."""
        import redis
        kw.setdefault("socket_timeout", 10 * TIMEOUT_SCALE)
        return redis.Redis(host=self.host, port=self.port, **kw)

    def raw(self, **kw):
        """A tests.resp.RawClient connected to this server."""
        from tests.resp import RawClient
        return RawClient(self.host, self.port, **kw)

    def stdout(self):
        return _read(Path(self.workdir) / "stdout.log")

    def stderr(self):
        return _read(Path(self.workdir) / "stderr.log")

    def output(self, limit=20000):
        text = (f"--- {self.name} stdout ({self.workdir}/stdout.log) ---\n{self.stdout()}\n"
                f"--- {self.name} stderr ---\n{self.stderr()}")
        return text if len(text) <= limit else "...(cut)...\n" + text[-limit:]

    def cpu_seconds(self):
        """utime + stime of the process so far, from /proc/PID/stat."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_bytes(self):
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def check_sanitizer(self):
        """Sanitizer reports written to stderr since the last call ('' if none)."""
        if not self.sanitized:
            return ""
        data = self.stderr()
        new, self._checked = data[self._checked:], len(data)
        if any(m in new for m in SANITIZER_MARKERS):
            return new
        return ""

    def stop(self, timeout=10):
        """SIGTERM, wait, then SIGKILL. Returns a list of problems (strings):
        sanitizer reports, or a crash (death by signal / sanitizer exit code)
        that happened before stop() was called. Removes the temp dir if clean."""
        if self.stopped:
            return []
        self.stopped = True
        problems = []
        rc = self.proc.poll()
        if rc is not None and (rc < 0 or rc == SANITIZER_EXITCODE):
            problems.append(f"{self.name} (pid {self.pid}) died by itself with "
                            f"{_describe_rc(rc)} before it was stopped")
        if rc is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout * TIMEOUT_SCALE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
                problems.append(f"{self.name} (pid {self.pid}) ignored SIGTERM "
                                f"for {timeout * TIMEOUT_SCALE}s; killed")
            if self.sanitized and rc == SANITIZER_EXITCODE:
                problems.append(f"{self.name} exited with sanitizer exit code {rc}")
        if self.sanitized and any(m in self.stderr() for m in SANITIZER_MARKERS):
            problems.append(f"{self.name} sanitizer report(s):")
        if problems:
            problems.append(self.output(limit=60000))
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return problems


def _describe_rc(rc):
    if rc < 0:
        try:
            return f"signal {signal.Signals(-rc).name}"
        except ValueError:
            return f"signal {-rc}"
    return f"exit code {rc}"


def _read(path):
    try:
        return path.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def start_server(binary, extra_args=(), config_text=None, name=None,
                 prefix=(), timeout=10, env=None, port=None):
    """Start `binary` on a free port and wait until it answers PING.

    prefix: command prefix, e.g. ["taskset", "-c", "0"] (must exec the server,
    so that proc.pid is the server). Extra args go after --port/--bind, so
    they may override anything. Raises ServerError with the server's output
    if it does not come up within `timeout` seconds (scaled under sanitizers).
    """
    __tracebackhide__ = True
    binary = str(binary)
    name = name or os.path.basename(binary)
    if not os.access(binary, os.X_OK):
        raise ServerError(f"{name}: no executable at {binary} "
                          "(build it with `make build`, or set BASALT_SERVER)")
    redis = is_redis_binary(binary)
    sanitized = bool(SANITIZER) and not redis
    run_env = sanitizer_env(env) if sanitized else dict(os.environ if env is None else env)
    last_error = None
    for _attempt in range(5):
        workdir = tempfile.mkdtemp(prefix=f"{name}-")
        argv = [*prefix, binary]
        if config_text is not None:
            conf = Path(workdir) / "server.conf"
            conf.write_text(config_text)
            argv.append(str(conf))
        p = port or free_port()
        argv += ["--port", str(p), "--bind", HOST]
        if redis:
            argv += ["--save", "", "--appendonly", "no"]
        argv += [str(a) for a in extra_args]
        with open(Path(workdir) / "stdout.log", "wb") as out, \
                open(Path(workdir) / "stderr.log", "wb") as err:
            proc = subprocess.Popen(argv, cwd=workdir, env=run_env, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=err, preexec_fn=_die_with_parent)
        srv = Server(name, binary, argv, p, proc, workdir, sanitized)
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        while time.monotonic() < deadline:
            if not srv.alive:
                break
            if _ping(p) and srv.alive:
                return srv
            time.sleep(0.02)
        alive = srv.alive
        output = srv.output()
        srv.stop(timeout=2)
        why = (f"no PING reply on port {p} within {timeout * TIMEOUT_SCALE}s" if alive
               else f"it exited with {_describe_rc(proc.returncode)}")
        last_error = ServerError(
            f"{name} did not start: {why}\n"
            f"command: {' '.join(repr(a) if not a or ' ' in a else a for a in argv)}\n{output}")
        shutil.rmtree(workdir, ignore_errors=True)
        in_use = "in use" in output.lower() or "eaddrinuse" in output.lower()
        if alive or port or not in_use:
            break  # only a port collision is worth another try
    raise last_error


def start_basalt(extra_args=(), config_text=None, **kw):
    """Start the server under test: $BASALT_SERVER (default build/release/bin/basalt-server)."""
    __tracebackhide__ = True
    kw.setdefault("name", "basalt")
    return start_server(basalt_path(), extra_args, config_text, **kw)


def start_redis(extra_args=(), config_text=None, **kw):
    """Start Debian's redis-server (the reference), without persistence."""
    __tracebackhide__ = True
    kw.setdefault("name", "redis")
    return start_server(REDIS_SERVER, extra_args, config_text, **kw)
