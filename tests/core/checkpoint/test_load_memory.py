"""Loading a large checkpoint into a model without holding its weights twice (``mmap``).

The memory figures are anonymous memory (RssAnon: what must fit in RAM, and what
the OOM killer counts) at the moment the model copies the weights in: the
loaded checkpoint and the model are both alive then. A mapped file's pages are
page cache, which the kernel drops under pressure instead of killing the
process. They run in a child process (``python THIS_FILE CASE FOLDER``), one
per case, so no other test's memory is counted.

The hazards of mapping: a mapped tensor reads the file for as long as it lives,
so a file rewritten in place under it (``torch.save(ckpt, same_path)``
truncates first) kills the process with SIGBUS and leaves the file empty. Only
loads whose tensors do not outlive them map by default.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import mmap
import os
import subprocess
import sys
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from runner_core.checkpoint import (
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
    verify_checkpoint,
)
from runner_core.model import BaseModel

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/self (Linux)"
)

MB = 1 << 20
WIDTH = 4096  # a Linear(WIDTH, WIDTH) holds 64 MB of float32 weights


# -- helpers of the child processes (test_load_memory_resume.py's too) -----------------------------------------------
def anon_bytes() -> int:
    """Resident anonymous memory of this process (resident minus file-backed pages)."""
    with open("/proc/self/statm") as f:
        fields = f.read().split()
    return (int(fields[1]) - int(fields[2])) * os.sysconf("SC_PAGE_SIZE")


def settle() -> None:
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)


def file_backed(tensor: torch.Tensor) -> bool:
    """Whether ``tensor``'s memory lies in a mapping of a file (/proc/self/maps).

    Never for a tensor on a GPU (where the Runner puts the model when one is there): it
    does not read the file, and its address is no host address to look up."""
    if tensor.device.type != "cpu":
        return False
    address = tensor.data_ptr()
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split(maxsplit=5)
            start, end = (int(x, 16) for x in parts[0].split("-"))
            if start <= address < end:
                return parts[4] != "0"  # the inode: 0 for anonymous memory
    return False


class Big(BaseModel):
    """``layers`` x Linear(width, width): 64 MB of weights each at the default width."""

    def __init__(self, layers: int, width: int = WIDTH) -> None:
        super().__init__()
        self.layers = nn.Sequential(*[nn.Linear(width, width) for _ in range(layers)])

    def forward(self, inputs: Any, labels: Any = None, mode: str = "tensor") -> Any:
        out = self.layers(inputs)
        return {"loss": ((out - labels) ** 2).mean()} if mode == "loss" else out


def watch_copy_in(model: nn.Module) -> dict[str, int]:
    """Record anonymous memory when ``model.load_state_dict`` starts (checkpoint loaded,
    nothing copied yet): the moment a load holds the most."""
    seen: dict[str, int] = {}
    original = model.load_state_dict

    def load_state_dict(*args: Any, **kwargs: Any) -> Any:
        seen["at_copy"] = anon_bytes()
        return original(*args, **kwargs)

    model.load_state_dict = load_state_dict  # type: ignore[method-assign]
    return seen


# -- the child's cases --------------------------------------------------------------------------
def _case_model_form(folder: Path) -> dict[str, Any]:
    """load_checkpoint(model, path, mmap=True) of 128 MB of weights."""
    from runner_core.checkpoint import load_checkpoint as load

    path = folder / "weights.pth"
    model = Big(2)
    seen = watch_copy_in(model)
    settle()
    before = anon_bytes()
    ckpt = load(model, path, mmap=True)
    exact = all(
        torch.equal(ckpt["state_dict"][k], v) for k, v in reference_weights(folder).items()
    ) and all(torch.equal(model.state_dict()[k], v) for k, v in reference_weights(folder).items())
    return {"growth_mb": (seen["at_copy"] - before) / MB, "exact": exact}


def reference_weights(folder: Path) -> dict[str, torch.Tensor]:
    """The weights of ``folder/weights.pth``, read by torch itself."""
    return torch.load(folder / "weights.pth", weights_only=True, mmap=True)["state_dict"]


def _case_load_from(folder: Path) -> dict[str, Any]:
    """A Runner's ``load_from`` (applied by load_or_resume(), as train/val/test do)."""
    from runner_core import Runner

    def runner() -> Any:
        return Runner(
            model=Big(2), work_dir=str(folder / "run"), load_from=str(folder / "weights.pth")
        )

    runner().load_or_resume()  # first one: the lazy imports of a load are not its cost
    settle()
    r = runner()
    seen = watch_copy_in(r.model)
    settle()
    before = anon_bytes()
    r.load_or_resume()
    exact = all(  # the Runner put the model on the GPU where there is one
        torch.equal(r.model.state_dict()[k].cpu(), v) for k, v in reference_weights(folder).items()
    )
    return {"growth_mb": (seen["at_copy"] - before) / MB, "exact": exact}


