"""Runner arguments from a config, checked before anything is built.

Values the Runner reads itself: ``resume`` and ``load_from`` (a checkpoint
that does not exist is a mistake in the input, not a failure of the run),
``experiment_name``, and the switches that must be True or False
(``'maybe'`` would be read as True).
"""

from __future__ import annotations

import numbers
import os
import sys
import warnings
from collections.abc import Mapping
from typing import Any

from ..errors import (
    ConfigAssertionError,
    ConfigError,
    ConfigFileNotFoundError,
    ConfigTypeError,
    did_you_mean,
    stacklevel_outside_runner_core,
)
from ..value_checks import refuse_string_switch
from .lr_scaling import EXAMPLE as _SCALE_EXAMPLE
from .lr_scaling import base_batch_size

__all__ = ["check_experiment_name", "check_runner_sections", "check_runner_values"]


class SectionOptionError(ConfigTypeError, AssertionError):
    """An unknown ``auto_scale_lr`` option: a TypeError like our other unknown options, and
    an AssertionError, which MMEngine's check for ``base_batch_size`` raises."""


class SectionTypeError(ConfigTypeError, AttributeError):
    """A Runner section that must be a dict and is not (``auto_scale_lr=True``,
    ``env_cfg=[...]``, ``default_hooks=[...]``): a TypeError, and an AttributeError,
    which MMEngine raises calling the value's ``.get`` or ``.items``."""


#: the sections that must be dicts: what each holds, with an example
_DICT_SECTIONS = {
    "auto_scale_lr": f"a dict of options, e.g. {_SCALE_EXAMPLE}",
    "env_cfg": "a dict of options, e.g. env_cfg=dict(cudnn_benchmark=True)",
    "randomness": "a dict of options, e.g. randomness=dict(seed=42)",
    "load_cfg": "a dict of options, e.g. load_cfg=dict(strict=False)",
    "default_hooks": (
        "a dict of role name -> hook config, e.g. "
        "default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1))"
    ),
}

#: the options each section has (the Runner reads nothing else in them)
_SECTION_OPTIONS = {
    "randomness": ("seed", "deterministic", "diff_rank_seed"),
    "auto_scale_lr": ("enable", "base_batch_size"),
    "env_cfg": ("cudnn_benchmark", "mp_cfg", "dist_cfg", "preemption", "resource_limit"),
    "load_cfg": ("strict", "revise_keys", "allow_pickle", "mmap"),
}

_SWITCHES = (
    ("randomness", "deterministic"),
    ("randomness", "diff_rank_seed"),
    ("env_cfg", "cudnn_benchmark"),
    ("train_dataloader", "shuffle"),
    ("val_dataloader", "shuffle"),
    ("test_dataloader", "shuffle"),
)


def check_runner_values(cfg: Mapping[str, Any]) -> None:
    """Raise ConfigError naming the key for a bad ``resume``/``load_from``/switch value."""
    from ..checkpoint.storage import remember_config_storage

    remember_config_storage(cfg)  # a checkpoint URL is read as the hook will save it
    resume = cfg.get("resume", False)
    if resume is not None and not isinstance(resume, (bool, str, os.PathLike)):
        raise ConfigError(
            f"resume={resume!r} is not valid: use True or 'auto' (the newest checkpoint of the "
            "work dir), False, or the path of a checkpoint."
        )
    if isinstance(resume, (str, os.PathLike)) and str(resume) != "auto":
        _require_checkpoint(resume, "resume")
    load_from = cfg.get("load_from")
    if load_from is not None:
        if not isinstance(load_from, (str, os.PathLike)):
            raise ConfigError(
                f"load_from={load_from!r} is not valid: give the path of a checkpoint file (or None)."
            )
        if not _is_auto_without_file(load_from):  # ResumeState explains that one
            _require_checkpoint(load_from, "load_from")
    check_experiment_name(cfg.get("experiment_name"))
    for section, key in _SWITCHES:
        part = cfg.get(section)
        if isinstance(part, Mapping) and part.get(key) is not None:
            value = part[key]
            if not isinstance(value, bool):
                raise ConfigError(
                    f"{section}.{key}={value!r} is not valid: it must be True or False."
                )


def check_experiment_name(name: Any) -> None:
    """Raise ConfigError for an ``experiment_name`` that cannot name a run: empty, or not a
    string or number (MMEngine formats it into the run's folder names)."""
    if isinstance(name, numbers.Real) and not isinstance(name, bool):
        name = str(name)  # a number is a name too
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ConfigError(
            f"experiment_name={name!r} is not valid: give a non-empty name (or leave it unset: "
            "the config file's name, else 'run')."
        )


def _is_auto_without_file(load_from: Any) -> bool:
    """``load_from='auto'`` with no file of that name: the Runner's ``ResumeState`` raises
    its own message (``'auto'`` is a value of ``resume``), for a config as for arguments."""
    return isinstance(load_from, str) and load_from == "auto" and not os.path.isfile("auto")


