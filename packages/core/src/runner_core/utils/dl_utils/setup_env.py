"""``set_multi_processing``: MMEngine's process settings for data-loading workers.

Tools written for MMEngine call it before building dataloaders: the start
method of worker processes, OpenCV's thread count, and one OMP/MKL thread per
process in a distributed job (N processes x all-cores threads oversubscribe
the CPU). A Runner applies ``env_cfg.mp_cfg`` itself
(``runner_core.distributed.launch.setup_multiprocessing``).
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import warnings

__all__ = ["set_multi_processing"]


def set_multi_processing(
    mp_start_method: str = "fork", opencv_num_threads: int = 0, distributed: bool = False
) -> None:
    """Set the worker start method, OpenCV's threads and (if ``distributed``) OMP/MKL threads.

    As in MMEngine: the start method is forced, with a warning when another
    one was set (not on Windows); ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS``
    are set to 1, with a warning, only where the environment does not set them.
    """
    if platform.system() != "Windows":
        current = multiprocessing.get_start_method(allow_none=True)
        if current is not None and current != mp_start_method:
            warnings.warn(
                f"Multi-processing start method `{mp_start_method}` is different from the "
                f"previous setting `{current}`. It will be force set to `{mp_start_method}`. "
                "You can change this behavior by changing `mp_start_method` in your config.",
                stacklevel=2,
            )
        multiprocessing.set_start_method(mp_start_method, force=True)
    try:
        import cv2
    except ImportError:
        pass
    else:
        cv2.setNumThreads(opencv_num_threads)  # OpenCV's own pool would oversubscribe workers
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if distributed and var not in os.environ:
            warnings.warn(
                f"Setting {var} environment variable for each process to be 1 in default, to "
                "avoid your system being overloaded, please further tune the variable for "
                "optimal performance in your application as needed.",
                stacklevel=2,
            )
            os.environ[var] = "1"
