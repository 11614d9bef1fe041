"""Merging a child config into its base, MMEngine's way (``_delete_`` included)."""

from __future__ import annotations

from typing import Any, cast

from .config_dict import ConfigDict
from .errors import ConfigKeyError, ConfigTypeError

DELETE_KEY = "_delete_"


def merge_into(
    child: dict[Any, Any],
    base: dict[Any, Any] | list[Any],
    allow_list_keys: bool = False,
    where: str = "",
) -> Any:
    """Return a copy of ``base`` with ``child`` merged into it.

    A dict in the child merges into the base's dict under the same key unless
    it says ``_delete_=True``, in which case it replaces it. Anything else
    replaces the base value. With ``allow_list_keys``, digit keys index into
    lists (``pipeline.1.scale``). As in MMEngine, ``_delete_`` is only removed
    when the key exists in the base. Values are read raw (``dict`` methods), so
    merging never imports what a pure-Python config names lazily.
    """
    merged: Any = base.copy()
    for key, value in dict.items(child):
        path = f"{where}.{key}" if where else str(key)
        if allow_list_keys and isinstance(merged, list):
            if not (isinstance(key, str) and key.isdigit()):
                raise ConfigTypeError(
                    f"cannot set {path!r}: {where or 'the value'} is a list, so the key after "
                    f"it must be an index (0..{len(merged) - 1}), not {key!r}."
                )
            index = int(key)
            if index >= len(merged):
                raise ConfigKeyError(
                    f"cannot set {path!r}: index {index} is out of range for {where!r}, "
                    f"a list of {len(merged)} item(s)."
                )
            if isinstance(value, dict) and isinstance(merged[index], (dict, list)):
                merged[index] = merge_into(value, merged[index], allow_list_keys, path)
            else:
                merged[index] = value
        elif isinstance(value, dict):
            if key in merged and not value.pop(DELETE_KEY, False):
                allowed: tuple[type, ...] = (dict, list) if allow_list_keys else (dict,)
                current: Any = dict.__getitem__(merged, key)
                if not isinstance(current, allowed):
                    raise ConfigTypeError(
                        f"{path}: a dict is given (by a child config or an override such "
                        f"as --cfg-options), but the value it would merge into is "
                        f"{type(current).__name__} ({current!r}); a dict can only be "
                        f"merged into a dict. Add {DELETE_KEY}=True to that dict to replace "
                        "that value instead."
                    )
                base_value = cast("dict[Any, Any] | list[Any]", current)
                merged[key] = merge_into(value, base_value, allow_list_keys, path)
            else:
                merged[key] = ConfigDict(value)
        else:
            merged[key] = value
    return merged
