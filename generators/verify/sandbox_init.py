"""Runs INSIDE the sandbox launcher process (started by `sandbox.py` with the base interpreter, `-I -S`).

Stdlib only. As root: new network + mount + PID namespaces; the namespace's init (this process, forked)
hides the host (every top-level directory except the system ones in KEEP, plus /tmp, /dev/shm and the
paths the parent names — the repository and the virtualenv — become empty tmpfs; /proc is re-mounted), binds
the interpreter read-only, then
forks the program as uid/gid 65534 (nobody) under rlimits. When init exits, the kernel kills every process
left in the PID namespace (fork bombs included). Not root: rlimits + new session only (reported to the parent
on stderr as a line starting with SANDBOX_NOTE).

argv: JSON {"program": path, "cpu_s", "mem_mb", "fsize_mb", "nproc", "nofile", "hide": [paths]}
"""

import ctypes
import json
import os
import resource
import signal
import sys

CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID = 0x00020000, 0x40000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG = 1
NOBODY = 65534
PY_MOUNT = "/tmp/.py"  # where the interpreter is bound inside the sandbox
# An allowlist, not a denylist: a checkout may live anywhere (/work, /check, /srv, /builds …), so every
# top-level directory that is not part of the OS is hidden.
KEEP = frozenset({"usr", "etc", "dev", "proc", "sys", "tmp", "bin", "sbin", "lib", "lib32", "lib64", "libx32"})
HIDE_ALSO = ("/dev/shm",)

libc = ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        raise OSError(ctypes.get_errno(), f"{what}: {os.strerror(ctypes.get_errno())}")


def _mount(src, dst, fstype, flags, data=None):
    enc = lambda s: s.encode() if isinstance(s, str) else s
    _check(libc.mount(enc(src), enc(dst), enc(fstype), flags, enc(data)), f"mount {dst}")


def _limits(cfg: dict) -> None:
    cpu, mem = int(cfg["cpu_s"]), int(cfg["mem_mb"]) << 20
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(cfg["fsize_mb"]) << 20,) * 2)
    resource.setrlimit(resource.RLIMIT_NPROC, (int(cfg["nproc"]),) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (int(cfg["nofile"]),) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _exit_like(status: int) -> None:
    if os.WIFSIGNALED(status):
        os._exit(128 + os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status))


def _run_isolated(cfg: dict) -> None:
    with open(cfg["program"], "rb") as f:
        prog_src = f.read()
    prefix = sys.base_prefix
    exe_rel = os.path.relpath(os.path.realpath(sys.executable), prefix)
    _check(libc.unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID), "unshare")
    pid = os.fork()  # the child is pid 1 of the new PID namespace
    if pid:
        _, status = os.waitpid(pid, 0)
        _exit_like(status)
    try:
        _init_namespace(cfg, prog_src, prefix, exe_rel)
    except BaseException as e:  # noqa: BLE001 — never fall back to the host view from inside the namespace
        sys.stderr.write(f"SANDBOX_ERROR {type(e).__name__}: {e}\n")
        os._exit(125)


def _hidden_dirs(extra) -> list:
    """Top-level non-system directories (symlinks such as /bin → usr/bin are left alone), then `extra`."""
    out = []
    for name in sorted(os.listdir("/")):
        path = "/" + name
        if name not in KEEP and not os.path.islink(path) and os.path.isdir(path):
            out.append(path)
    out += [p for p in (*HIDE_ALSO, *extra) if os.path.isdir(p) and not any(_under(p, h) for h in out)]
    return out


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


def _init_namespace(cfg: dict, prog_src: bytes, prefix: str, exe_rel: str) -> None:
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    hide = _hidden_dirs([os.path.realpath(p) for p in cfg.get("hide", ())])
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=0755")
    # Bind the interpreter before hiding: it may live under a hidden directory (/root/.pyenv, /opt).
    os.makedirs(PY_MOUNT)
    _mount(prefix, PY_MOUNT, None, MS_BIND | MS_REC)
    _mount(prefix, PY_MOUNT, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC)
    for d in hide:
        _mount("tmpfs", d, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    try:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV)
    except OSError:
        pass  # host /proc stays visible (pids only; their files are not readable by nobody)
    work = "/tmp/work"
    os.makedirs(work, mode=0o700)
    with open(os.path.join(work, "program.py"), "wb") as f:
        f.write(prog_src)
    os.chown(work, NOBODY, NOBODY)
    child = os.fork()
    if child == 0:
        os.chdir(work)
        _limits(cfg)
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # cleared by setuid, so set it after
        exe = os.path.join(PY_MOUNT, exe_rel)
        os.execve(
            exe, [exe, "-I", "-S", "program.py"], {"HOME": work, "PATH": "/usr/bin:/bin", "TMPDIR": work}
        )
    _, status = os.waitpid(child, 0)
    _exit_like(status)  # pid 1 exits → the kernel kills whatever the program left behind


def _run_rlimits_only(cfg: dict, why: str) -> None:
    sys.stderr.write(f"SANDBOX_NOTE {why}: rlimits + own session only (no namespaces, same uid)\n")
    sys.stderr.flush()
    work = os.path.dirname(cfg["program"])
    os.chdir(work)
    _limits(cfg)
    os.execve(sys.executable, [sys.executable, "-I", "-S", "program.py"], {"HOME": work, "TMPDIR": work})


def main() -> None:
    cfg = json.loads(sys.argv[1])
    if os.geteuid() == 0 and cfg.get("isolate", True):
        try:
            _run_isolated(cfg)
        except OSError as e:  # e.g. a container without CAP_SYS_ADMIN: unshare is refused before any fork
            _run_rlimits_only(cfg, f"namespaces unavailable ({e})")
    _run_rlimits_only(cfg, "not root" if os.geteuid() != 0 else "isolation switched off")


if __name__ == "__main__":
    main()
