"""World-knowledge SFT: grounded QA from curated web documents (engine) + XQuAD gold seed QA (no engine)."""
