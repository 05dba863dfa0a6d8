import pytest

from datamill.store import Store
from tests.datamill.mixing.realstore import build_real_store


@pytest.fixture(scope="package")
def real_store(tmp_path_factory, examples) -> Store:
    """gsm8k (reasoning + non-reasoning + wrong responses), ko-chat, es-xquad, BFCL tools, whole essays."""
    return build_real_store(Store(tmp_path_factory.mktemp("mix") / "store"), examples)
