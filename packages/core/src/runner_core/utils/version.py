"""Version strings as comparable tuples (MMEngine's ``digit_version``), and the git commit.

Projects gate code on library versions (``digit_version(torch.__version__) >=
digit_version('2.0.0')``); the parser below reads PEP 440 versions as
``packaging`` does (without needing it), so the tuples equal MMEngine's.
``get_git_hash`` gives the commit a ``version.py`` appends to its version.
"""

from __future__ import annotations

import os
import re

__all__ = ["digit_version", "get_git_hash"]

# PEP 440 (the form ``packaging.version`` accepts), case-insensitive
_PEP440 = re.compile(
    r"""^\s*v?
    (?:(?P<epoch>[0-9]+)!)?
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?:[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?
    (?:-(?P<post_n1>[0-9]+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?)?
    (?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?
    (?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?
    \s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_PRE = {"a": -3, "alpha": -3, "b": -2, "beta": -2, "c": -1, "rc": -1, "pre": -1, "preview": -1}


def digit_version(version_str: str, length: int = 4) -> tuple[int, ...]:
    """``version_str`` as a tuple of ints that compares as the versions do.

    The release is cut or zero-padded to ``length`` numbers, then two more
    say what kind it is: a pre-release ``a``/``b``/``rc`` N gives ``-3``/``-2``/``-1``, N
    (a ``.devN`` alone ``-4, 0``), a post-release ``1, N``, a final release
    ``0, 0``: ``digit_version('2.1.0rc1') == (2, 1, 0, 0, -1, 1)``.
    """
    match = _PEP440.match(version_str)
    if match is None:
        error: type[ValueError] = ValueError
        try:  # MMEngine's error (a ValueError), when packaging is there to raise it
            from packaging.version import InvalidVersion

            error = InvalidVersion
        except ImportError:
            pass
        raise error(
            f"digit_version: {version_str!r} is not a version string (PEP 440, e.g. '2.1.0', "
            "'1.0rc1', '0.4.post2')."
        )
    release = [int(part) for part in match["release"].split(".")][:length]
    release += [0] * (length - len(release))
    if match["pre_l"] is not None:
        release += [_PRE[match["pre_l"].lower()], int(match["pre_n"] or 0)]
    elif match["dev_l"] is not None:
        release += [-4, 0]
    elif match["post_n1"] is not None or match["post_l"] is not None:
        release += [1, int(match["post_n1"] or match["post_n2"] or 0)]
    else:
        release += [0, 0]
    return tuple(release)


def get_git_hash(fallback: str = "unknown", digits: int | None = None) -> str:
    """The commit checked out in the current folder's git repository (first ``digits`` chars).

    ``fallback`` when there is none: git is not installed, or the folder is not
    in a repository (MMEngine 0.10.7 returns ``''`` there; ``fallback`` is what
    its docstring promises).
    """
    if digits is not None and (isinstance(digits, bool) or not isinstance(digits, int)):
        raise TypeError(
            f"get_git_hash: digits must be None or an integer, got {type(digits).__name__}."
        )
    import subprocess

    env = {k: v for k in ("SYSTEMROOT", "PATH", "HOME") if (v := os.environ.get(k)) is not None}
    env.update(LANGUAGE="C", LANG="C", LC_ALL="C")  # git's messages untranslated
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, env=env, check=False
        )
    except OSError:  # git missing
        return fallback
    sha = out.stdout.strip().decode("ascii", errors="replace")
    if out.returncode != 0 or not sha:
        return fallback
    return sha if digits is None else sha[:digits]
