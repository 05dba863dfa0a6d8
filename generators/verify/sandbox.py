"""Run untrusted Python in a sandbox: own process (new session), rlimits, no network, private temp dir,
host files hidden, uid nobody, wall-clock timeout that kills the whole process tree, and an output cap.

The isolation itself happens in `sandbox_init.py` (namespaces as root; rlimits only otherwise, and then
`SandboxResult.isolation` says so). This module is the parent side: start, watch, kill, classify.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from datamill.errors import DatamillError

INIT = str(Path(__file__).with_name("sandbox_init.py"))


class SandboxError(DatamillError, RuntimeError):
    """The sandbox itself could not run a program (our machinery, not the program): never a sample's verdict.
    Jobs stop on it, leaving the part undone, so a re-run from a working setup redoes it."""


@dataclass(frozen=True)
class SandboxLimits:
    timeout_s: float = 30.0  # wall clock for the whole process tree (backstop: sleeping / forking programs)
    cpu_s: int = 10  # RLIMIT_CPU per process: the main bound, immune to machine load
    mem_mb: int = 512  # RLIMIT_AS (Python itself needs ~30 MB)
    fsize_mb: int = 16  # RLIMIT_FSIZE: largest file it may write
    nproc: int = 64  # RLIMIT_NPROC for uid nobody (fork bombs)
    nofile: int = 64
    output_cap: int = 1 << 20  # bytes of stdout+stderr kept; more → killed, "output_limit"
    isolate: bool = (
        True  # namespaces + uid nobody when root; False = rlimits only (what non-root machines get)
    )


@dataclass
class SandboxResult:
    status: str  # "ok" | "error" | "timeout" | "output_limit" | "killed"
    returncode: int | None
    stdout: str
    stderr: str
    duration_s: float
    isolation: str = "namespaces"  # or "rlimits_only" (not root / no namespaces)
    details: dict = field(default_factory=dict)


def _base_python() -> str:
    # The venv's python is a symlink into the base install; the sandbox binds only the base prefix.
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


DEFAULT_LIMITS = SandboxLimits()


def run_python(source: str, limits: SandboxLimits = DEFAULT_LIMITS) -> SandboxResult:
    """Run `source` as a program; never raises for anything the program does. Raises SandboxError when the
    sandbox could not be built (reported by the launcher on its own pipe, which the program cannot write)."""
    tmp = tempfile.mkdtemp(prefix="datamill-sbx-")
    status_r, status_w = os.pipe()
    try:
        prog = os.path.join(tmp, "program.py")
        Path(prog).write_text(source, encoding="utf-8")
        cfg = {
            "program": prog,
            "status_fd": status_w,
            "cpu_s": limits.cpu_s,
            "mem_mb": limits.mem_mb,
            "fsize_mb": limits.fsize_mb,
            "nproc": limits.nproc,
            "nofile": limits.nofile,
            "isolate": limits.isolate,
        }
        os.chmod(tmp, 0o755)  # rlimits-only fallback runs in this dir as the same user
        try:
            proc = subprocess.Popen(
                [_base_python(), "-I", "-S", INIT, json.dumps(cfg)],
                cwd=tmp,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                pass_fds=(status_w,),
                env={},
            )
        except OSError as e:
            raise SandboxError(f"sandbox: cannot start the launcher {_base_python()}: {e}") from e
        os.close(status_w)
        status_w = -1
        result = _watch(proc, limits)
        notes = _read_all(status_r).splitlines()
        errors = [n[len("ERROR ") :] for n in notes if n.startswith("ERROR ")]
        if errors:
            raise SandboxError(f"sandbox could not be built: {errors[0]}")
        result.isolation = "rlimits_only" if any(n.startswith("NOTE ") for n in notes) else "namespaces"
        return result
    finally:
        for fd in (status_r, status_w):
            if fd >= 0:
                os.close(fd)
        shutil.rmtree(tmp, ignore_errors=True)


def _read_all(fd: int) -> str:
    os.set_blocking(fd, False)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:  # a process of the sandbox still holds the write end: what is there is all
            break
        if not chunk:
            break
        out += chunk
    return out.decode("utf-8", "replace")


_PROBE = "import sys\nprint('sandbox-probe', sys.version_info[0])\n"
_PROBED: dict[SandboxLimits, str] = {}


def self_test(limits: SandboxLimits = DEFAULT_LIMITS) -> str:
    """Run a trivial program under `limits` once per process; raise SandboxError unless it passes.

    A checkout, virtualenv or interpreter the sandbox cannot see shows up here (every program would fail to start
    the same way), before any sample is judged. Returns the isolation level."""
    if limits not in _PROBED:
        r = run_python(_PROBE, limits)
        if r.status != "ok" or "sandbox-probe 3" not in r.stdout:
            tail = (r.stderr.strip().splitlines() or [f"status {r.status}, exit code {r.returncode}"])[-1]
            raise SandboxError(
                f"sandbox cannot run a trivial program ({r.status}, exit {r.returncode}): {tail}"
            )
        _PROBED[limits] = r.isolation
    return _PROBED[limits]


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(
            proc.pid, signal.SIGKILL
        )  # its session = launcher + namespace init (+ anything not setsid'd)
    except ProcessLookupError:
        pass


def _watch(proc: subprocess.Popen, limits: SandboxLimits) -> SandboxResult:
    t0 = time.monotonic()
    bufs = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
    sel = selectors.DefaultSelector()
    for f in (proc.stdout, proc.stderr):
        sel.register(f, selectors.EVENT_READ)
    status, total, open_ = None, 0, 2
    while open_:
        left = limits.timeout_s - (time.monotonic() - t0)
        if left <= 0:
            status = "timeout"
            break
        for key, _ in sel.select(timeout=min(left, 0.5)):
            chunk = os.read(key.fd, 65536)
            if not chunk:
                sel.unregister(key.fileobj)
                open_ -= 1
                continue
            total += len(chunk)
            keep = max(0, limits.output_cap - (total - len(chunk)))
            bufs[key.fd] += chunk[:keep]
            if total > limits.output_cap:
                status = "output_limit"
                break
        if status:
            break
    if status:
        _kill(proc)
    try:
        rc = proc.wait(timeout=max(0.1, limits.timeout_s - (time.monotonic() - t0)) if not status else 5)
    except subprocess.TimeoutExpired:
        status = status or "timeout"
        _kill(proc)
        rc = proc.wait()
    _kill(proc)  # the launcher exited: make sure nothing else in its session is left
    sel.close()
    proc.stdout.close()
    proc.stderr.close()
    stdout, stderr = (bytes(b).decode("utf-8", "replace") for b in bufs.values())
    if status is None:
        if rc in (128 + signal.SIGXCPU, -signal.SIGXCPU):
            status = "timeout"  # CPU rlimit
        elif rc >= 128 or rc < 0:
            status = "killed"
        else:
            status = "ok" if rc == 0 else "error"
    return SandboxResult(status, rc, stdout, stderr, time.monotonic() - t0, details={"output_bytes": total})
