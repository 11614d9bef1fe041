"""A Runner's resume maps the checkpoint's weights and reads the rest (``MAPPED_ON_RESUME``).

The weights are copied into the model and dropped, so they are read from the
mapped file and never held twice; the optimizer keeps the state tensors it is
given, so those are read into memory, and nothing that outlives the resume
depends on the file. Checked in child processes (``python THIS_FILE CASE
FOLDER``, with test_load_memory.py's helpers): a regression that left
training state mapped would die of SIGBUS once the file is truncated, and
must not take pytest with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
import torch

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/self (Linux)"
)


# -- the child's cases (run as a script: test_load_memory is importable beside it) ------------
def _runner(folder: Path, layers: int, width: int, iters: int, **kwargs: Any) -> Any:
    """A Runner over ``layers`` x Linear(width, width), Adam, no checkpoint of its own."""
    from test_load_memory import Big, pairs_loader

    from runner_core import Runner

    loader = pairs_loader(8, width)
    torch.manual_seed(0)
    return Runner(
        model=Big(layers, width),
        work_dir=str(folder),
        train_dataloader=loader,
        train_cfg=dict(by_epoch=False, max_iters=iters),
        optim_wrapper=dict(optimizer=dict(type="Adam", lr=0.01)),
        default_hooks=dict(checkpoint=None, logger=dict(interval=100, progress_bar=False)),
        randomness=dict(seed=0),
        **kwargs,
    )


def _optimizer_tensors(runner: Any) -> list[torch.Tensor]:
    return [v for state in runner.optim_wrapper.optimizer.state.values() for v in state.values()]


def _case_memory(folder: Path) -> dict[str, Any]:
    """64 MB of weights and 128 MB of Adam state: the most the resume holds at the copy."""
    from test_load_memory import MB, anon_bytes, file_backed, settle, watch_copy_in

    first = _runner(folder / "a", 1, 4096, 1)
    first.train()
    first.save_checkpoint(str(folder), "iter_1.pth")
    del first
    path = str(folder / "iter_1.pth")
    _runner(folder / "w", 1, 4096, 2, resume=path).load_or_resume()  # the lazy imports
    settle()
    runner = _runner(folder / "b", 1, 4096, 2, resume=path)
    seen = watch_copy_in(runner.model)
    settle()
    before = anon_bytes()
    runner.load_or_resume()
    saved = torch.load(path, weights_only=True)["state_dict"]
    return {
        "growth_mb": (seen["at_copy"] - before) / MB,
        "optimizer_mb": sum(t.nbytes for t in _optimizer_tensors(runner)) / MB,
        "optimizer_mapped": any(file_backed(t) for t in _optimizer_tensors(runner)),
        "exact": all(  # the model is on the GPU where there is one; ``saved`` on the CPU
            torch.equal(v.cpu(), saved[k]) for k, v in runner.model.state_dict().items()
        ),
    }


def _case_hazards(folder: Path) -> dict[str, Any]:
    """Resume, then keep / truncate / delete the file before the first step, train on:
    the same weights as a resume that read the file (load_cfg=dict(mmap=False))."""
    from test_load_memory import file_backed

    from runner_core.hooks import Hook

    class Tamper(Hook):
        def __init__(self, path: Path, how: str) -> None:
            self.path, self.how, self.crc_after_step = path, how, 0

        def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
            if runner.iter == 1 and self.how == "truncate":
                with open(self.path, "r+b") as f:  # as torch.save(..., same_path) begins
                    f.truncate(0)
            elif runner.iter == 1 and self.how == "delete":
                self.path.unlink()  # as max_keep_ckpts prunes it

        def after_train_iter(
            self, runner: Any, batch_idx: int, data_batch: Any = None, outputs: Any = None
        ) -> None:
            if runner.iter == 1 and self.how == "keep":  # the first resumed step is done
                self.crc_after_step = zlib.crc32(self.path.read_bytes())

    first = _runner(folder / "a", 2, 64, 1)
    first.train()
    source = folder / "iter_1.pth"
    first.save_checkpoint(str(folder), source.name)
    crc = zlib.crc32(source.read_bytes())
    results: dict[str, Any] = {}
    for how in ("read", "keep", "truncate", "delete"):
        path = folder / f"{how}.pth"
        path.write_bytes(source.read_bytes())
        load_cfg = dict(mmap=False) if how == "read" else {}
        runner = _runner(folder / how, 2, 64, 4, resume=str(path), load_cfg=load_cfg)
        tamper = Tamper(path, how)
        runner.register_hook(tamper)
        runner.train()
        runner.save_checkpoint(str(folder / how), "final.pth")  # reads every state tensor
        results[how] = {
            "weights": {k: v.tolist() for k, v in runner.model.state_dict().items()},
            "optimizer_mapped": any(file_backed(t) for t in _optimizer_tensors(runner)),
        }
        if how == "keep":
            results["crc_unchanged"] = tamper.crc_after_step == crc == zlib.crc32(path.read_bytes())
    return results


CASES = {"memory": _case_memory, "hazards": _case_hazards}


def _run_case(case: str, folder: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, case, str(folder)],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        timeout=300,
    )
    died = " (SIGBUS: training state read the truncated file)" if proc.returncode == -7 else ""
    assert proc.returncode == 0, f"exit {proc.returncode}{died}: {proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- the tests -----------------------------------------------------------------------------------
def test_resume_does_not_hold_the_weights_twice(tmp_path: Path) -> None:
    """64 MB of weights + 128 MB of Adam state: 128 MB more at the copy, not 192 MB."""
    result = _run_case("memory", tmp_path)
    assert result["exact"] and not result["optimizer_mapped"], result
    assert result["growth_mb"] < result["optimizer_mb"] + 32, result


def test_resume_survives_its_file_truncated_or_deleted_and_never_writes_it(
    tmp_path: Path,
) -> None:
    result = _run_case("hazards", tmp_path)
    assert result["crc_unchanged"]  # the optimizer's in-place steps stayed in memory
    for how in ("keep", "truncate", "delete"):
        assert not result[how]["optimizer_mapped"], how
        assert result[how]["weights"] == result["read"]["weights"], how


if __name__ == "__main__":
    torch.set_num_threads(1)
    print(json.dumps(CASES[sys.argv[1]](Path(sys.argv[2]))))
