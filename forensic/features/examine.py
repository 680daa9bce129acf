"""What the tool sees in one picture: every face found, with its box, detector score, 68 landmarks,
the paper's six points, yaw and pitch (``forensic faces``; how an examiner checks the perception
stage, and how it is measured)."""

from __future__ import annotations

import os
from typing import Any

import cv2
import numpy as np

from forensic.features import pose
from forensic.features.faces import POINT_NAMES, Face, FaceFinder, SmallFace

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def load_picture(path: str, frame: int = 0) -> np.ndarray:
    """An image file, or frame ``frame`` (decoded-frame index from 0) of a video, upright, BGR.
    Opened read-only."""
    if path.lower().endswith(IMAGE_EXTENSIONS):
        data = np.fromfile(path, dtype=np.uint8)
        img = cv2.imdecode(data, cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(f"{path}: not an image OpenCV can read")
        if frame:
            raise ValueError(f"{path} is an image: it has no frame {frame}")
        return img
    from forensic import intake
    from forensic.segments.decode import read_frames_by_index

    item = intake.discover([path])[0]
    info = intake.probe_item(item) if intake.hash_item(item) else None
    if info is None:
        raise ValueError(f"{path}: {item.status}: {item.reason or 'not readable as video'}")
    got = read_frames_by_index(path, [frame], info.stream_index, item.rotation or 0)
    if frame not in got:
        raise ValueError(f"{path}: there is no frame {frame}")
    return got[frame]


def describe_face(face: Face | SmallFace, width: int, height: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "box": [int(v) for v in face.box],
        "width_px": int(face.box[2] - face.box[0]),
        "detector": face.detector,
        "score": round(float(face.score), 4),
    }
    if isinstance(face, SmallFace):
        out.update(
            landmarks=None,
            six=None,
            yaw=None,
            pitch=None,
            note="too small for landmarks: a person present, not used for pose",
        )
        return out
    yp = pose.yaw_pitch(face.six, width, height)
    out.update(
        landmarks=[[round(float(x), 1), round(float(y), 1)] for x, y in face.landmarks],
        six={name: [round(float(x), 1), round(float(y), 1)] for name, (x, y) in zip(POINT_NAMES, face.six)},
        yaw=None if yp is None else round(yp[0], 2),
        pitch=None if yp is None else round(yp[1], 2),
    )
    return out


def examine(image_bgr: np.ndarray, finder: FaceFinder) -> dict[str, Any]:
    """Every face in the picture, largest first; faces too small for landmarks last."""
    h, w = image_bgr.shape[:2]
    faces, small = finder.find(image_bgr)
    return {
        "width": w,
        "height": h,
        "face_detector": finder.name,
        "faces": [describe_face(f, w, h) for f in [*faces, *small]],
    }


def draw(image_bgr: np.ndarray, result: dict[str, Any]) -> np.ndarray:
    """A copy with each face's box, landmarks (the six larger), number and yaw/pitch."""
    out = image_bgr.copy()
    h, w = out.shape[:2]
    s = max(1.0, w / 640.0)
    for i, f in enumerate(result["faces"]):
        x0, y0, x1, y1 = f["box"]
        colour = (0, 200, 255) if f["landmarks"] else (160, 160, 160)
        cv2.rectangle(out, (x0, y0), (x1, y1), colour, max(1, round(s)))
        for x, y in f["landmarks"] or []:
            cv2.circle(out, (int(x), int(y)), max(1, round(s)), (0, 255, 0), -1, cv2.LINE_AA)
        for x, y in (f["six"] or {}).values():
            cv2.circle(out, (int(x), int(y)), max(2, round(3 * s)), (0, 0, 255), -1, cv2.LINE_AA)
        text = f"{i}" if f["yaw"] is None else f"{i} yaw {f['yaw']:+.0f} pitch {f['pitch']:+.0f}"
        cv2.putText(
            out, text, (x0, max(12, y0 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.45 * s, colour, max(1, round(s)), cv2.LINE_AA
        )
    return out


def write_annotated(out_dir: str, name: str, image_bgr: np.ndarray, result: dict[str, Any]) -> str:
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, name)
    ok, png = cv2.imencode(".png", draw(image_bgr, result))
    if not ok:
        raise ValueError("could not encode the annotated picture")
    with open(path, "wb") as f:
        f.write(png.tobytes())
    return path