def _case_save_back(folder: Path) -> dict[str, Any]:
    """Load (dict form and model form, defaults), edit, torch.save back to the same path."""
    path = folder / "small.pth"
    torch.save(
        {"meta": {"n": 0}, "state_dict": {"w": torch.arange(1 << 20, dtype=torch.float32)}}, path
    )
    ckpt = load_checkpoint(path)
    ckpt["meta"]["n"] = 1
    torch.save(ckpt, path)  # in place: truncates the file the tensors came from
    model = nn.Module()
    model.register_buffer("w", torch.zeros(1 << 20))
    ckpt = load_checkpoint(model, path)
    ckpt["meta"]["n"] = 2
    torch.save(ckpt, path)
    back = torch.load(path, weights_only=True)
    return {
        "n": back["meta"]["n"],
        "exact": torch.equal(back["state_dict"]["w"], torch.arange(1 << 20, dtype=torch.float32)),
    }


CASES = {"model_form": _case_model_form, "load_from": _case_load_from, "save_back": _case_save_back}


def _child(case: str, folder: str) -> None:
    torch.set_num_threads(1)
    print(json.dumps(CASES[case](Path(folder))))


def _run_case(case: str, folder: Path) -> dict[str, Any]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, __file__, case, str(folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """128 MB of weights (two Linear(4096, 4096)), saved as runner saves."""
    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    save_checkpoint(
        {"meta": {"epoch": 1}, "state_dict": Big(2).state_dict()}, folder / "weights.pth"
    )
    return folder


# -- memory ---------------------------------------------------------------------------------------
def test_load_from_does_not_hold_the_weights_twice(weights_file: Path) -> None:
    """Runner(load_from=...) of 128 MB: ~0 MB more at the copy, not 128 MB (MMEngine's)."""
    result = _run_case("load_from", weights_file)
    assert result["exact"]
    assert result["growth_mb"] < 32, result


def test_load_checkpoint_into_a_model_with_mmap_does_not_hold_the_weights_twice(
    weights_file: Path,
) -> None:
    result = _run_case("model_form", weights_file)
    assert result["exact"]
    assert result["growth_mb"] < 32, result


# -- what mapping must not break -----------------------------------------------------------------
def test_a_checkpoint_loaded_by_default_can_be_saved_back_to_its_own_path(tmp_path: Path) -> None:
    """Load, edit, torch.save to the same path: a mapped load would die of SIGBUS here and
    leave the file empty, so neither form maps unless asked."""
    result = _run_case("save_back", tmp_path)
    assert result == {"n": 2, "exact": True}


def _adam_state() -> dict[str, Any]:
    """A real Adam state after one step (exp_avg, exp_avg_sq, step per parameter)."""
    param = nn.Parameter(torch.zeros(64, 32))
    optim = torch.optim.Adam([param], lr=0.1)
    param.grad = torch.linspace(-1, 1, 64 * 32).reshape(64, 32)
    optim.step()
    return optim.state_dict()


def _state() -> dict[str, Any]:
    gen = torch.Generator().manual_seed(3)
    base = torch.randn(64, 32, generator=gen)
    return {
        "meta": {"epoch": 2, "note": "x"},
        "state_dict": OrderedDict(
            w=base,
            w_t=base.t(),  # a view sharing w's storage
            half=torch.randn(17, generator=gen).half(),
            bf=torch.randn(5, 3, generator=gen).bfloat16(),
            idx=torch.arange(1000, dtype=torch.int64),
            mask=torch.rand(33, generator=gen) > 0.5,
            scalar=torch.tensor(7.5),
            empty=torch.empty(0, 4),
        ),
        "optimizer": _adam_state(),
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return (
            isinstance(b, torch.Tensor)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and a.stride() == b.stride()
            and torch.equal(a, b)
        )
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "c.pth"
    save_checkpoint(_state(), path)
    return path


@pytest.mark.parametrize("mmap_arg", [True, ("state_dict",), False, None])
def test_mapped_loads_are_bit_exact(saved: Path, mmap_arg: Any) -> None:
    ckpt = load_checkpoint(saved, mmap=mmap_arg)
    assert _same(_state(), ckpt)
    w, w_t = ckpt["state_dict"]["w"], ckpt["state_dict"]["w_t"]
    assert w_t.untyped_storage().data_ptr() == w.untyped_storage().data_ptr()  # still shared
    mapped = file_backed(w)
    assert mapped == (mmap_arg is True or mmap_arg == ("state_dict",))
    # a partial mapping reads every other entry into memory
    assert file_backed(ckpt["optimizer"]["state"][0]["exp_avg"]) == (mmap_arg is True)


def test_a_mapped_file_replaced_or_deleted_after_the_load_keeps_the_loaded_values(
    saved: Path,
) -> None:
    first = load_checkpoint(saved, mmap=True)
    other = _state()
    other["state_dict"]["w"].zero_()
    save_checkpoint(other, saved)  # atomic: a new file renamed over the old one
    assert _same(_state()["state_dict"], first["state_dict"])
    second = load_checkpoint(saved, mmap=True)
    saved.unlink()  # as max_keep_ckpts prunes it
    assert _same(other["state_dict"], second["state_dict"])
    model = nn.Linear(32, 64, bias=False)
    model.load_state_dict({"weight": second["state_dict"]["w"]})
    assert torch.equal(model.weight, other["state_dict"]["w"])


def test_changing_a_mapped_tensor_never_changes_the_file(saved: Path) -> None:
    """The mapping is copy-on-write: an optimizer step on loaded state stays in memory."""
    crc = zlib.crc32(saved.read_bytes())
    ckpt = load_checkpoint(saved, mmap=True)
    exp_avg = ckpt["optimizer"]["state"][0]["exp_avg"]
    assert file_backed(exp_avg)
    param = nn.Parameter(torch.zeros(64, 32))
    optim = torch.optim.Adam([param], lr=0.1)
    optim.load_state_dict(ckpt["optimizer"])  # keeps the loaded tensors (no copy)
    assert optim.state[param]["exp_avg"].data_ptr() == exp_avg.data_ptr()
    param.grad = torch.ones_like(param)
    optim.step()
    ckpt["state_dict"]["w"].add_(1)
    assert zlib.crc32(saved.read_bytes()) == crc
    assert verify_checkpoint(saved) > 0


def test_map_location_callable_dict_and_device_load_exactly_when_mapped(saved: Path) -> None:
    seen: list[str] = []

    def to_cpu(storage: Any, location: str) -> Any:
        seen.append(location)
        return storage

    for location in (to_cpu, {"cpu": "cpu"}, torch.device("cpu"), "cpu"):
        ckpt = load_checkpoint(saved, map_location=location, mmap=True)
        assert _same(_state(), ckpt), location
    assert seen
    # a partial mapping copies the rest into CPU memory: only for a load onto the CPU
    ckpt = load_checkpoint(saved, map_location=to_cpu, mmap=("state_dict",))
    assert _same(_state(), ckpt) and not file_backed(ckpt["state_dict"]["w"])


def test_a_load_onto_another_device_maps_by_default(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its tensors are copied to the device: nothing returned reads the file."""
    calls: list[dict[str, Any]] = []
    real = torch.load

    def load(*args: Any, mmap: bool | None = None, **kwargs: Any) -> Any:
        calls.append({"mmap": mmap})
        kwargs["map_location"] = "cpu"  # no accelerator here: the choice is what is tested
        return real(*args, mmap=mmap, **kwargs)

    monkeypatch.setattr(torch, "load", load)
    load_checkpoint(saved, map_location="cuda:0")
    load_checkpoint(saved, map_location="cpu")
    load_checkpoint(saved, map_location=lambda s, loc: s)
    assert [c["mmap"] for c in calls] == [True, False, False]


def test_allow_pickle_and_legacy_format_files_load_with_mmap(tmp_path: Path) -> None:
    path = tmp_path / "pickled.pth"
    torch.save(
        {"state_dict": {"w": torch.arange(6.0)}, "meta": {"args": argparse.Namespace(lr=0.1)}}, path
    )
    with pytest.raises(CheckpointError, match="Refusing"):
        load_checkpoint(path, mmap=True)
    ckpt = load_checkpoint(path, allow_pickle=True, mmap=True)
    assert torch.equal(ckpt["state_dict"]["w"], torch.arange(6.0)) and file_backed(
        ckpt["state_dict"]["w"]
    )
    assert ckpt["meta"]["args"].lr == 0.1
    legacy = tmp_path / "legacy.pth"
    torch.save(
        {"state_dict": {"w": torch.arange(4.0)}}, legacy, _use_new_zipfile_serialization=False
    )
    for allow in (False, True):  # torch cannot map this format: read as before
        ckpt = load_checkpoint(legacy, allow_pickle=allow, mmap=True)
        assert torch.equal(ckpt["state_dict"]["w"], torch.arange(4.0))
        assert not file_backed(ckpt["state_dict"]["w"])


def test_a_remote_checkpoint_loads_from_its_bytes_with_mmap(tmp_path: Path) -> None:
    from runner_core.fileio import BaseStorageBackend, FileClient, register_backend, registry

    root = tmp_path / "store"

    class Store(BaseStorageBackend):
        def get(self, filepath: str) -> bytes:
            return (root / str(filepath).split("://", 1)[1]).read_bytes()

        def get_text(self, filepath: str, encoding: str = "utf-8") -> str:
            return self.get(filepath).decode(encoding)

    tables: list[dict[Any, Any]] = [
        registry.backends,
        registry.prefix_to_backends,
        FileClient._backends,
        FileClient._prefix_to_backends,
        FileClient._instances,
    ]
    saved_tables = [dict(table) for table in tables]
    try:
        register_backend("memtest", Store, prefixes="memtest")
        (root / "b").mkdir(parents=True)
        save_checkpoint(_state(), root / "b" / "c.pth")
        ckpt = load_checkpoint("memtest://b/c.pth", mmap=True)
        assert _same(_state(), ckpt)
    finally:
        for table, content in zip(tables, saved_tables):
            table.clear()
            table.update(content)
        registry._instances.clear()


def test_without_mmap_in_torch_load_a_mapped_load_reads_the_file(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """torch < 2.1 has no ``mmap``: the same load, unmapped, instead of a TypeError."""
    real = torch.load

    def old_load(
        f: Any,
        map_location: Any = None,
        pickle_module: Any = None,
        *,
        weights_only: bool = False,
        **pickle_load_args: Any,
    ) -> Any:
        assert "mmap" not in pickle_load_args  # torch 2.0 would hand it to the unpickler
        if pickle_module is not None:
            pickle_load_args["pickle_module"] = pickle_module
        return real(f, map_location=map_location, weights_only=weights_only, **pickle_load_args)

    monkeypatch.setattr(torch, "load", old_load)
    for choice in (True, ("state_dict",), None):
        ckpt = load_checkpoint(saved, mmap=choice)
        assert _same(_state(), ckpt) and not file_backed(ckpt["state_dict"]["w"])


def test_a_shared_mmap_default_is_never_used(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With torch's default set to MAP_SHARED a change of a loaded tensor would write the file:
    such a load reads it instead."""
    monkeypatch.setattr(torch.serialization, "get_default_mmap_options", lambda: mmap.MAP_SHARED)
    crc = zlib.crc32(saved.read_bytes())
    ckpt = load_checkpoint(saved, mmap=True)
    assert not file_backed(ckpt["state_dict"]["w"])
    ckpt["state_dict"]["w"].add_(1)
    assert zlib.crc32(saved.read_bytes()) == crc


def test_a_mapping_that_fails_falls_back_to_reading(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filesystem without mmap (some FUSE mounts) makes torch raise: read it instead."""
    real = torch.load

    def load(*args: Any, mmap: bool = False, **kwargs: Any) -> Any:
        if mmap:
            raise RuntimeError("unable to mmap 1234 bytes from file <c.pth>: No such device (19)")
        return real(*args, **kwargs)

    monkeypatch.setattr(torch, "load", load)
    assert _same(_state(), load_checkpoint(saved, mmap=True))
    saved.write_bytes(saved.read_bytes()[:-10])  # a damaged file still names its fault
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(saved, mmap=True)


def _counting_torch_load(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Count torch.load's calls (the ``mmap`` of each) without changing what it does."""
    calls: list[bool] = []
    real = torch.load

    def load(*args: Any, mmap: bool = False, **kwargs: Any) -> Any:
        calls.append(mmap)
        return real(*args, mmap=mmap, **kwargs)

    monkeypatch.setattr(torch, "load", load)
    return calls


def test_a_damaged_file_that_fails_a_mapped_load_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record missing from the zip (whole, every CRC right): torch.load's failure is about
    the file, not the mapping, so it is reported at once instead of read a second time."""
    import zipfile

    folder = tmp_path / "mmap"  # the path names mmap: the message about the file still does not
    folder.mkdir()
    good, bad = folder / "good.pth", folder / "bad.pth"
    save_checkpoint(_state(), good)
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename.replace("data/0", "data/999"), src.read(info))
    calls = _counting_torch_load(monkeypatch)
    with pytest.raises(
        CheckpointError, match=r"bad\.pth.*RuntimeError.*failed locating file data/0"
    ):
        load_checkpoint(bad, mmap=True)
    assert calls == [True]


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("PytorchStreamReader failed reading zip archive: failed finding central"),
        OSError(5, "Input/output error"),
    ],
)
def test_a_failure_other_than_mapping_is_reported_not_read_again(
    saved: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    calls: list[bool] = []

    def load(*args: Any, mmap: bool = False, **kwargs: Any) -> Any:
        calls.append(mmap)
        raise error

    monkeypatch.setattr(torch, "load", load)
    with pytest.raises(CheckpointError, match=f"{type(error).__name__}: .*{error.args[-1]}"):
        load_checkpoint(saved, mmap=True)
    assert calls == [True]


def test_mapped_for_load_maps_only_the_file_it_names(tmp_path: Path) -> None:
    from runner_core.checkpoint.safe_load import mapped_for_load

    a, b = tmp_path / "a.pth", tmp_path / "b.pth"
    save_checkpoint(_state(), a)
    save_checkpoint(_state(), b)
    with mapped_for_load(str(tmp_path / "." / "a.pth")):
        assert file_backed(load_checkpoint(a)["state_dict"]["w"])
        assert not file_backed(load_checkpoint(b)["state_dict"]["w"])
        assert not file_backed(load_checkpoint(a, mmap=False)["state_dict"]["w"])
    assert not file_backed(load_checkpoint(a)["state_dict"]["w"])


def _weights_seen_mapped(model: nn.Module) -> dict[str, bool]:
    """Record whether the weights handed to ``model.load_state_dict`` are file-backed."""
    seen: dict[str, bool] = {}
    original = model.load_state_dict

    def load_state_dict(state: Any, *args: Any, **kwargs: Any) -> Any:
        seen["mapped"] = any(file_backed(t) for t in state.values())
        return original(state, *args, **kwargs)

    model.load_state_dict = load_state_dict  # type: ignore[method-assign, assignment]
    return seen


@pytest.mark.parametrize("load_cfg", [{}, {"mmap": False}])
def test_load_from_maps_its_file_unless_load_cfg_says_not_to(
    tmp_path: Path, load_cfg: dict[str, Any]
) -> None:
    from runner_core import Runner

    torch.manual_seed(1)
    source = Big(1, 16)
    path = tmp_path / "w.pth"
    save_checkpoint({"state_dict": source.state_dict()}, path)
    runner = Runner(
        model=Big(1, 16), work_dir=str(tmp_path / "run"), load_from=str(path), load_cfg=load_cfg
    )
    seen = _weights_seen_mapped(runner.model)
    runner.load_or_resume()
    assert seen["mapped"] is (load_cfg == {})
    assert torch.equal(
        runner.model.state_dict()["layers.0.weight"].cpu(), source.state_dict()["layers.0.weight"]
    )
    # runner.load_checkpoint hands the checkpoint back: read, as torch.load reads it
    assert not file_backed(runner.load_checkpoint(str(path))["state_dict"]["layers.0.weight"])


# -- code of the user's own that sees the checkpoint: "load, edit, save back" ----------------------
def pairs_loader(count: int, width: int) -> dict[str, Any]:
    """A train_dataloader config of ``count`` fixed (inputs, labels) pairs for Big, batch 2."""
    from torch.utils.data import TensorDataset

    gen = torch.Generator().manual_seed(5)
    pairs = TensorDataset(
        torch.randn(count, width, generator=gen), torch.randn(count, width, generator=gen)
    )
    return dict(
        dataset=pairs,
        batch_size=2,
        collate_fn=lambda rows: {
            "inputs": torch.stack([r[0] for r in rows]),
            "labels": torch.stack([r[1] for r in rows]),
        },
    )


def _train_runner(folder: Path, runner_class: Any = None, **kwargs: Any) -> Any:
    """A Runner over Big(1, 16) that trains 2 iterations and saves no checkpoint."""
    from runner_core import Runner

    options: dict[str, Any] = {
        "default_hooks": dict(checkpoint=None, logger=dict(interval=100, progress_bar=False)),
        **kwargs,
    }
    return (runner_class or Runner)(
        model=Big(1, 16),
        work_dir=str(folder),
        train_dataloader=pairs_loader(4, 16),
        train_cfg=dict(by_epoch=False, max_iters=2),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01)),
        **options,
    )


def _save_back(checkpoint: dict, path: Path) -> bool:
    """Edit the checkpoint and ``torch.save`` it over its own file; False (nothing saved)
    while its tensors are mapped: the save would truncate the file under them and the
    process would die of SIGBUS (with pytest in it), leaving the file empty."""
    if any(file_backed(t) for t in checkpoint["state_dict"].values()):
        return False
    checkpoint.setdefault("meta", {})["edited"] = True
    torch.save(checkpoint, path)
    return True


@pytest.mark.parametrize("how", ["load_from", "resume"])
def test_a_hook_that_saves_the_loaded_checkpoint_back_to_its_file_gets_it_read(
    tmp_path: Path, how: str
) -> None:
    """A hook's ``after_load_checkpoint`` that rewrites the file in place: the file is read for
    it (not mapped), the run finishes and the file stays a valid, edited checkpoint."""
    from runner_core.hooks import Hook

    class SaveBack(Hook):
        def __init__(self, path: Path) -> None:
            self.path = path
            self.saved: bool | None = None

        def after_load_checkpoint(self, runner: Any, checkpoint: dict) -> None:
            self.saved = _save_back(checkpoint, self.path)

    first = _train_runner(tmp_path / "first")
    first.train()
    first.save_checkpoint(str(tmp_path), "iter_2.pth")
    path = tmp_path / "iter_2.pth"
    weights = torch.load(path, weights_only=True)["state_dict"]
    hook = SaveBack(path)
    load = {"load_from": str(path)} if how == "load_from" else {"resume": str(path)}
    runner = _train_runner(tmp_path / "second", custom_hooks=[hook], **load)
    runner.train()
    assert hook.saved is True
    back = load_checkpoint(path)  # verified: a whole, loadable file
    assert back["meta"]["edited"] is True
    assert all(torch.equal(back["state_dict"][k], v) for k, v in weights.items())


def test_a_runner_subclass_that_saves_the_loaded_checkpoint_back_gets_it_read(
    tmp_path: Path,
) -> None:
    from runner_core import Runner

    class EditingRunner(Runner):
        saved: bool | None = None

        def load_checkpoint(self, filename: Any, *args: Any, **kwargs: Any) -> dict:
            checkpoint = super().load_checkpoint(filename, *args, **kwargs)
            self.saved = _save_back(checkpoint, Path(filename))
            return checkpoint

    torch.manual_seed(1)
    path = tmp_path / "w.pth"
    save_checkpoint({"state_dict": Big(1, 16).state_dict()}, path)
    runner = _train_runner(tmp_path / "run", EditingRunner, load_from=str(path))
    runner.train()
    assert runner.saved is True
    assert load_checkpoint(path)["meta"]["edited"] is True


def test_runners_own_hooks_that_see_the_checkpoint_keep_the_mapping(tmp_path: Path) -> None:
    """EMAHook and CheckpointHook implement after_load_checkpoint and neither keeps nor
    rewrites the file: load_from still maps it with them (and with a subclass of theirs
    that leaves the point alone)."""
    from runner_hooks_standard import EMAHook

    class MyEMA(EMAHook):
        pass

    torch.manual_seed(1)
    path = tmp_path / "w.pth"
    save_checkpoint({"state_dict": Big(1, 16).state_dict()}, path)
    runner = _train_runner(
        tmp_path / "run",
        load_from=str(path),
        custom_hooks=[MyEMA()],
        default_hooks=dict(
            checkpoint=dict(type="CheckpointHook", interval=100),
            logger=dict(interval=100, progress_bar=False),
        ),
    )
    seen = _weights_seen_mapped(runner.model)
    runner.load_or_resume()
    assert seen["mapped"] is True


@pytest.mark.parametrize("marked", [True, False])
def test_a_plugin_hook_marked_copies_checkpoint_keeps_the_mapping(
    tmp_path: Path, marked: bool
) -> None:
    """A third-party hook says it copies what it reads with @copies_checkpoint, as runner's
    own hooks do; an unmarked one (or an override in a subclass of a marked one) gets a
    read file."""
    from runner_core.hooks import Hook, copies_checkpoint

    class Reader(Hook):
        def after_load_checkpoint(self, runner, checkpoint) -> None:
            self.keys = list(checkpoint["state_dict"])

    if marked:
        Reader.after_load_checkpoint = copies_checkpoint(Reader.after_load_checkpoint)

    class Override(Reader):
        def after_load_checkpoint(self, runner, checkpoint) -> None:
            self.keys = []

    torch.manual_seed(1)
    path = tmp_path / "w.pth"
    save_checkpoint({"state_dict": Big(1, 16).state_dict()}, path)
    for hook, mapped in ((Reader(), marked), (Override(), False)):
        runner = _train_runner(tmp_path / f"run-{mapped}", load_from=str(path), custom_hooks=[hook])
        seen = _weights_seen_mapped(runner.model)
        runner.load_or_resume()
        assert seen["mapped"] is mapped


def test_a_wrong_mmap_value_is_refused(saved: Path) -> None:
    with pytest.raises(TypeError, match=r"mmap is True, False, None .* \('state_dict',\)"):
        load_checkpoint(saved, mmap="state_dict")


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
