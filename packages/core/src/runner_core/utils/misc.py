"""Type checks and small helpers OpenMMLab code calls everywhere (MMEngine's ``utils.misc``).

Datasets, transforms and tools written for MMEngine check their arguments with
``is_list_of`` / ``is_seq_of`` and turn sizes into tuples with ``to_2tuple``;
these behave as MMEngine 0.10.7's, so that code moves over with its imports.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import itertools
import warnings
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from types import ModuleType
from typing import Any, TypeVar

from ..errors import RunnerError

# MMEngine defines these in utils.misc; code imports them from there
from .deprecation import deprecated_api_warning, deprecated_function
from .prerequisites import check_prerequisites, requires_executable, requires_package

__all__ = [
    "BaseClassError",
    "SeqTypeError",
    "SliceLengthError",
    "apply_to",
    "check_prerequisites",
    "concat_list",
    "deprecated_api_warning",
    "deprecated_function",
    "get_object_from_string",
    "has_method",
    "import_modules_from_strings",
    "is_installed",
    "is_list_of",
    "is_method_overridden",
    "is_seq_of",
    "is_str",
    "is_tuple_of",
    "iter_cast",
    "list_cast",
    "requires_executable",
    "requires_package",
    "slice_list",
    "to_1tuple",
    "to_2tuple",
    "to_3tuple",
    "to_4tuple",
    "to_ntuple",
    "tuple_cast",
]

T = TypeVar("T")


class BaseClassError(RunnerError, TypeError, AssertionError):
    """``is_method_overridden`` got an instance as ``base_class`` (MMEngine asserts)."""


class SliceLengthError(RunnerError, ValueError, AssertionError):
    """``slice_list`` got an int length that does not divide the list (MMEngine asserts)."""


def is_str(x: Any) -> bool:
    """Whether ``x`` is a ``str`` (kept because MMEngine code still calls it)."""
    return isinstance(x, str)


class SeqTypeError(RunnerError, TypeError, AssertionError):
    """``is_seq_of``'s ``seq_type`` is no type (MMEngine asserts: AssertionError)."""


def is_seq_of(
    seq: Any,
    expected_type: type | tuple[type, ...],
    seq_type: type | tuple[type, ...] | None = None,
) -> bool:
    """Whether ``seq`` is a sequence (of ``seq_type`` if given) whose items are all ``expected_type``.

    ``seq_type`` may also be a tuple of types (MMEngine takes one type only).
    """
    container: Any = Sequence if seq_type is None else seq_type
    try:
        if not isinstance(seq, container):
            return False
    except TypeError:  # no type: MMEngine asserts
        raise SeqTypeError(
            f"is_seq_of(seq_type={seq_type!r}): seq_type must be a type (list, tuple) or a "
            "tuple of types, or None for any Sequence."
        ) from None
    return all(isinstance(item, expected_type) for item in seq)


def is_list_of(seq: Any, expected_type: type | tuple[type, ...]) -> bool:
    """Whether ``seq`` is a ``list`` whose items are all ``expected_type``."""
    return is_seq_of(seq, expected_type, seq_type=list)


def is_tuple_of(seq: Any, expected_type: type | tuple[type, ...]) -> bool:
    """Whether ``seq`` is a ``tuple`` whose items are all ``expected_type``."""
    return is_seq_of(seq, expected_type, seq_type=tuple)


def is_method_overridden(method: str, base_class: type, derived_class: type | Any) -> bool:
    """Whether ``derived_class`` (a class or an instance) overrides ``base_class.method``.

    Hooks and loops use it to skip work a subclass did not ask for.
    """
    if not isinstance(base_class, type):
        raise BaseClassError(
            f"is_method_overridden({method!r}, ...) needs a class as base_class, got an instance "
            f"of {type(base_class).__name__}: pass its class instead."
        )
    if not isinstance(derived_class, type):
        derived_class = type(derived_class)
    return bool(getattr(derived_class, method) != getattr(base_class, method))


def has_method(obj: object, method: str) -> bool:
    """Whether ``obj`` (an object or a class) has a callable attribute named ``method``."""
    return hasattr(obj, method) and callable(getattr(obj, method))


def to_ntuple(n: int) -> Callable[[Any], Any]:
    """A function that repeats a scalar ``n`` times and returns iterables unchanged.

    ``to_2tuple(3) == (3, 3)``; ``to_2tuple((3, 5))`` stays ``(3, 5)`` (as
    MMEngine's and PyTorch's, an iterable is not checked for its length).
    """

    def parse(x: Any) -> Any:
        if isinstance(x, Iterable):
            return x
        return tuple(repeat(x, n))

    return parse


to_1tuple = to_ntuple(1)
to_2tuple = to_ntuple(2)
to_3tuple = to_ntuple(3)
to_4tuple = to_ntuple(4)


