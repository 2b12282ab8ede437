"""Running one task as zpipe's worker does (docs/tasks.md): shell, argv or a built-in,
retries, timeouts that kill the whole process group, output bounded by max_output.
"""

import errno
import hashlib
import os
import re
import select
import signal
import threading
import time

import zpipe_pipeline as pl
from zpipe_placeholders import TaskArgs, expand_argv, expand_shell
from zpipe_wire import STATUS_FAILED, STATUS_OK, STATUS_TIMEOUT

DRAIN_AFTER_KILL_S = 2.0
READ_CHUNK = 64 * 1024
MAX_COUNT = 1 << 62  # longer sleeps/spins are clamped (about 146 years)
_CHILD_DEFAULT_SIGNALS = set(signal.valid_signals()) - {signal.SIGKILL, signal.SIGSTOP}


class Result:
    __slots__ = ("id", "attempts", "status", "exit_code", "truncated", "duration_us",
                 "input", "args", "output", "error")

    def __init__(self, task_id, data, args=None):
        self.id, self.input, self.args = task_id, data, args
        self.attempts, self.status, self.exit_code = 0, STATUS_OK, None
        self.truncated, self.duration_us, self.output, self.error = False, 0, b"", b""


class RunningGroups:
    """Process groups of the children running now; kill_all() also kills later spawns."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pids = set()
        self.killed_all = False

    def add(self, pid):
        with self.lock:
            self.pids.add(pid)
            if self.killed_all:
                _killpg(pid)

    def remove(self, pid):
        with self.lock:
            self.pids.discard(pid)

    def kill_all(self):
        with self.lock:
            self.killed_all = True
            for pid in self.pids:
                _killpg(pid)


RUNNING = RunningGroups()


def _killpg(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _cut(text, limit):
    """(first `limit` bytes, whether there were more)."""
    return (text[:limit], True) if len(text) > limit else (text, False)


class Process:
    """What one child process did."""
    def __init__(self):
        self.exit_code, self.term_signal, self.timed_out = None, 0, False
        self.truncated, self.out, self.err = False, b"", b""


def run_process(argv, timeout_ms, max_output):
    p = Process()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        if not argv[0]:
            raise FileNotFoundError(errno.ENOENT, "empty program")  # Python refuses to try
        pid = os.posix_spawnp(argv[0], argv, os.environb, file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, out_w, 1),
            (os.POSIX_SPAWN_DUP2, err_w, 2),
        ], setpgroup=0, setsigmask=(), setsigdef=_CHILD_DEFAULT_SIGNALS)
    except OSError as e:
        for fd in (out_r, out_w, err_r, err_w):
            os.close(fd)
        p.exit_code = 127 if e.errno in (errno.ENOENT, errno.ENOTDIR) else 126
        p.err = b"zpipe: " + argv[0] + b": " + os.strerror(e.errno).encode()
        return p
    RUNNING.add(pid)
    os.close(out_w)
    os.close(err_w)
    try:
        _capture(p, pid, {out_r: "out", err_r: "err"}, timeout_ms, max_output)
    except BaseException:
        _killpg(pid)  # nothing of the group outlives a failed capture
        raise
    finally:
        for fd in (out_r, err_r):
            os.close(fd)
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # the zombie keeps the group id taken
        RUNNING.remove(pid)
        _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status):
        p.exit_code = os.WEXITSTATUS(status)
    elif os.WIFSIGNALED(status):
        p.term_signal = os.WTERMSIG(status)
    return p


def _capture(p, pid, streams, timeout_ms, max_output):
    """Reads both pipes until EOF, keeping max_output bytes of each; kills at the deadline."""
    poller = select.poll()
    for fd in streams:
        poller.register(fd, select.POLLIN)
    deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms > 0 else None
    killed = False
    while streams:
        wait_ms = None
        if deadline is not None:
            now = time.monotonic()
            if now >= deadline:
                if killed:
                    return  # a descendant outside the group still holds a pipe: give up
                _killpg(pid)
                p.timed_out = killed = True
                deadline = now + DRAIN_AFTER_KILL_S
            wait_ms = max(1, min(60000, int((deadline - now) * 1000) + 1))
        for fd, _ in poller.poll(wait_ms):
            chunk = os.read(fd, READ_CHUNK)
            if not chunk:
                poller.unregister(fd)
                del streams[fd]
                continue
            name = streams[fd]
            kept = getattr(p, name)
            room = max(0, max_output - len(kept))
            if len(chunk) > room:
                p.truncated = True
            setattr(p, name, kept + chunk[:room])


NUL_REFUSED = (b"zpipe: not run: the command line would hold a NUL byte (from the input), "
               b"which no program can receive")


def _command_attempt(spec, argv):
    if any(b"\0" in word for word in argv):
        return STATUS_FAILED, None, False, b"", NUL_REFUSED
    try:
        proc = run_process(argv, spec.timeout_ms, spec.max_output)
    except OSError as e:  # the host failed (no fds, no processes), not the task
        return STATUS_FAILED, None, False, b"", b"zpipe: " + str(e).encode()
    if proc.timed_out:
        status = STATUS_TIMEOUT
    else:
        status = STATUS_OK if proc.exit_code == 0 else STATUS_FAILED
    err = proc.err
    if not err and proc.timed_out:
        err = b"timed out after %d ms" % spec.timeout_ms
    elif not err and proc.term_signal:
        err = b"killed by signal %d" % proc.term_signal
    return status, proc.exit_code, proc.truncated, proc.out, err


# --- built-ins -------------------------------------------------------------------------

def _count(fixed, data):
    if fixed is not None:
        return fixed
    if re.fullmatch(rb"[0-9]+", data) and int(data) < 2 ** 64:
        return min(int(data), MAX_COUNT)
    return None


def _bad_input(name, data, unit):
    return b"%s: input '%s' is not a number of %s" % (name, data, unit)


def _builtin_unbounded(spec, data):
    """(status, output, error) of one attempt, before max_output applies."""
    name = spec.builtin_name
    if name == "noop":
        return STATUS_OK, b"", b""
    if name == "echo":
        return STATUS_OK, data, b""
    if name == "sha256":
        digest = hashlib.sha256(data).digest()
        for _ in range(spec.rounds - 1):
            digest = hashlib.sha256(digest).digest()
        return STATUS_OK, digest.hex().encode(), b""
    per_second = 1000 if name == "sleep" else 1000000
    count = _count(spec.ms if name == "sleep" else spec.us, data)
    if count is None:
        return STATUS_FAILED, b"", _bad_input(name.encode(), data,
                                              b"milliseconds" if name == "sleep" else b"microseconds")
    limit = spec.timeout_ms * per_second // 1000
    times_out = spec.timeout_ms > 0 and count > limit
    seconds = (limit if times_out else count) / per_second
    if name == "sleep":
        time.sleep(seconds)
    else:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            pass
    return (STATUS_TIMEOUT if times_out else STATUS_OK), b"", b""


def builtin_is_bad_input(spec, data):
    """Every attempt of sleep/spin on such an input fails at once, the same way."""
    name = spec.builtin_name
    return (name == "sleep" and _count(spec.ms, data) is None) or (
        name == "spin" and _count(spec.us, data) is None)


def _builtin_attempt(spec, data):
    status, out, err = _builtin_unbounded(spec, data)
    out, cut_out = _cut(out, spec.max_output)
    err, cut_err = _cut(err, spec.max_output)
    if status == STATUS_TIMEOUT and not err:
        err = b"timed out after %d ms" % spec.timeout_ms
    exit_code = {STATUS_OK: 0, STATUS_FAILED: 1}.get(status)
    return status, exit_code, cut_out or cut_err, out, err


# --- one task, with retries ---------------------------------------------------------------

def _attempt(spec, task_id, data, args, slot):
    # A one-input task's only argument is its input.
    task = TaskArgs([data] if args is None else args, task_id, slot)
    if spec.kind == pl.SHELL:
        return _command_attempt(spec, [b"/bin/sh", b"-c", expand_shell(spec.shell, task)])
    if spec.kind == pl.ARGV:
        return _command_attempt(spec, expand_argv(spec.argv, task))
    return _builtin_attempt(spec, data)


def run_task(spec, task_id, data, earlier_attempts, args=None, slot=1):
    """Runs up to 1 + retries attempts until one is ok; the result is the last attempt.
    args: an argument-list task's arguments (data is then them joined by spaces)."""
    r = Result(task_id, data, args)
    executions = spec.retries + 1
    if spec.kind == pl.BUILTIN and builtin_is_bad_input(spec, data):
        r.status, r.exit_code, r.truncated, r.output, r.error = _builtin_attempt(spec, data)
    else:
        for n in range(1, spec.retries + 2):
            started = time.monotonic_ns()
            r.status, r.exit_code, r.truncated, r.output, r.error = _attempt(spec, task_id, data, args, slot)
            r.duration_us = (time.monotonic_ns() - started) // 1000
            if r.status == STATUS_OK:
                executions = n
                break
    r.attempts = min(earlier_attempts + executions, 2 ** 32 - 1)
    return r
