"""A tiny labelled data set made here: two real faces (scikit-image's astronaut, matplotlib's
Grace Hopper) composed with OpenCV on a 320 x 240 grey canvas and written as 3 s clips with ffmpeg.

stalking/      the two people far apart (the paper: a stalker keeps a distance)
non_stalking/  the two people side by side

Each clip differs (background grey, positions, which person is on the left). It only has to
exercise the pipeline end to end, not be realistic. Extra files test what is left out: a clip
that cannot be decoded, a text file, a clip with no faces (insufficient_subjects), a copy.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from forensic.synth.lavfi import Shot, face_images, make_clip

W, H = 320, 240
FPS = 10
FRAMES = 30  # 3 s
EXTENSIONS = (".mp4", ".mkv", ".avi", ".mov")  # any video format: clip i gets EXTENSIONS[i % 4]


def heads(folder: str) -> tuple[np.ndarray, np.ndarray]:
    """Head-and-shoulders crops of the two faces (faces ~55 px wide once on the canvas)."""
    faces = face_images(folder)
    a = cv2.imread(faces["astronaut"])
    b = cv2.imread(faces["grace_hopper"])
    return (
        cv2.resize(a[30:260, 130:310], (108, 138), interpolation=cv2.INTER_AREA),
        cv2.resize(b[60:450, 110:440], (108, 128), interpolation=cv2.INTER_AREA),
    )


def scene(a: np.ndarray, b: np.ndarray, far: bool, rng: np.random.Generator) -> np.ndarray:
    canvas = np.full((H, W, 3), int(rng.integers(60, 160)), np.uint8)
    left, right = (a, b) if rng.random() < 0.5 else (b, a)
    xl, xr = (4, 208) if far else (58, 154)
    for img, x in ((left, xl), (right, xr)):
        x = int(np.clip(x + rng.integers(-4, 5), 0, W - img.shape[1]))
        y = H - img.shape[0] - int(rng.integers(0, 20))
        canvas[y : y + img.shape[0], x : x + img.shape[1]] = img
    return canvas


def make_dataset(root: Path, per_class: int, seed: int = 0, extras: bool = True) -> Path:
    """DATASET/stalking and DATASET/non_stalking with ``per_class`` clips each (and, with
    ``extras``, the files that must be left out)."""
    work = root / "_work"
    work.mkdir(parents=True)
    a, b = heads(str(work))
    rng = np.random.default_rng(seed)
    data = root / "dataset"
    for label, far in (("stalking", True), ("non_stalking", False)):
        (data / label).mkdir(parents=True)
        for i in range(per_class):
            png = work / f"{label}_{i}.png"
            cv2.imwrite(str(png), scene(a, b, far, rng))
            ext = EXTENSIONS[i % len(EXTENSIONS)]
            # AVI with MPEG-4 part 2, its usual codec (H.264 with B-frames in AVI: see the closing note)
            codec = {"codec_args": ("-c:v", "mpeg4", "-q:v", "3")} if ext == ".avi" else {}
            make_clip(
                str(data / label / f"{label}_{i:02d}{ext}"),
                [Shot(f"still:{png}", FRAMES)],
                fps=FPS,
                size=(W, H),
                **codec,
            )
    if extras:
        (data / "stalking" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
        (data / "non_stalking" / "notes.txt").write_text("not a clip\n")
        make_clip(str(data / "non_stalking" / "nobody.mkv"), [Shot("testsrc2", FRAMES)], fps=FPS, size=(W, H))
        shutil.copy(data / "stalking" / "stalking_00.mp4", data / "stalking" / "copy_of_00.mp4")
    shutil.rmtree(work)
    return data


@pytest.fixture(scope="session")
def dataset(tmp_path_factory) -> Path:
    """5 clips per class and the extras; read-only to the tests (the evidence)."""
    return make_dataset(tmp_path_factory.mktemp("model_data"), per_class=5)


def env() -> dict[str, str]:
    e = dict(os.environ)
    e.setdefault("TF_USE_LEGACY_KERAS", "1")
    e.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return e
