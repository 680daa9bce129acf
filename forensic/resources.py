"""Where the files that ship with the tool are: the report templates and the models.

In a source checkout (or an editable install) they are the checkout's top-level ``templates/`` and
``models/`` folders, which stay the source. A wheel carries copies inside the package, in
``forensic/_data/templates/`` and ``forensic/_data/models/`` (``setup.py`` puts them there at build
time), so an installed ``forensic`` finds them from any working folder. A leaf module: it imports
nothing of the package.
"""

from __future__ import annotations

import os

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
_PACKAGED = os.path.join(_PACKAGE, "_data")
_CHECKOUT = os.path.dirname(_PACKAGE)


def data_dir(name: str) -> str:
    """``templates`` or ``models``: the packaged copy when this is an installed wheel, else the
    checkout's folder."""
    packaged = os.path.join(_PACKAGED, name)
    return packaged if os.path.isdir(packaged) else os.path.join(_CHECKOUT, name)


def templates_dir() -> str:
    return data_dir("templates")


def models_dir() -> str:
    return data_dir("models")


def default_model_dir() -> str:
    return os.path.join(models_dir(), "default")


def default_maskrcnn_weights() -> str:
    """Where PixelLib's Mask R-CNN COCO weights are looked for: ``models/mask_rcnn_coco.h5`` of the
    checkout (``forensic models fetch`` puts them there; they never ship in a wheel)."""
    return os.path.join(_CHECKOUT, "models", "mask_rcnn_coco.h5")
