"""Runs INSIDE the sandbox launcher process (started by `sandbox.py` with the base interpreter, `-I -S`).

Stdlib only. As root: new network + mount + PID namespaces; the namespace's init (this process, forked) builds
a fresh root file system on a tmpfs that holds only what the program needs, read-only — the interpreter's install
prefix (at its own path, so its RUNPATH still resolves), the system library directories, /dev's null/zero/random
nodes, a new /proc — plus a writable /tmp/work; then pivot_root()s into it and detaches the host's tree. Nothing
of the host is reachable afterwards: not the checkout or the virtualenv (wherever they live: /tmp, /dev/shm,
/home, a path with spaces), not /etc, not top-level files. The program runs as uid/gid 65534 (nobody) under
rlimits. When init exits, the kernel kills every process left in the PID namespace (fork bombs included).
Not root: rlimits + new session only.

The launcher reports to the parent on its own pipe (`status_fd`, closed when the program is exec'd, so the
program cannot write to it): `NOTE <why>` when it falls back to rlimits only, `ERROR <what>` when the sandbox
itself could not be built (the parent raises; it is never a verdict on the program).

argv: JSON {"program": path, "status_fd": int, "cpu_s", "mem_mb", "fsize_mb", "nproc", "nofile", "isolate"}
"""

import ctypes
import json
import os
import platform
import resource
import signal
import sys

CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID = 0x00020000, 0x40000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG = 1
NOBODY = 65534
WORK = "/tmp/work"
# pivot_root has no glibc wrapper: call it by number (asm/unistd_64.h; asm-generic/unistd.h for arm64)
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
# What an interpreter needs besides its own prefix: the dynamic loader and shared libraries.
LIB_DIRS = ("lib", "lib32", "lib64", "libx32", "usr/lib", "usr/lib32", "usr/lib64", "usr/libx32")
DEV_NODES = ("null", "zero", "full", "random", "urandom")

libc = ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(src, dst, fstype, flags, data=None):
    enc = lambda s: s.encode() if isinstance(s, str) else s
    _check(libc.mount(enc(src), enc(dst), enc(fstype), flags, enc(data)), f"mount {dst}")


def _bind_ro(src: str, dst: str) -> None:
    _mount(src, dst, None, MS_BIND | MS_REC)
    _mount(src, dst, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


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


def _report(cfg: dict, line: str) -> None:
    try:
        os.write(int(cfg["status_fd"]), (line.replace("\n", " ") + "\n").encode())
    except OSError:
        pass


def _run_isolated(cfg: dict) -> None:
    with open(cfg["program"], "rb") as f:
        prog_src = f.read()
    _check(libc.unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID), "unshare")
    pid = os.fork()  # the child is pid 1 of the new PID namespace
    if pid:
        _, status = os.waitpid(pid, 0)
        _exit_like(status)
    try:
        _init_namespace(cfg, prog_src)
    except BaseException as e:  # noqa: BLE001 — never fall back to the host view from inside the namespace
        _report(cfg, f"ERROR {type(e).__name__}: {e}")
        os._exit(125)


def _mirror(host: str, new_root: str) -> None:
    """Make host path `host` exist in the new root as on the host: the same symlink, or a read-only bind."""
    dst = new_root + host
    if os.path.islink(host):
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if not os.path.lexists(dst):
            os.symlink(os.readlink(host), dst)
    elif os.path.isdir(host) and not os.path.ismount(dst):
        os.makedirs(dst, exist_ok=True)
        _bind_ro(host, dst)


def _build_root(new_root: str, prefix: str, work_mb: int) -> None:
    """A tmpfs at new_root holding only the interpreter, the system libraries, /dev nodes and the work dir."""
    _mount("tmpfs", new_root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for d in LIB_DIRS:
        _mirror("/" + d, new_root)
    _mirror(prefix, new_root)
    dev = new_root + "/dev"
    os.makedirs(dev, exist_ok=True)
    for node in DEV_NODES:
        if os.path.exists("/dev/" + node):
            open(os.path.join(dev, node), "w").close()
            _mount("/dev/" + node, os.path.join(dev, node), None, MS_BIND)
    os.makedirs(new_root + "/proc", exist_ok=True)
    os.makedirs(new_root + WORK, exist_ok=True)
    _mount("tmpfs", new_root + WORK, "tmpfs", MS_NOSUID | MS_NODEV, f"size={work_mb}m,mode=0700")


def _pivot(new_root: str) -> None:
    """pivot_root(new, new) then detach the old root stacked under it (pivot_root(2), "pivot_root(".", ".")")."""
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(f"pivot_root: no syscall number known for {platform.machine()}")
    os.chdir(new_root)
    _check(libc.syscall(number, b".", b"."), "pivot_root")
    _check(libc.umount2(b".", MNT_DETACH), "umount old root")
    os.chdir("/")


def _init_namespace(cfg: dict, prog_src: bytes) -> None:
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.umask(0o022)  # the directories made for the new root must be traversable by uid nobody
    prefix = sys.base_prefix
    exe = os.path.realpath(sys.executable)
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    new_root = os.path.dirname(
        os.path.realpath(cfg["program"])
    )  # the parent's private temp dir: a mount point
    _build_root(new_root, prefix, work_mb=4 * int(cfg["fsize_mb"]))
    if not exe.startswith(prefix.rstrip("/") + "/"):
        _mirror(os.path.dirname(exe), new_root)
    _pivot(new_root)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _mount("none", "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    with open(os.path.join(WORK, "program.py"), "wb") as f:
        f.write(prog_src)
    os.chown(WORK, NOBODY, NOBODY)
    child = os.fork()
    if child == 0:
        os.chdir(WORK)
        _limits(cfg)
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # cleared by setuid, so set it after
        os.execve(
            exe, [exe, "-I", "-S", "program.py"], {"HOME": WORK, "PATH": "/usr/bin:/bin", "TMPDIR": WORK}
        )
    _, status = os.waitpid(child, 0)
    _exit_like(status)  # pid 1 exits → the kernel kills whatever the program left behind


def _run_rlimits_only(cfg: dict, why: str) -> None:
    _report(cfg, f"NOTE {why}: rlimits + own session only (no namespaces, same uid)")
    work = os.path.dirname(cfg["program"])
    os.chdir(work)
    _limits(cfg)
    os.execve(sys.executable, [sys.executable, "-I", "-S", "program.py"], {"HOME": work, "TMPDIR": work})


def main() -> None:
    cfg = json.loads(sys.argv[1])
    os.set_inheritable(
        int(cfg["status_fd"]), False
    )  # closed at the program's execve: the program can't write it
    if os.geteuid() == 0 and cfg.get("isolate", True):
        try:
            _run_isolated(cfg)
        except OSError as e:  # e.g. a container without CAP_SYS_ADMIN: unshare is refused before any fork
            _run_rlimits_only(cfg, f"namespaces unavailable ({e})")
    _run_rlimits_only(cfg, "not root" if os.geteuid() != 0 else "isolation switched off")


if __name__ == "__main__":
    main()
