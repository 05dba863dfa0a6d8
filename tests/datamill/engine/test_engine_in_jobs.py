"""The OpenAI backend inside a real job, through the CLI: a two-server fleet, and the one-line errors."""

import socket

import yaml

from datamill.cli import main
from datamill.engine.stub_server import StubServer
from datamill.store import Store
from schemas import SFTSample


def _config(tmp_path, engine: dict, run_id: str = "t1") -> str:
    cfg = {
        "domain": "math",
        "dataset": "sft_math_fleet",
        "run_id": run_id,
        "engine": {"backend": "openai", "model": "tiny", "progress": False, "backoff_s": 0.01, **engine},
        "sources": [{"name": "gsm8k", "limit": 3}],
        "n_responses": 2,
        "modes": ["reasoning"],
        "include_reference": False,
        "limits": {"math_workers": 1},
        "chunk_size": 2,
    }
    p = tmp_path / "math.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return str(p)


def test_math_job_on_a_two_server_fleet(tmp_path, capsys):
    with StubServer(latency_s=0.01, p500=0.2, seed=4) as a, StubServer(latency_s=0.01) as b:
        cfg = _config(tmp_path, {"base_url": [a.url, b.url], "max_retries": 10})
        assert main(["--store", str(tmp_path / "store"), "generate", "math", cfg]) == 0
        sent = a.answered_requests + b.answered_requests
        # a second run of the finished job sends nothing (parts done); a new run id is served from the cache
        assert main(["--store", str(tmp_path / "store"), "generate", "math", cfg]) == 0
        cfg2 = _config(tmp_path, {"base_url": [b.url]}, run_id="t2")  # another fleet: same run config
        assert main(["--store", str(tmp_path / "store"), "generate", "math", cfg2]) == 0
        assert a.answered_requests + b.answered_requests == sent == 3
    store = Store(tmp_path / "store")
    rows, rows2 = (
        [SFTSample.from_row(r) for r in store.read_table("sft_math_fleet", run).to_pylist()]
        for run in ("t1", "t2")
    )
    assert [r.messages for r in rows2] == [r.messages for r in rows]
    assert len(rows) == 3 * 2 and {r.lineage.model for r in rows} == {"tiny"}
    assert all(r.messages[-1].content.startswith("The answer is") for r in rows)  # the stub's text, parsed
    out = capsys.readouterr()
    assert "sft_math_fleet/t1: 6 rows" in out.out
    # the CLI shows the engine's per-endpoint table once the job is done (the first run: both endpoints)
    [table] = [t.splitlines() for t in out.err.split("engine endpoints:\n")[1:] if a.url in t]
    assert table[0].startswith("| endpoint ") and a.url in table[2] and b.url in table[3]


def test_unreachable_server_is_one_line_from_the_cli(tmp_path, capsys):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    s.close()
    assert (
        main(["--store", str(tmp_path / "store"), "generate", "math", _config(tmp_path, {"base_url": url})])
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        (
            f"datamill generate: error: no OpenAI-compatible server reachable: {url} "
            f"(ConnectionRefusedError: [Errno 111] Connection refused). Start one (e.g. `vllm serve MODEL`) "
            "or fix engine.base_url"
        )
    ]


def test_unknown_model_is_one_line_from_the_cli(tmp_path, capsys):
    with StubServer(model="exaone-4.0-32b") as stub:
        cfg = _config(tmp_path, {"base_url": stub.url})
        assert main(["--store", str(tmp_path / "store"), "generate", "math", cfg]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        (
            f"datamill generate: error: engine.model 'tiny' is not served at {stub.url}; "
            "it serves: exaone-4.0-32b"
        )
    ]


def test_a_prompt_beyond_the_context_is_a_drop_in_the_job_report_not_a_job_failure(tmp_path, caplog):
    """#22: context too long → that sample is dropped with the reason (counted in the job's report), the job goes on."""
    import logging

    from generators.reasoning.job import run

    with StubServer(
        latency_s=0.0, max_prompt_chars=300
    ) as server:  # the 3 rendered prompts: 208, 250, 355 chars
        caplog.set_level(logging.INFO)
        report = run("math", _config(tmp_path, {"base_url": server.url}), Store(tmp_path / "store"))
    rows = Store(tmp_path / "store").read_table("sft_math_fleet", "t1").num_rows
    # two of the prompts fit, one does not: its 2 samples are dropped with the reason, the other 4 are written
    assert (report.dropped.get("context_too_long"), rows) == (2, 4), report.dropped
    assert "context_too_long" in report.summary()
