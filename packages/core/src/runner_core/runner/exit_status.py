"""Keep a script that Ctrl-C stopped exiting as killed by SIGINT (status 130).

CPython exits that way after an unhandled ``KeyboardInterrupt`` only if no
code is exec'd or eval'd while it shuts down (3.11 resets its flag then, and
the status becomes 1), as importing a module that makes namedtuples does.
torch's compiler registers an ``atexit`` handler that imports ``tabulate``
(when installed) to format its table, and building any torch optimizer loads
that compiler. Shell scripts and schedulers read 130 as "stopped by the
user", 1 as a crash.
"""

from __future__ import annotations

import importlib
import sys

#: what torch's exit handlers import, by the module that registers them
_IMPORTED_AT_EXIT = {"torch._dynamo": ("tabulate",)}


def keep_ctrl_c_exit_status() -> None:
    """Import now what exit handlers would import, while the interrupt is on its way out."""
    for loaded, modules in _IMPORTED_AT_EXIT.items():
        if loaded not in sys.modules:
            continue
        for module in modules:
            try:
                importlib.import_module(module)
            except Exception:  # not installed (the handler then imports nothing) or broken
                pass
