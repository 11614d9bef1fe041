"""Encode an image array as PNG with the standard library (``zlib``), no imaging package needed.

``add_image`` writes what a hook hands it (a prediction overlay, a sample
grid) to the run folder; MMEngine uses OpenCV for this, which is a heavy
dependency for writing a few files.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any


def as_image_array(image: Any, where: str = "add_image") -> Any:
    """``image`` as a ``uint8`` numpy array of shape (H, W), (H, W, 3) or (H, W, 4).

    Tensors are moved to the CPU; float images in [0, 1] are scaled to 0-255.
    """
    import numpy as np

    if hasattr(image, "detach"):  # a tensor
        image = image.detach().cpu().numpy()
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise ValueError(
            f"{where}: an image must be (H, W), (H, W, 3) RGB or (H, W, 4) RGBA, got shape "
            f"{tuple(array.shape)}; a (3, H, W) tensor needs .permute(1, 2, 0) first."
        )
    if array.dtype != np.uint8:
        if np.issubdtype(array.dtype, np.floating) and array.size and float(array.max()) <= 1.0:
            array = array * 255.0
        array = np.clip(np.rint(array), 0, 255).astype(np.uint8)
    return array


def as_rgb_array(image: Any, where: str) -> Any:
    """``image`` as an (H, W, 3) RGB ``uint8`` array: grey repeated, alpha dropped."""
    import numpy as np

    array = as_image_array(image, where)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    return array[..., :3]


def encode_png(image: Any) -> bytes:
    """The PNG file of a (H, W), (H, W, 3) or (H, W, 4) image (see :func:`as_image_array`)."""
    import numpy as np

    array = np.ascontiguousarray(as_image_array(image))
    height, width = array.shape[:2]
    # PNG colour types: 0 grey, 2 RGB, 6 RGBA
    colour_type = 0 if array.ndim == 2 else 2 if array.shape[-1] == 3 else 6
    rows = array.reshape(height, -1)
    raw = b"".join(b"\x00" + rows[y].tobytes() for y in range(height))  # filter 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )
