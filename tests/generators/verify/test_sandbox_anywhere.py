"""The sandbox works from a checkout anywhere (/tmp, /dev/shm, a path with spaces), shows the program only what it
needs (no /etc, no host top-level files, no checkout), and a sandbox that cannot be built is our failure — a
SandboxError that stops the job — never a sample's verdict (issue #20, items 1 and 16)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from generators.verify import CodeVerifier, SandboxError, SandboxLimits, run_python
from generators.verify import sandbox as sandbox_mod

REPO = Path(__file__).resolve().parents[3]
ROOT_ONLY = pytest.mark.skipif(
    os.geteuid() != 0, reason="namespaces need root; without it the sandbox is rlimits only"
)
LIMITS = SandboxLimits(timeout_s=10.0, cpu_s=5, mem_mb=256)


def _copy_checkout(dest: Path) -> None:
    """What a fresh clone of this working tree holds: tracked + untracked-not-ignored files (git ls-files)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=REPO, check=False, capture_output=True
    )
    if listed.returncode != 0:
        pytest.skip(f"{REPO} is not a git checkout (git ls-files: {listed.stderr.decode().strip()[:200]})")
    files = listed.stdout.decode().split("\0")
    for rel in filter(None, files):
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def _venv_in(dest: Path) -> Path:
    """A virtualenv inside the clone whose packages are this one's (a .pth line), so nothing is downloaded; the
    clone's own source comes first on sys.path (cwd)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(dest / ".venv")], check=True)
    site = next((dest / ".venv" / "lib").glob("python3*/site-packages"))
    (site / "parent_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return dest / ".venv" / "bin" / "python"


PROBE = r"""
import json, os, sys
from generators.verify import CodeVerifier, SandboxLimits, run_python
from generators.verify import sandbox
here = os.getcwd()
code = "def add(a, b):\n    return a + b\n"
v = CodeVerifier(SandboxLimits(timeout_s=10.0, cpu_s=5, mem_mb=256)).verify(code, ["assert add(2, 3) == 5"], extract=False)
seen = run_python("import os, json\nprint(json.dumps({p: os.path.exists(p) for p in %r}))" % ([here, sys.prefix],))
print(json.dumps({"module": sandbox.__file__, "passed": v.passed, "reason": v.reason, "isolation": v.details["isolation"],
                  "inside": json.loads(seen.stdout)}))
"""


@ROOT_ONLY
@pytest.mark.parametrize(
    "base, name", [("/tmp", "clone"), ("/dev/shm", "clone"), ("/tmp", "a path with spaces")]
)
def test_a_clone_anywhere_runs_sandboxed_code(base, name):
    if not os.path.isdir(base) or not os.access(base, os.W_OK):
        pytest.skip(f"{base} is not a writable directory on this machine")
    top = Path(tempfile.mkdtemp(prefix="datamill-clone-", dir=base))
    try:
        dest = top / name
        _copy_checkout(dest)
        py = _venv_in(dest)
        out = subprocess.run(
            [str(py), "-c", PROBE], check=False, cwd=dest, capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr[-2000:]
        got = json.loads(out.stdout.strip().splitlines()[-1])
        assert got["module"].startswith(str(dest)), f"the probe ran {got['module']}, not the clone's code"
        assert (got["passed"], got["reason"], got["isolation"]) == (True, "", "namespaces"), got
        assert got["inside"] == {str(dest): False, str(dest / ".venv"): False}, (
            "the checkout is visible inside"
        )
    finally:
        shutil.rmtree(top, ignore_errors=True)


@ROOT_ONLY
def test_the_program_sees_only_what_it_needs(tmp_path):
    fd, top_file = tempfile.mkstemp(prefix="datamill-probe-", dir="/")  # a host top-level file
    os.close(fd)
    try:
        os.chmod(top_file, 0o644)
        src = (
            "import os, json\n"
            f"print(json.dumps({{'root': sorted(os.listdir('/')), 'files': [os.path.exists(p) for p in "
            f"['/etc/passwd', '/etc/hostname', {top_file!r}, '/root/.bash_history', '/var', '/home']]}}))"
        )
        r = run_python(src, LIMITS)
        assert r.status == "ok", r.stderr
        got = json.loads(r.stdout)
        assert got["files"] == [False] * 6, got
        prefix_top = sys.base_prefix.strip("/").split("/")[0]
        allowed = {"dev", "proc", "tmp", "usr", "lib", "lib32", "lib64", "libx32", prefix_top}
        assert set(got["root"]) <= allowed, (
            f"unexpected top-level entries inside: {set(got['root']) - allowed}"
        )
    finally:
        os.unlink(top_file)


@ROOT_ONLY
def test_a_sandbox_that_cannot_be_built_raises_instead_of_judging(tmp_path, monkeypatch):
    broken = tmp_path / "sandbox_init.py"  # the launcher forgets to bring the interpreter into the new root
    text = Path(sandbox_mod.INIT).read_text()
    assert "    _mirror(prefix, new_root)\n" in text
    broken.write_text(text.replace("    _mirror(prefix, new_root)\n", ""))
    monkeypatch.setattr(sandbox_mod, "INIT", str(broken))
    monkeypatch.setattr(sandbox_mod, "_PROBED", {})
    with pytest.raises(SandboxError, match="sandbox could not be built: FileNotFoundError"):
        CodeVerifier(LIMITS).verify("def f():\n    return 1\n", ["assert f() == 1"], extract=False)


def test_a_launcher_that_cannot_start_raises(monkeypatch):
    monkeypatch.setattr(sandbox_mod, "_base_python", lambda: "/nonexistent/python3")
    monkeypatch.setattr(sandbox_mod, "_PROBED", {})
    with pytest.raises(SandboxError, match="cannot start the launcher /nonexistent/python3"):
        CodeVerifier(LIMITS).verify("def f():\n    return 1\n", ["assert f() == 1"], extract=False)


def test_a_program_cannot_pose_as_a_sandbox_failure():
    # The old launcher said "SANDBOX_ERROR" on the program's own stderr with exit code 125: a program could fake it.
    spoof = "import sys\nsys.stderr.write('SANDBOX_ERROR OSError: fake\\n')\nsys.exit(125)\n"
    v = CodeVerifier(LIMITS).verify(spoof, ["assert True"], extract=False)
    assert (v.passed, v.reason) == (False, "runtime_error")
