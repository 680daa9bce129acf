"""Annotated keyframes for the report: people mask, 68 landmarks with the paper's 6 highlighted,
head-pose direction lines (the paper's Figure 4), the nose-to-nose distance line with its value
(Figure 5), person labels A/B, and the frame's time and number. Always draws on a copy."""

from __future__ import annotations

import cv2
import numpy as np

from forensic.features import pose
from forensic.features.background import PeopleMask
from forensic.features.faces import POINT_INDEX0, Face

COLORS = {"A": (0, 200, 255), "B": (255, 120, 0)}  # BGR: amber, blue
MASK_TINT = (80, 200, 80)


def annotate(
    image_bgr: np.ndarray,
    pair: tuple[Face | None, Face | None],
    people: PeopleMask | None = None,
    others: list[Face] = (),
    frame_index: int | None = None,
    time_text: str = "",
) -> np.ndarray:
    out = image_bgr.copy()
    h, w = out.shape[:2]
    scale = max(1.0, w / 640.0)
    thick = max(1, round(2 * scale))
    if people is not None and people.mask.any():
        tint = out.copy()
        tint[people.mask] = MASK_TINT
        out = cv2.addWeighted(out, 0.75, tint, 0.25, 0)
        edge = cv2.morphologyEx(people.mask.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
        out[edge.astype(bool)] = MASK_TINT
    for face in others:  # faces found but not one of the two people
        if face not in pair:
            x0, y0, x1, y1 = face.box
            cv2.rectangle(out, (x0, y0), (x1, y1), (160, 160, 160), 1)
    for label, face in zip(("A", "B"), pair):
        if face is None:
            continue
        color = COLORS[label]
        x0, y0, x1, y1 = face.box
        cv2.rectangle(out, (x0, y0), (x1, y1), color, thick)
        for i, (x, y) in enumerate(face.landmarks):
            big = i in POINT_INDEX0
            cv2.circle(
                out,
                (int(round(x)), int(round(y))),
                (3 if big else 1) * max(1, round(scale)),
                (0, 0, 255) if big else (255, 255, 255),
                -1,
            )
        line = pose.direction_line(face.six, w, h, length=0.8 * max(1, y1 - y0) * 330 / 100)
        yp = pose.yaw_pitch(face.six, w, h)
        if line is not None:
            p0, p1 = (tuple(int(round(v)) for v in p) for p in line)
            cv2.arrowedLine(out, p0, p1, color, thick, tipLength=0.15)
        text = label if yp is None else f"{label} yaw {yp[0]:+.0f} pitch {yp[1]:+.0f}"
        _label(out, text, (x0, max(0, y0 - 6)), color, scale)
    a, b = pair
    if a is not None and b is not None:
        pa, pb = (tuple(int(round(v)) for v in f.nose) for f in (a, b))
        cv2.line(out, pa, pb, (0, 255, 0), thick)
        d = float(np.linalg.norm(a.nose - b.nose))
        mid = ((pa[0] + pb[0]) // 2, (pa[1] + pb[1]) // 2)
        _label(out, f"{d:.0f} px", (mid[0], mid[1] - 6), (0, 255, 0), scale)
    stamp = " ".join(x for x in (time_text, f"frame {frame_index}" if frame_index is not None else "") if x)
    if stamp:
        _label(out, stamp, (6, h - 8), (255, 255, 255), scale)
    return out


def _label(img: np.ndarray, text: str, org: tuple[int, int], color, scale: float) -> None:
    fs = 0.5 * scale
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, fs, 1)
    x, y = org
    x = min(max(0, x), max(0, img.shape[1] - tw - 2))
    y = max(th + 2, y)
    cv2.rectangle(img, (x - 2, y - th - 3), (x + tw + 2, y + base), (0, 0, 0), -1)
    cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, fs, color, 1, cv2.LINE_AA)
