"""Preference pairs (EXAONE 4.0 preference data): 4–16 responses per query, a hybrid reward (verifiable
correctness, conciseness, language consistency, optional judge score), chosen/rejected with lineage to both.

`config.py` PreferenceConfig · `reward.py` pure reward + pair selection · `pairs.py` responses → PreferencePair ·
`job.py` run(kind, config_path, store); `source: engine` samples and verifies with the reasoning generator.
"""
