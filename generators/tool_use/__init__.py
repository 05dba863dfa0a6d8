"""Agentic tool-use SFT (EXAONE 4.0 "Agentic Tool Use"): what exists.

- library.py      BFCL tool definitions: normalise ("dict" → "object", …), validate (JSON Schema 2020-12), load
- envs/           executable simulated environments with SQLite state: ShopEnvironment, TravelEnvironment
- tasks*.py       tasks: user goal, goal check over the final DB state, reference plan (scripted agent + user)
- calls.py        pure: parse EXAONE agent text into tool calls; check a call against its schema
- rollout.py      TrajectoryRunner: user simulator ↔ agent ↔ environment, batched engine calls
- verify.py       TrajectoryVerifier: format / schema / execution / termination / goal verdicts
- bfcl_seeds.py   single-turn seed samples from BFCL ground truth
- job.py          run("tool-use", config, store) — `datamill generate tool-use configs/tool_use.yaml`
"""
