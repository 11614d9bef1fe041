"""Seeding, and capturing / restoring every random stream a run uses.

States are stored as plain tensors and lists so checkpoints load with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import contextlib
import numbers
import os
import random
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import torch


def check_seed(seed: Any) -> int:
    """``randomness.seed`` as an int, or a ConfigError naming the key (build and config check)."""
    from ..errors import ConfigError, ConfigTypeError
    from ..value_checks import check_number

    try:
        checked: int = check_number(
            seed, "randomness.seed", minimum=0, integer=True, example="seed=42"
        )
    except ConfigError as exc:
        if isinstance(exc, TypeError) or isinstance(seed, numbers.Integral):
            raise  # a negative int: a ValueError, as numpy's seeding raises
        # a fractional or NaN seed: a TypeError too, as numpy's cast to an integer raises
        raise ConfigTypeError(str(exc)) from None
    if checked >= _SEED_LIMIT:  # torch's generators take 64-bit seeds; samplers add the epoch
        raise ConfigError(
            f"randomness.seed={checked!r} is not valid: it must be below 2**63 "
            f"({_SEED_LIMIT}), e.g. seed=42."
        )
    return checked


#: seeds are refused from here on (MMEngine's numpy seeding refuses those from 2**32)
_SEED_LIMIT = 2**63


def set_random_seed(
    seed: int | None = None, deterministic: bool = False, diff_rank_seed: bool = False
) -> int:
    """Seed python, numpy and torch (all devices); return the seed used.

    ``seed=None`` draws one on rank 0 and shares it with every rank.
    """
    from ..distributed.utils import broadcast_object, get_rank
    from ..errors import ConfigError

    if seed is not None:
        try:
            seed = check_seed(seed)
        except ConfigError as exc:  # no config here: the call is at fault (type kept)
            raise type(exc)(
                f"set_random_seed(seed={seed!r}): the seed must be a whole number from 0 to "
                f"2**63 - 1, e.g. set_random_seed(42), or None to draw one."
            ) from None
    if seed is None:
        seed = broadcast_object(int.from_bytes(os.urandom(4), "little") >> 1, src=0)
    assert seed is not None
    if diff_rank_seed:
        seed = seed + get_rank()
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if deterministic:
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
    return int(seed)


def capture_rng_state() -> dict[str, Any]:
    """The state of every random stream of this process, as plain data."""
    version, mt, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "python": {
            "version": version,
            "state": torch.tensor(mt, dtype=torch.int64),
            "gauss": gauss,
        },
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def rng_state_fault(state: Any) -> tuple[str, Any, str] | None:
    """What is wrong with a stored :func:`capture_rng_state` result, or None.

    ``(key, value, expected)``, e.g. ``('python', None, 'a dict ...')``; ``key``
    is dotted, empty for ``state`` itself. Checked before a resume uses it, so a
    malformed checkpoint is named instead of failing as a bare ``KeyError``.
    """
    if not isinstance(state, Mapping):
        return "", state, "a dict of random-stream states"
    parts: list[tuple[str, Any, str]] = [
        ("python", dict, "a dict with 'version', 'state' and 'gauss'"),
        ("numpy", dict, "a dict with 'kind', 'keys', 'pos', 'has_gauss', 'cached_gaussian'"),
        ("torch", torch.Tensor, "a uint8 tensor (torch.get_rng_state())"),
    ]
    for key, kind, expected in parts:
        value = state.get(key)
        if not isinstance(value, Mapping if kind is dict else kind):
            return key, value, expected
    if state["torch"].dtype != torch.uint8:
        return "torch", state["torch"], "a uint8 tensor (torch.get_rng_state())"
    fields: list[tuple[str, str, Any, int | None]] = [
        ("python", "version", int, None),
        ("python", "state", torch.Tensor, 625),
        ("python", "gauss", (float, type(None)), None),
        ("numpy", "kind", str, None),
        ("numpy", "keys", torch.Tensor, 624),
        ("numpy", "pos", int, None),
        ("numpy", "has_gauss", int, None),
        ("numpy", "cached_gaussian", (float, int), None),
    ]
    for part, key, kind, size in fields:
        value = state[part].get(key)
        ok = isinstance(value, kind) and not isinstance(value, bool)
        if ok and size is not None and value.numel() != size:
            ok = False
        if not ok:
            names = kind if isinstance(kind, tuple) else (kind,)
            expected = " or ".join("None" if k is type(None) else k.__name__ for k in names)
            if size is not None:
                expected += f" of {size} numbers"
            article = "an" if expected[0] in "aeiou" else "a"
            return f"{part}.{key}", value, f"{article} {expected}"
    cuda = state.get("cuda")
    if cuda is not None and not (
        isinstance(cuda, list | tuple) and all(isinstance(t, torch.Tensor) for t in cuda)
    ):
        return "cuda", cuda, "a list of uint8 tensors (torch.cuda.get_rng_state_all())"
    return None


def restore_rng_state(state: dict[str, Any]) -> None:
    """Put back what :func:`capture_rng_state` returned."""
    py = state["python"]
    random.setstate((py["version"], tuple(int(x) for x in py["state"].tolist()), py["gauss"]))
    npst = state["numpy"]
    np.random.set_state(
        (
            npst["kind"],
            npst["keys"].numpy().astype(np.uint32),
            npst["pos"],
            npst["has_gauss"],
            npst["cached_gaussian"],
        )
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@contextlib.contextmanager
def isolated_rng() -> Iterator[None]:
    """Run a block (validation, say) without moving training's random streams."""
    saved = capture_rng_state()
    try:
        yield
    finally:
        restore_rng_state(saved)
