"""Loading a state dict into a model, with a report of what did not fit.

:func:`load_model_state` is what ``load_from`` and resume use. Compared with
``model.load_state_dict``:

* key rewrites (``revise_keys``, regex -> replacement, applied in order) are
  applied first; the default strips the ``module.`` prefix that
  DistributedDataParallel adds (skipped when every key already names one of
  the model's own, as for a model whose child is called ``module``);
* a DDP/DataParallel-wrapped model is unwrapped, so wrapped and unwrapped
  checkpoints load into wrapped and unwrapped models alike;
* shape-mismatched keys are skipped and reported instead of crashing (unless
  ``strict=True``, which raises on any missing, unexpected or mismatched key);
* a checkpoint that shares no key at all with the model raises
  :class:`CheckpointError`: it is almost surely the wrong file, and loading it
  "non-strictly" would silently change nothing;
* the returned :class:`LoadReport` says what was loaded, missing, unexpected
  and mismatched, and prints readably.

A full checkpoint dict (``{'meta': ..., 'state_dict': {...}}``) is accepted
too: its ``'state_dict'`` entry is used.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import torch
from torch import nn

from runner_core.checkpoint.errors import CheckpointError
from runner_core.logging.print_log import print_log

__all__ = ["LoadReport", "load_model_state", "unwrap_model"]

_SHOW = 10  # keys listed per category before "... and N more"
#: the default rewrite: DistributedDataParallel's ``module.`` prefix dropped
DDP_PREFIX_RULE = (r"^module\.", "")


@dataclass
class LoadReport:
    """What :func:`load_model_state` did. ``ok`` is True when every key matched."""

    source: str | None = None
    loaded_keys: list[str] = field(default_factory=list)
    missing_keys: list[str] = field(default_factory=list)
    unexpected_keys: list[str] = field(default_factory=list)
    #: (key, shape in the checkpoint, shape in the model)
    mismatched_keys: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(
        default_factory=list
    )

    @property
    def ok(self) -> bool:
        return not (self.missing_keys or self.unexpected_keys or self.mismatched_keys)

    def __str__(self) -> str:
        total = len(self.loaded_keys) + len(self.missing_keys) + len(self.mismatched_keys)
        where = f" from {self.source}" if self.source else ""
        lines = [f"loaded {len(self.loaded_keys)}/{total} model keys{where}"]
        if self.mismatched_keys:
            lines.append(f"shape mismatch, skipped ({len(self.mismatched_keys)}):")
            lines += [
                f"  {k}: checkpoint {list(a)} vs model {list(b)}"
                for k, a, b in self.mismatched_keys[:_SHOW]
            ]
            lines += _more(self.mismatched_keys)
        for title, keys in (
            ("missing in checkpoint (kept as initialised)", self.missing_keys),
            ("unexpected in checkpoint (ignored)", self.unexpected_keys),
        ):
            if keys:
                lines.append(f"{title} ({len(keys)}):")
                lines += [f"  {k}" for k in keys[:_SHOW]]
                lines += _more(keys)
        return "\n".join(lines)


def _more(items: Sequence[Any]) -> list[str]:
    return [f"  ... and {len(items) - _SHOW} more"] if len(items) > _SHOW else []


def unwrap_model(model: nn.Module) -> nn.Module:
    """Return the module inside data-parallel wrappers: DataParallel, DDP and any class
    registered in ``MODEL_WRAPPERS`` (MMEngine's ``is_model_wrapper``)."""
    from ..distributed.model_wrappers import is_model_wrapper

    while is_model_wrapper(model):
        model = cast(nn.Module, model.module)
    return model


def _to_wrapped_children(revised: OrderedDict[str, Any], target: nn.Module) -> None:
    """Rename, in place, keys saved without a wrapped child's ``.module`` (what
    ``get_state_dict`` writes for ``model.gen = DDP(...)``) to the child's real keys."""
    from .model_io import _unwrapped_name, _wrapper_paths

    wrappers = _wrapper_paths(target)
    if not wrappers:
        return
    real = {(_unwrapped_name(k, wrappers) or k): k for k in target.state_dict()}
    metadata = getattr(revised, "_metadata", None)
    items = [(real.get(key, key), value) for key, value in revised.items()]
    revised.clear()
    revised.update(items)
    if metadata is not None:
        paths = {_unwrapped_name(p, wrappers): p for p, _ in target.named_modules()}
        revised._metadata = OrderedDict(  # type: ignore[attr-defined]
            (paths.get(k) or k, v) for k, v in metadata.items()
        )


def _into_adapted_module(
    revised: OrderedDict[str, Any], target: nn.Module, own: Mapping[str, Any]
) -> OrderedDict[str, Any]:
    """Plain PyTorch weights of a module the Runner adapted (``torch.save(net.state_dict())``
    given as ``load_from`` for ``Runner(model=net)``): its own keys, under the adapter's
    ``module.``. Only when no key fits as it is: nothing would load otherwise."""
    from ..model.base_model import ModuleAdapter

    if not isinstance(target, ModuleAdapter) or not own or any(k in own for k in revised):
        return revised
    prefixed: OrderedDict[str, Any] = OrderedDict((f"module.{k}", v) for k, v in revised.items())
    if not any(_same_shape(v, own.get(k)) for k, v in prefixed.items()):
        return revised  # another model's weights: refused as having no key in common
    metadata = getattr(revised, "_metadata", None)
    if metadata is not None:  # the module's version records, at its path in the adapter
        prefixed._metadata = OrderedDict(  # type: ignore[attr-defined]
            ("module" if k == "" else f"module.{k}", v) for k, v in metadata.items()
        )
    return prefixed


def _same_shape(value: Any, mine: Any) -> bool:
    return (
        isinstance(value, torch.Tensor)
        and isinstance(mine, torch.Tensor)
        and value.shape == mine.shape
    )


def _revise(key: str, rules: Sequence[tuple[str, str]]) -> str:
    for pattern, repl in rules:
        key = re.sub(pattern, repl, key)
    return key


def _revise_state(
    state: Mapping[str, Any], rules: Sequence[tuple[str, str]], source: str | None
) -> OrderedDict[str, Any]:
    revised: OrderedDict[str, Any] = OrderedDict()
    for key, value in state.items():
        new = _revise(str(key), rules)
        if new in revised:
            raise CheckpointError(
                f"revise_keys={list(rules)!r} maps two keys of checkpoint {source or '<dict>'} to "
                f"{new!r} (one of them is {key!r}). Make the rewrite rules more specific."
            )
        revised[new] = value
    metadata = getattr(state, "_metadata", None)
    if metadata is not None:  # per-module versions (e.g. BatchNorm): keep them aligned
        revised._metadata = OrderedDict(  # type: ignore[attr-defined]
            ((_revise(k + ".", rules)[:-1] if k else k), v) for k, v in metadata.items()
        )
    return revised


def _prefix_rule(ckpt_keys: list[str], model_keys: list[str]) -> tuple[str, str] | None:
    """A key rewrite, as (pattern, replacement) source text, when a prefix explains the difference."""
    model_set = set(model_keys)
    for key in ckpt_keys[:50]:
        head, _, rest = key.partition(".")
        if rest and rest in model_set:
            return f"r'^{re.escape(head)}\\.'", "''"
    ckpt_set = set(ckpt_keys)
    for key in model_keys[:50]:
        head, _, rest = key.partition(".")
        if rest and rest in ckpt_set:
            return "r'^'", f"'{head}.'"
    return None


def _rename_hint(
    report: LoadReport,
    own: Mapping[str, Any],
    revised: Mapping[str, Any],
    rules: list[tuple[str, str]],
    revise_hint: str | None,
) -> str:
    """When renaming the unexpected keys' first part (``backbone.*`` saved, ``features.*``
    wanted) would make the load fit: the revise_keys rules that do it (after the ones
    already applied, which a new revise_keys replaces). Checked, not guessed: every
    renamed key must be a missing one of the same shape, and no missing key left over."""
    if revise_hint is None or not report.missing_keys or not report.unexpected_keys:
        return ""
    missing = set(report.missing_keys)
    heads: dict[str, set[str]] = {}  # the rest of a missing key -> its possible first parts
    for key in missing:
        head, _, rest = key.partition(".")
        if rest:
            heads.setdefault(rest, set()).add(head)
    pairs: dict[str, str] = {}  # the saved first part -> the model's
    for key in report.unexpected_keys:
        head, _, rest = key.partition(".")
        targets = heads.get(rest, set()) - {head}
        if not targets and key.endswith("num_batches_tracked"):
            continue  # not reported missing (a BatchNorm counter): renamed with its layer
        if len(targets) != 1:
            return ""
        (target,) = targets
        if pairs.setdefault(head, target) != target:
            return ""
    renamed: set[str] = set()
    for key in report.unexpected_keys:
        head, _, rest = key.partition(".")
        new_key = f"{pairs[head]}.{rest}" if head in pairs else key
        if new_key in own and key in revised:
            if getattr(own[new_key], "shape", None) != getattr(revised[key], "shape", None):
                return ""  # renamed, it still would not fit
        renamed.add(new_key)
    if not pairs or not missing <= renamed:
        return ""
    added = [(f"r'^{re.escape(old)}\\.'", f"'{new}.'") for old, new in sorted(pairs.items())]
    shown = [(f"r'{pattern}'", repr(repl)) for pattern, repl in rules] + added
    listed = ", ".join(f"({pattern}, {repl})" for pattern, repl in shown)
    return (
        " Renaming the first part of the unexpected keys makes them the missing ones: "
        f"{revise_hint.format(rule=f'[{listed}]')}."
    )


def _nested_hint(state: Mapping[str, Any], own: Mapping[str, Any]) -> str:
    """When the weights sit one level down (timm's and detectron2's ``{'model': weights}``)."""
    for key, value in state.items():
        if isinstance(value, Mapping) and any(name in own for name in list(value)[:50]):
            return (
                f" Its {key!r} entry holds this model's weights: load that entry, e.g. "
                f"load_state_dict(model, load_checkpoint(path)[{key!r}]); for load_from in "
                "a config, re-save it once: torch.save({'state_dict': "
                f"load_checkpoint(path)[{key!r}]}}, 'weights.pth')."
            )
    return ""


def _prefix_hint(ckpt_keys: list[str], model_keys: list[str], revise_hint: str | None) -> str:
    found = _prefix_rule(ckpt_keys, model_keys)
    if found is None:
        return ""
    pattern, repl = found
    rules = f"[({pattern}, {repl})]"
    if revise_hint is not None:
        return f" Try {revise_hint.format(rule=rules)}."
    return (  # the caller takes no revise_keys: rename, or load the file with them
        f" Rename the keys first, e.g. {{re.sub({pattern}, {repl}, k): v for k, v in "
        f"state_dict.items()}}, or load the file with load_checkpoint(model, filename, "
        f"revise_keys={rules})."
    )


def _versions_differ(metadata: Any, target: nn.Module) -> bool:
    """Whether a module's ``_version`` differs from the one the checkpoint recorded for it."""
    if not metadata:
        return False
    for path, module in target.named_modules():
        saved = metadata.get(path, {}).get("version")
        if saved is not None and saved != getattr(module, "_version", 1):
            return True
    return False


def _report_from_torch(report: LoadReport, own: Mapping[str, Any], result: Any) -> None:
    """The keys torch says were left out or not taken, with modules' own renames applied."""
    mismatched = {key for key, *_ in report.mismatched_keys}
    missing = set(result.missing_keys)
    report.missing_keys = [
        k
        for k in own
        if k in missing and k not in mismatched and not k.endswith("num_batches_tracked")
    ]
    report.unexpected_keys = list(result.unexpected_keys)
    report.loaded_keys = [k for k in own if k not in missing and k not in mismatched]


def _refuse_unfit(
    report: LoadReport,
    own: Mapping[str, Any],
    revised: Mapping[str, Any],
    rules: list[tuple[str, str]],
    target: nn.Module,
    shown: str,
    strict: bool,
    strict_hint: str,
    revise_hint: str | None,
    after_load: bool = False,
) -> None:
    """Raise when the checkpoint shares no key with the model, or a strict load would not fit.

    Before the load (the usual case) nothing has been loaded when this raises;
    ``after_load``, the modules' migrations have run and loaded what fitted.
    """
    if own and revised and not report.loaded_keys and not report.mismatched_keys:
        model_keys, ckpt_keys = list(own), list(revised)
        applied = f" (revise_keys={rules!r} was applied)" if rules else ""
        raise CheckpointError(
            f"Checkpoint {shown} does not fit this model ({type(target).__name__}): no key in "
            f"common, so even a non-strict load would change nothing. Checkpoint keys: "
            f"{ckpt_keys[:4]}; model keys: {model_keys[:4]}. It is probably a checkpoint of "
            f"another model, or its keys carry a different prefix{applied}."
            + _prefix_hint(ckpt_keys, model_keys, revise_hint)
            + _nested_hint(revised, own)
        )
    # BatchNorm's step counters fit every width: they do not make the load a partial one
    fitted = [k for k in report.loaded_keys if not k.endswith("num_batches_tracked")]
    if own and report.mismatched_keys and not fitted:
        prefix = _prefix_hint(list(revised), list(own), revise_hint)
        shapes = "; ".join(
            f"{key}: {tuple(have)} in the checkpoint, {tuple(want)} in the model"
            for key, have, want in report.mismatched_keys[:3]
        )
        raise CheckpointError(
            f"Checkpoint {shown} does not fit this model ({type(target).__name__}): each of "
            f"the {len(report.mismatched_keys)} keys in common has another shape ({shapes}"
            f"{'; ...' if len(report.mismatched_keys) > 3 else ''}), so even a non-strict "
            "load would change nothing and the model would keep its initial weights. It is "
            "probably a checkpoint of another size of this model (a config with other "
            "widths or classes)"
            + (f", or its other keys carry a different prefix.{prefix}" if prefix else ".")
        )
    if strict and not report.ok:
        done = (
            "the modules' version migrations ran and what fitted was loaded"
            if after_load
            else "nothing was loaded"
        )
        raise CheckpointError(
            f"strict loading of checkpoint {shown} into {type(target).__name__} failed; {done}."
            f"{_rename_hint(report, own, revised, rules, revise_hint)} {strict_hint}\n"
            + "\n".join(str(report).splitlines()[1:])
        )


def load_model_state(
    model: nn.Module,
    state_dict: Mapping[str, Any],
    *,
    strict: bool = False,
    revise_keys: Sequence[tuple[str, str]] = (DDP_PREFIX_RULE,),
    logger: logging.Logger | str | None = None,
    source: str | Path | None = None,
    strict_hint: str = "Pass strict=False to load the matching keys only.",
    revise_hint: str | None = "revise_keys={rule}",
) -> LoadReport:
    """Load ``state_dict`` into ``model`` (unwrapping DDP) and report what matched.

    ``source`` (the checkpoint's path) only makes messages clearer. With
    ``strict=False`` mismatched shapes are skipped and missing/unexpected
    keys reported; with ``strict=True`` any of them raises
    :class:`CheckpointError` and nothing is loaded. When ``logger`` is given
    (a ``logging.Logger``, ``'current'``, ``'silent'`` or a logger name, as
    for :func:`~runner_core.logging.print_log`), the report is logged
    (warning level when something did not match). ``strict_hint`` and
    ``revise_hint`` (``{rule}`` is the suggested rules) word the fixes in
    error messages the way the caller takes its options.
    """
    name = str(source) if source is not None else None
    shown = name or "<state dict>"
    if not isinstance(state_dict, Mapping):
        raise CheckpointError(
            f"Checkpoint {shown} gave a {type(state_dict).__name__} where a state dict (a mapping "
            "of parameter names to tensors) was expected."
        )
    inner = state_dict.get("state_dict")
    if isinstance(inner, Mapping):
        state_dict = inner
    target = unwrap_model(model)
    own = target.state_dict()
    rules = [(pattern, repl) for pattern, repl in revise_keys]  # compiled patterns too
    if DDP_PREFIX_RULE in rules and own and all(str(k) in own for k in state_dict):
        # keys that already name the model's own entries keep them: a model whose child is
        # called ``module`` (ModuleAdapter) would otherwise lose it to the default rule
        rules.remove(DDP_PREFIX_RULE)
    revised = _revise_state(state_dict, rules, name)
    _to_wrapped_children(revised, target)
    revised = _into_adapted_module(revised, target, own)

    report = LoadReport(source=name)
    loadable: OrderedDict[str, Any] = OrderedDict()
    for key, value in revised.items():
        if key not in own:
            # passed on all the same: a module's _load_from_state_dict may rename it (torch's
            # idiom for checkpoints of an older module version); torch ignores the rest
            loadable[key] = value
            report.unexpected_keys.append(key)
            continue
        # not every entry is a tensor: a quantized module stores a dtype and packed params
        mine = own[key]
        want = tuple(mine.shape) if isinstance(mine, torch.Tensor) else None
        have = tuple(value.shape) if isinstance(value, torch.Tensor) else None
        if have is not None and want is not None and have != want:
            report.mismatched_keys.append((key, have, want))
            continue
        loadable[key] = value
    # MMEngine leaves BatchNorm's counters out: old (torchvision) checkpoints lack them
    report.missing_keys = [
        k for k in own if k not in revised and not k.endswith("num_batches_tracked")
    ]
    report.loaded_keys = [k for k in loadable if k in own]
    metadata = getattr(revised, "_metadata", None)
    # modules of another version than the checkpoint's migrate its keys while loading, so
    # what fits is known only after the load: the checks below then run after it
    migrating = _versions_differ(metadata, target)
    if not migrating:
        _refuse_unfit(report, own, revised, rules, target, shown, strict, strict_hint, revise_hint)
    if metadata is not None:
        loadable._metadata = metadata  # type: ignore[attr-defined]
    try:
        result = target.load_state_dict(loadable, strict=False)
    except RuntimeError as exc:  # a key a module renamed has another shape than its target
        raise CheckpointError(
            f"Loading checkpoint {shown} into {type(target).__name__} failed: {exc}"
        ) from exc
    _report_from_torch(report, own, result)
    if migrating:
        _refuse_unfit(
            report, own, revised, rules, target, shown, strict, strict_hint, revise_hint,
            after_load=True,
        )  # fmt: skip

    if logger is not None:
        print_log(str(report), logger, logging.INFO if report.ok else logging.WARNING)
    return report