def import_modules_from_strings(
    imports: str | list[str] | None, allow_failed_imports: bool = False
) -> ModuleType | None | list[ModuleType | None]:
    """Import modules by name (a config's ``custom_imports``).

    A single name returns its module, a list a list of modules; nothing
    (``None``, ``[]``) returns None. With ``allow_failed_imports`` a module that
    fails to import warns and gives None instead of raising ImportError.
    """
    if not imports:
        return None
    single = isinstance(imports, str)
    names = [imports] if isinstance(imports, str) else imports
    if not isinstance(names, list):
        raise TypeError(
            f"import_modules_from_strings needs a module name or a list of them, got "
            f"{type(names).__name__} {names!r:.80}."
        )
    imported: list[ModuleType | None] = []
    for name in names:
        if not isinstance(name, str):
            raise TypeError(
                f"import_modules_from_strings: {name!r:.80} is a {type(name).__name__}, not a "
                "module name: write it as a dotted string, e.g. 'my_project.models'."
            )
        try:
            imported.append(importlib.import_module(name))
        except ImportError as exc:
            if not allow_failed_imports:
                raise ImportError(f"Failed to import {name}: {exc}") from exc
            warnings.warn(f"{name} failed to import and is ignored.", UserWarning, stacklevel=2)
            imported.append(None)
    return imported[0] if single else imported


def is_installed(package: str) -> bool:
    """Whether ``package`` is installed: a distribution of that name, or an importable module."""
    try:
        importlib.metadata.distribution(package)
        return True
    except (importlib.metadata.PackageNotFoundError, ValueError):
        pass
    try:
        spec = importlib.util.find_spec(package)
    except ImportError:  # a dotted name whose parent is missing
        return False
    except ValueError:  # imported without a spec ('__main__' of a script)
        import sys

        return package in sys.modules
    return spec is not None and spec.origin is not None


def iter_cast(inputs: Iterable[Any], dst_type: type, return_type: type | None = None) -> Any:
    """``dst_type`` applied to every item: a lazy iterator, or a ``return_type`` of them.

    Config values read from text (``['1', '2']``) become numbers in one call.
    """
    if not isinstance(inputs, Iterable):
        raise TypeError(
            f"iter_cast: inputs must be an iterable object, got {type(inputs).__name__} "
            f"{inputs!r:.80}."
        )
    if not isinstance(dst_type, type):
        raise TypeError(
            f'iter_cast: "dst_type" must be a valid type (int, float, ...), got {dst_type!r:.80}.'
        )
    cast = map(dst_type, inputs)
    return cast if return_type is None else return_type(cast)


def list_cast(inputs: Iterable[Any], dst_type: type[T]) -> list[T]:
    """``iter_cast`` into a list: ``list_cast(['1', '2'], int) == [1, 2]``."""
    return list(iter_cast(inputs, dst_type))


def tuple_cast(inputs: Iterable[Any], dst_type: type[T]) -> tuple[T, ...]:
    """``iter_cast`` into a tuple: ``tuple_cast(['1', '2'], int) == (1, 2)``."""
    return tuple(iter_cast(inputs, dst_type))


def slice_list(in_list: Sequence[T], lens: int | list[int]) -> list[Sequence[T]]:
    """``in_list`` cut into consecutive pieces of the given lengths (an int: equal pieces).

    Batched results are split back per sample this way; the lengths must add
    up to the list's length.
    """
    if isinstance(lens, int):
        if lens <= 0 or len(in_list) % lens != 0:
            raise SliceLengthError(
                f"slice_list: a list of {len(in_list)} items cannot be cut into pieces of "
                f"{lens}: give a positive length that divides {len(in_list)}, or a list of "
                "lengths."
            )
        lens = [lens] * (len(in_list) // lens)
    if not isinstance(lens, list):
        raise TypeError(
            f'slice_list: "lens" (the "indices") must be an integer or a list of integers, got '
            f"{type(lens).__name__} {lens!r:.80}."
        )
    if sum(lens) != len(in_list):
        raise ValueError(
            f"slice_list: sum of lens and list length does not match: {sum(lens)} != "
            f"{len(in_list)}."
        )
    out: list[Sequence[T]] = []
    start = 0
    for length in lens:
        out.append(in_list[start : start + length])
        start += length
    return out


def concat_list(in_list: Iterable[Iterable[T]]) -> list[T]:
    """The items of every inner iterable, in order, as one flat list."""
    return list(itertools.chain.from_iterable(in_list))


def apply_to(data: Any, expr: Callable[[Any], bool], apply_func: Callable[[Any], Any]) -> Any:
    """``data`` with ``apply_func(x)`` in place of each leaf ``x`` for which ``expr(x)`` holds.

    Walks dicts (keeping their type), lists, tuples and namedtuples, so a
    nested batch can be converted (numpy arrays to tensors) in one call.
    """
    if isinstance(data, dict):
        out = type(data)()
        for key, value in data.items():
            out[key] = apply_to(value, expr, apply_func)
        return out
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return type(data)(*(apply_to(item, expr, apply_func) for item in data))
    if isinstance(data, (tuple, list)):
        return type(data)(apply_to(item, expr, apply_func) for item in data)
    return apply_func(data) if expr(data) else data


def get_object_from_string(obj_name: str) -> Any:
    """The object a dotted path names (``'torch.optim.SGD'``), or None if there is none.

    The longest importable module prefix is imported, then the rest is read as
    attributes; a module attribute that is not itself a module wins over a
    submodule of the same name (as ``mmcv.ops.nms``), as in MMEngine.
    """
    parts = obj_name.split(".")
    module_name = parts[0]
    index = 1
    while True:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return None
        if index == len(parts):
            return module
        attr = getattr(module, parts[index], None)
        if attr is not None and not inspect.ismodule(attr):
            break
        module_name = f"{module_name}.{parts[index]}"
        index += 1
    obj: Any = module
    for part in parts[index:]:
        try:
            obj = getattr(obj, part)
        except AttributeError:
            return None
    return obj
