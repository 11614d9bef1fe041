"""``Config.auto_argparser``: a command-line option for every value of a config.

MMEngine's experimental helper, for scripts that want ``--model.depth 50``
without listing the options by hand: the config named by the ``config``
positional argument is loaded first, then each value becomes an option typed
after it (a flag for a bool, ``type=int``/``float`` for numbers, ``nargs='+'``
for a list or tuple, nested dicts as dotted names). Options default to None,
so ``parse_args`` says which values the command line set.
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import a_or_an

__all__ = ["add_config_arguments", "build_auto_argparser"]


def add_config_arguments(
    parser: argparse.ArgumentParser, cfg: Mapping[str, Any], prefix: str = ""
) -> argparse.ArgumentParser:
    """Add ``--<prefix><key>`` for each value of ``cfg`` (recursively); return ``parser``.

    A value no option can express (None, an object) is skipped with a warning
    naming its key, as MMEngine logs and skips it.
    """
    for key, value in cfg.items():
        option = f"--{prefix}{key}"
        if isinstance(value, str):
            parser.add_argument(option)
        elif isinstance(value, bool):  # before int: a bool is an int
            parser.add_argument(option, action="store_true")
        elif isinstance(value, int):
            parser.add_argument(option, type=int)
        elif isinstance(value, float):
            parser.add_argument(option, type=float)
        elif isinstance(value, Mapping):
            add_config_arguments(parser, value, f"{prefix}{key}.")
        elif isinstance(value, (list, tuple)):
            first = next(iter(value), None)
            if isinstance(first, (str, int, float)) and not isinstance(first, bool):
                parser.add_argument(option, nargs="+", type=type(first))
            else:  # empty, or bools (bool('False') is True), or objects: strings
                parser.add_argument(option, nargs="+")
        else:
            warnings.warn(
                f"auto_argparser: no command-line option for config key {prefix}{key!s} "
                f"({a_or_an(type(value).__name__)}); it can only be set in the config file.",
                stacklevel=2,
            )
    return parser


def build_auto_argparser(
    load: Callable[[str], Any], description: str | None, args: Sequence[str] | None
) -> tuple[argparse.ArgumentParser, Any]:
    """Parse ``config`` from ``args``, ``load`` it, and build the full parser for it.

    The first parser has no ``-h``: help is the full parser's job, once the
    config's options are known.
    """
    first = argparse.ArgumentParser(description=description, add_help=False)
    first.add_argument("config", help="config file path")
    known, _ = first.parse_known_args(None if args is None else list(args))
    cfg = load(known.config)
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("config", help="config file path")
    # to_dict: the stored values (an imported class is its dotted path, not imported)
    add_config_arguments(parser, cfg.to_dict())
    return parser, cfg