def _require_checkpoint(path: Any, key: str) -> None:
    from ..checkpoint.remote import url_scheme

    if url_scheme(path) is not None:  # on a storage backend the user registered, or refused
        _require_remote_checkpoint(path, key)
        return
    found = os.path.expanduser(os.fspath(path))
    if os.path.isfile(found):
        return
    if os.path.isdir(found):
        reason = "is a folder, not a file"
    elif os.path.exists(found):  # reading a FIFO without a writer would wait forever
        reason = "is not a regular file (a device, FIFO or socket)"
    else:
        reason = "does not exist"
    hint = ", or resume=True for the newest one in the work dir" if key == "resume" else ""
    # a FileNotFoundError (a folder too), which MMEngine's isfile check raises here
    raise ConfigFileNotFoundError(
        f"{key}={os.fspath(path)!r} {reason} (relative paths start from {os.getcwd()!r}). Give "
        f"the path of a checkpoint file{hint}."
    )


def _require_remote_checkpoint(path: Any, key: str) -> None:
    """A checkpoint URL needs a registered backend that serves it, and the file there."""
    from ..checkpoint.errors import CheckpointNotFoundError
    from ..checkpoint.storage import require_remote_file

    try:
        require_remote_file(path, key)
    except CheckpointNotFoundError as exc:  # never downloaded by runner itself, or missing
        raise ConfigFileNotFoundError(str(exc)) from None


def check_runner_sections(sections: Mapping[str, Any]) -> None:
    """Refuse a section of the wrong kind or an unknown option in ``randomness``,
    ``auto_scale_lr`` or ``load_cfg`` (or a switch of it that is not a bool); warn for
    ``env_cfg``.

    A typo there was silently ignored (``randomness=dict(sed=3)`` trained with
    another seed). MMEngine raises a TypeError for ``randomness`` (our error is
    one) and ignores ``env_cfg`` keys, which downstream projects may extend:
    those only warn. ``auto_scale_lr`` enabled without a usable
    ``base_batch_size`` is refused here, not when training starts.
    """
    _check_containers(sections)
    for section, allowed in _SECTION_OPTIONS.items():
        options = sections.get(section)
        if not isinstance(options, Mapping):
            continue
        for key in options:
            if key in allowed:
                continue
            message = (
                f"{section} has no option {key!r}.{did_you_mean(str(key), allowed)} Its options: "
                f"{', '.join(allowed)}."
            )
            if section == "env_cfg":
                home = _ENV_CFG_NESTED.get(str(key))
                if home is not None:  # the runner tutorial's env_cfg=dict(backend='nccl')
                    example = (
                        f"move {key}={options[key]!r} into it"
                        if isinstance(options.get(home), Mapping)
                        else f"env_cfg=dict({home}=dict({key}={options[key]!r}))"
                    )
                    message = (
                        f"env_cfg has no option {key!r}: it belongs in env_cfg.{home} ({example})."
                    )
                warnings.warn(
                    message + " It is ignored.", stacklevel=stacklevel_outside_runner_core()
                )
            else:
                raise (SectionOptionError if section == "auto_scale_lr" else ConfigTypeError)(
                    message
                )
    scale = sections.get("auto_scale_lr")
    if isinstance(scale, Mapping):
        refuse_string_switch(scale.get("enable"), "auto_scale_lr.enable")
        if scale.get("enable"):
            base_batch_size(scale)
    check_load_switches(sections.get("load_cfg"))


#: options of env_cfg's sub-dicts that are written one level too high
_ENV_CFG_NESTED = {
    "backend": "dist_cfg",
    "timeout": "dist_cfg",
    "init_method": "dist_cfg",
    "mp_start_method": "mp_cfg",
    "opencv_num_threads": "mp_cfg",
    "omp_num_threads": "mp_cfg",
    "mkl_num_threads": "mp_cfg",
}


def check_load_switches(load_cfg: Any, where: str = "load_cfg.{key}") -> None:
    """``load_cfg``'s switches are True or False: ``mmap='no'`` would be read as True (and
    ``allow_pickle='no'`` would unpickle). ``strict`` and ``allow_pickle`` may be None
    (their defaults); ``mmap`` is only ever set to turn mapping off. ``where`` names the
    setting in the error (``{key}`` is the switch)."""
    if not isinstance(load_cfg, Mapping):
        return
    for key, may_be_none in (("mmap", False), ("allow_pickle", True), ("strict", True)):
        if key not in load_cfg:
            continue
        value = load_cfg[key]
        if not isinstance(value, bool) and not (may_be_none and value is None):
            raise ConfigTypeError(
                f"{where.format(key=key)}={value!r} is not valid: it must be True or False"
                + (" (or None for the default)." if may_be_none else ".")
            )


