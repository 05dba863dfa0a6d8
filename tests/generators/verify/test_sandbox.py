"""Hostile programs are contained: verdict fails with the reason, the host (this process, its files) unharmed."""

import os
import time

import pytest

from generators.verify import CodeVerifier, SandboxLimits, run_python

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TESTS = ["assert f() == 1"]  # each hostile body is put inside f(); the test calls it
LIMITS = SandboxLimits(timeout_s=3.0, cpu_s=3, mem_mb=256)


def _verdict(body: str):
    code = "def f():\n" + "\n".join("    " + line for line in body.splitlines()) + "\n    return 1\n"
    return CodeVerifier(LIMITS).verify(code, TESTS, extract=False)


def _nobody_procs() -> int:
    """Live processes owned by uid 65534 (read from /proc: no `ps` needed)."""
    n = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as f:
                uid_line = next(line for line in f if line.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        n += uid_line.split()[1] == "65534"
    return n


@pytest.fixture(autouse=True)
def host_unharmed():
    before = _nobody_procs()
    yield
    for _ in range(50):  # the kernel tears a dead PID namespace down asynchronously: allow it a moment
        if _nobody_procs() <= before:
            break
        time.sleep(0.1)
    assert _nobody_procs() <= before, "sandboxed processes were left running"


def test_good_program_passes_and_reports_isolation():
    v = _verdict("x = 1")
    assert v.passed and v.reason == ""
    expected = "namespaces" if os.geteuid() == 0 else "rlimits_only"
    assert v.details["isolation"] == expected


def test_infinite_loop():
    assert _verdict("while True:\n    pass").reason == "timeout"


def test_fork_bomb():
    v = _verdict("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass")
    assert not v.passed and v.reason == "timeout"


def test_memory_bomb():
    v = _verdict("x = bytearray(4 * 1024 ** 3)")
    assert (v.passed, v.reason) == (False, "memory_limit")


def test_write_outside_its_dir(tmp_path):
    target = os.path.join(REPO, "sandbox_escape_marker.txt")
    v = _verdict(f"open({target!r}, 'w').write('pwned')")
    assert (v.passed, v.reason) == (False, "sandbox_violation")
    assert not os.path.exists(target)


@pytest.mark.parametrize("path", ["/etc/shadow", os.path.join(REPO, "pyproject.toml")])
def test_read_files_outside(path):
    v = _verdict(f"print(open({path!r}).read())")
    assert (v.passed, v.reason) == (False, "sandbox_violation")
    assert "datamill" not in v.details.get("stderr_tail", "")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a top-level directory and namespaces")
def test_world_readable_file_in_any_top_level_dir_is_hidden():
    # CI once ran the checkout from /check/…, which a denylist (/work, /home …) did not cover.
    import shutil
    import tempfile

    top = tempfile.mkdtemp(prefix="datamill-probe-", dir="/")
    try:
        os.chmod(top, 0o755)
        secret = os.path.join(top, "secret.txt")
        with open(secret, "w") as f:
            f.write("visible")
        os.chmod(secret, 0o644)
        v = _verdict(f"print(open({secret!r}).read())")
        assert (v.passed, v.reason) == (False, "sandbox_violation"), v.details
        assert "visible" not in v.details.get("stdout_tail", "")
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_open_a_socket():
    v = _verdict("import socket\ns = socket.create_connection(('1.1.1.1', 80), timeout=2)")
    assert (v.passed, v.reason) == (False, "sandbox_violation")


def test_kill_parent():
    v = _verdict("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")
    assert (v.passed, v.reason) == (False, "sandbox_violation")
    assert os.getpid() > 0  # we are still here


def test_one_gigabyte_of_output():
    v = _verdict("import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(chunk)")
    assert (v.passed, v.reason) == (False, "output_limit")
    assert v.details["output_bytes"] <= 2 * SandboxLimits().output_cap + (1 << 20)


def test_exit_before_tests_is_not_a_pass():
    v = CodeVerifier(LIMITS).verify("import sys\nsys.exit(0)\n", TESTS, extract=False)
    assert (v.passed, v.reason) == (False, "tests_not_run")


def test_private_tmp():
    r = run_python("import os\nprint(sorted(os.listdir('/tmp')), os.getcwd())")
    if os.geteuid() == 0:
        assert r.stdout.split("]")[0] == "['work'"
        assert r.stdout.strip().endswith("/tmp/work")


def test_cpu_limit_stops_busy_loop_before_the_wall_clock():
    v = CodeVerifier(SandboxLimits(timeout_s=120, cpu_s=1)).verify(
        "while True:\n    pass\n", TESTS, extract=False
    )
    assert (v.reason, v.details["status"]) == ("timeout", "timeout")
    assert v.details["returncode"] == 128 + 24  # SIGXCPU relayed by the sandbox init
    assert v.details["duration_s"] < 120


def test_sleeping_program_hits_the_wall_clock():
    v = CodeVerifier(SandboxLimits(timeout_s=1.5, cpu_s=10)).verify(
        "import time\ntime.sleep(60)\n", TESTS, extract=False
    )
    assert (v.reason, v.details["returncode"]) == ("timeout", -9)


def test_rlimits_only_fallback_still_bounds_time_and_output():
    lim = SandboxLimits(timeout_s=3.0, cpu_s=2, isolate=False)
    ok = CodeVerifier(lim).verify("def f():\n    return 1\n", TESTS, extract=False)
    assert ok.passed and ok.details["isolation"] == "rlimits_only"
    assert CodeVerifier(lim).verify("while True:\n    pass\n", TESTS, extract=False).reason == "timeout"
    spam = "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n"
    assert CodeVerifier(lim).verify(spam, TESTS, extract=False).reason == "output_limit"
