import pytest

from tests.train_entry.packed import gsm8k_chats, write_packed


@pytest.fixture(scope="package")
def gsm8k_packed(tmp_path_factory, examples):
    """All 200 embedded GSM8K Q/A pairs in the EXAONE chat format, demo tokenizer, packed into 128-token rows."""
    return write_packed(tmp_path_factory.mktemp("packed") / "gsm8k", gsm8k_chats(examples), seq_len=128)