def _check_containers(sections: Mapping[str, Any]) -> None:
    """Each section of the right kind: a dict, a list, a path (named, with an example)."""
    for section, what in _DICT_SECTIONS.items():
        value = sections.get(section)
        if value is not None and not isinstance(value, Mapping):
            raise SectionTypeError(f"{section} is {_kind(value)}, but it must be {what}.")
    env_cfg = sections.get("env_cfg")
    for key, example in (
        ("mp_cfg", "mp_cfg=dict(mp_start_method='fork', omp_num_threads=1)"),
        ("dist_cfg", "dist_cfg=dict(backend='nccl', timeout=1800)"),
    ):  # MMEngine passes them on as keyword arguments: a TypeError there
        value = env_cfg.get(key) if isinstance(env_cfg, Mapping) else None
        if value is not None and not isinstance(value, Mapping):
            raise SectionTypeError(
                f"env_cfg.{key} is {_kind(value)}, but it must be a dict of options, e.g. "
                f"env_cfg=dict({example})."
            )
    hooks = sections.get("custom_hooks")
    if hooks is not None and not isinstance(hooks, (list, tuple)):
        # a TypeError, as MMEngine's registering of each item raises
        raise ConfigTypeError(
            f"custom_hooks is {_kind(hooks)}, but it must be a list of hook configs (or hooks), "
            "e.g. custom_hooks=[dict(type='EMAHook')]: wrap a single hook in a list."
        )
    scope = sections.get("default_scope")
    if scope is not None and not isinstance(scope, str):
        # an AssertionError too, as MMEngine's DefaultScope asserts a str name
        raise ConfigAssertionError(
            f"default_scope={scope!r} is not valid: give the name of the library whose "
            "registries answer first, e.g. default_scope='mmdet', or None."
        )
    _check_param_scheduler_kind(sections.get("param_scheduler"))
    work_dir = sections.get("work_dir")
    if work_dir is not None and not isinstance(work_dir, (str, os.PathLike)):
        raise ConfigTypeError(  # a TypeError, as MMEngine's os.path.abspath raises
            f"work_dir={work_dir!r} is not valid: give the path of a folder, e.g. "
            "work_dir='work_dirs/my_run'."
        )


def _check_param_scheduler_kind(value: Any) -> None:
    """``param_scheduler`` is a scheduler (config or object), a list of them, or a dict of
    those per optimizer: refused here otherwise, as MMEngine's constructor refuses it (a
    TypeError; an AssertionError for a per-optimizer entry), not when training starts."""
    example = "param_scheduler=dict(type='MultiStepLR', by_epoch=True, milestones=[8, 11])"

    def is_scheduler(item: Any) -> bool:
        return isinstance(item, Mapping) or callable(getattr(item, "step", None))

    if value is None or is_scheduler(value) and not isinstance(value, Mapping):
        return
    if isinstance(value, Mapping):
        if "type" in value:
            return
        for name, entry in value.items():  # one entry per optimizer of an OptimWrapperDict
            if not (is_scheduler(entry) or isinstance(entry, (list, tuple))):
                raise ConfigAssertionError(
                    f"param_scheduler[{name!r}] is {_kind(entry)}: a dict without 'type' holds "
                    "the schedulers of each optimizer of an OptimWrapperDict, each a scheduler "
                    f"config or a list of them. For one scheduler give its type: {example}."
                )
        return
    if isinstance(value, (list, tuple)):
        return  # each item is checked when the schedulers are built
    raise ConfigTypeError(
        f"param_scheduler is {_kind(value)}, but it must be a scheduler config, a scheduler, "
        f"or a list of them, e.g. {example}."
    )


def _kind(value: Any) -> str:
    """``'a dict'`` / ``'a list'`` for a container (a ConfigDict's repr is long), else the repr."""
    if isinstance(value, Mapping):
        return "a dict"
    if isinstance(value, (list, tuple)):
        return "a list"
    return repr(value)


def check_not_bootstrapping() -> None:
    """Stop a child process that builds a Runner while it re-runs the main script.

    Under the ``spawn`` / ``forkserver`` start methods every child (each
    data-loader worker) imports the main script again; a script that builds
    its Runner outside ``if __name__ == '__main__':`` would make every worker
    build one too, and fail on the work dir's lock with a message about
    another run. Python raises a RuntimeError of its own only once the child
    tries to start processes itself.
    """
    import multiprocessing

    if not getattr(multiprocessing.current_process(), "_inheriting", False):
        return
    # while the child re-runs the script, it is runpy's temporary '__mp_main__' module
    main = sys.modules.get("__mp_main__") or sys.modules.get("__main__")
    script = getattr(main, "__file__", None) or "the main script"
    # the paragraph, and a quiet exit: an exception would print the bootstrap's traceback
    # in every worker (over 100 lines for two), the main process then naming the dead worker
    print(
        f"runner: a Runner is being built while a child process (a data-loader worker started with "
        f"the 'spawn' or 'forkserver' method) re-imports {script}: the code that builds and "
        "trains the Runner is not under an `if __name__ == '__main__':` guard. Move it under "
        "that guard (or into a function called from there)"
        + (
            ", or use the 'fork' start method (env_cfg=dict(mp_cfg=dict(mp_start_method='fork')))."
            if "fork" in multiprocessing.get_all_start_methods()
            else "."
        ),
        file=sys.stderr,
        flush=True,
    )
    raise SystemExit(1)
