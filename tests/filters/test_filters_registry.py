"""filters.FILTERS is the one list of what filters exist: every filter class in the package, each importable by name."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import filters

REPO = Path(__file__).resolve().parents[2]


def _filter_classes() -> dict[str, str]:
    """Every class of the package that is a datatrove step or has `filter()`, by name → module."""
    from datatrove.pipeline.base import PipelineStep

    found = {}
    for info in pkgutil.iter_modules(filters.__path__):
        mod = importlib.import_module(f"filters.{info.name}")
        for name, obj in vars(mod).items():
            ours = inspect.isclass(obj) and obj.__module__ == mod.__name__ and not name.startswith("_")
            if ours and (issubclass(obj, PipelineStep) or callable(getattr(obj, "filter", None))):
                found[name] = mod.__name__
    return found


def test_every_filter_class_is_listed_with_its_module():
    assert _filter_classes() == filters.FILTERS


def test_each_listed_name_is_the_class_itself():
    for name, module in filters.FILTERS.items():
        assert getattr(filters, name) is getattr(importlib.import_module(module), name), name


def test_the_docstring_lists_the_same_names():
    listed = {
        line.split()[0] for line in filters.__doc__.splitlines() if line.startswith("  ") and line.split()
    }
    assert listed == set(filters.FILTERS)


def test_importing_the_package_pulls_no_filter_library():
    code = "import sys, filters.lid; print(sorted(m for m in ('datatrove', 'spacy', 'kiwipiepy') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    assert out.strip() == "[]", f"import filters.lid loaded {out.strip()}"
