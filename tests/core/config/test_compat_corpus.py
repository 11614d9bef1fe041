"""Real OpenMMLab configs resolve to the same dicts as MMEngine 0.10.7.

Uses the shared corpus (``../shared/config_compat`` next to the repository,
or ``/work/shared/config_compat``) and its own normalisation code; skipped
when the corpus is absent. A fixed random sample of the reference configs
runs, plus every ``--cfg-options`` case.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from runner_core.config import Config, parse_cfg_options
from runner_core.config.formatting import to_jsonable
from runner_core.runner.config_keys import top_level_typos
from runner_core.runner.runner import RUNNER_KEYS

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLE_SIZE = int(os.environ.get("CONFIG_COMPAT_SAMPLE", "40"))
SEED = int(os.environ.get("CONFIG_COMPAT_SEED", "20240601"))


def _corpus_dir() -> Path | None:
    for candidate in (
        REPO_ROOT.parent / "shared" / "config_compat",
        Path("/work/shared/config_compat"),
    ):
        if (candidate / "check.py").is_file() and (candidate / "manifest.tsv").is_file():
            return candidate
    return None


CORPUS = _corpus_dir()


def _checker() -> ModuleType:
    assert CORPUS is not None
    spec = importlib.util.spec_from_file_location("config_compat_check", CORPUS / "check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cases() -> list[Any]:
    if CORPUS is None:
        return []
    rows = []
    with open(CORPUS / "manifest.tsv", encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        for line in handle:
            row = dict(zip(header, line.rstrip("\n").split("\t")))
            if row.get("status") == "ok":
                rows.append(row)
    sample = random.Random(SEED).sample(rows, min(SAMPLE_SIZE, len(rows)))
    cases = [
        pytest.param(row["config"], [], ("file", row["expected"]), id=row["config"])
        for row in sample
    ]
    overrides = CORPUS / "overrides.jsonl"
    if overrides.is_file():
        for line in overrides.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                cases.append(
                    pytest.param(
                        case["config"],
                        case["overrides"],
                        ("inline", case["expected"]),
                        id=f"overrides-{case['id']}",
                    )
                )
    return cases


@pytest.mark.skipif(CORPUS is None, reason="shared config_compat corpus not available")
@pytest.mark.parametrize(("config", "overrides", "expected"), _cases())
def test_resolves_like_mmengine(
    config: str, overrides: list[str], expected: tuple[str, Any]
) -> None:
    assert CORPUS is not None
    check = _checker()
    roots = check.corpus_roots(str(CORPUS / "corpus"))
    cfg = Config.fromfile(CORPUS / "corpus" / config)
    if overrides:
        cfg.merge_from_dict(parse_cfg_options(overrides))
    got = check.normalize(json.loads(json.dumps(to_jsonable(cfg.to_dict()))), roots)
    kind, payload = expected
    if kind == "file":
        payload = json.loads((CORPUS / payload).read_text(encoding="utf-8"))
    want = check.normalize(payload, roots)
    assert check.canonical(got) == check.canonical(want), check.first_diff(want, got)
    # and the Runner takes its top-level keys: none is refused as a misspelling
    assert top_level_typos(cfg, RUNNER_KEYS) == []
