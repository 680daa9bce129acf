"""Pictures of real faces that ship with the installed packages (no download): scikit-image's
astronaut and matplotlib's grace_hopper, alone or side by side."""

from __future__ import annotations

import os

import numpy as np


def face_images(folder: str) -> dict[str, str]:
    """Pictures of real faces that ship with the installed packages, written as PNG into
    ``folder``: scikit-image's astronaut and matplotlib's grace_hopper."""
    import cv2
    import matplotlib.cbook
    import skimage.data

    os.makedirs(folder, exist_ok=True)
    out = {}
    astronaut = os.path.join(folder, "astronaut.png")
    cv2.imwrite(astronaut, cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))
    out["astronaut"] = astronaut
    out["grace_hopper"] = str(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    return out


def two_people_image(folder: str, gap: int = 120) -> str:
    """astronaut (left) and grace_hopper (right) side by side on one grey canvas, as a PNG: two real
    faces in one picture, for footage with two people."""
    import cv2

    faces = face_images(folder)
    a = cv2.imread(faces["astronaut"])
    b = cv2.imread(faces["grace_hopper"])
    h = max(a.shape[0], b.shape[0])
    canvas = np.full((h, a.shape[1] + gap + b.shape[1], 3), 90, np.uint8)
    canvas[h - a.shape[0] :, : a.shape[1]] = a
    canvas[h - b.shape[0] :, a.shape[1] + gap :] = b
    path = os.path.join(folder, "two_people.png")
    cv2.imwrite(path, canvas)
    return path
