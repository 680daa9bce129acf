"""Drawing on a frame: anti-aliased polygons and limbs, a body under a head, pasting a head with its
alpha, and the lighting maps."""

from __future__ import annotations

import math

import cv2
import numpy as np


def poly(img, pts, color, shift=4):
    p = np.round(np.asarray(pts, np.float64) * (1 << shift)).astype(np.int32)
    cv2.fillPoly(img, [p], color, cv2.LINE_AA, shift)


def limb(img, a, b, width, color, shift=4):
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    n = np.array([-d[1], d[0]]) / (np.linalg.norm(d) + 1e-9) * width / 2
    poly(img, [a + n, b + n, b - n, a - n], color, shift)


def draw_body(img: np.ndarray, x: float, y: float, fw: float, look: dict, skin, swing: float, narrow: float) -> None:
    """A drawn upper body under the head whose nose is at (x, y) and face fw wide."""
    s = fw
    shirt = tuple(int(c) for c in look["shirt"])
    second = tuple(int(c) for c in look["second"])
    dark = tuple(int(c * 0.75) for c in shirt)
    skin = tuple(int(c * 0.92) for c in skin)
    half = 1.2 * s * look["build"] * narrow
    waist = 0.9 * s * look["build"] * narrow
    sh_y = y + 1.0 * s
    bottom = y + 5.2 * s
    # legs (visible for small people), behind the torso
    pants = tuple(int(c) for c in look["pants"])
    for side in (-1, 1):
        hip = (x + side * 0.45 * waist, bottom - 0.3 * s)
        foot = (hip[0] + side * 0.2 * s + math.sin(swing * side) * 1.2 * s, hip[1] + 4.0 * s)
        limb(img, hip, foot, 0.55 * s, pants)
    # arms behind the torso edges
    for side in (-1, 1):
        sh = (x + side * half * 0.9, sh_y + 0.25 * s)
        ang = side * 0.12 + swing * side
        el = (sh[0] + math.sin(ang) * 1.5 * s, sh[1] + math.cos(ang) * 1.5 * s)
        hand = (el[0] + math.sin(ang * 1.4) * 1.4 * s, el[1] + math.cos(ang * 1.4) * 1.4 * s)
        limb(img, sh, el, 0.42 * s, dark)
        limb(img, el, hand, 0.36 * s, dark)
        cv2.circle(img, (int(hand[0]), int(hand[1])), max(1, int(0.2 * s)), skin, -1, cv2.LINE_AA)
    # neck
    poly(
        img,
        [
            (x - 0.28 * s, y + 0.3 * s),
            (x + 0.28 * s, y + 0.3 * s),
            (x + 0.32 * s, sh_y + 0.2 * s),
            (x - 0.32 * s, sh_y + 0.2 * s),
        ],
        skin,
    )
    torso = [
        (x - half, sh_y + 0.35 * s),
        (x - half * 0.8, sh_y),
        (x + half * 0.8, sh_y),
        (x + half, sh_y + 0.35 * s),
        (x + waist, bottom),
        (x - waist, bottom),
    ]
    poly(img, torso, shirt)
    pattern = look["pattern"]
    if pattern == "stripes":
        x0, x1 = int(x - half), int(x + half) + 1
        y0, y1 = int(sh_y), int(bottom) + 1
        H, W = img.shape[:2]
        cx0, cx1, cy0, cy1 = max(0, x0), min(W, x1), max(0, y0), min(H, y1)
        if cx1 > cx0 and cy1 > cy0:
            roi = img[cy0:cy1, cx0:cx1]
            mask = np.zeros(roi.shape[:2], np.uint8)
            poly(mask, [(px - cx0, py - cy0) for px, py in torso], 255)
            stripes = roi.copy()
            step = max(3.0, 0.32 * s)
            for yy in np.arange(y0 - cy0, cy1 - cy0, step):
                cv2.rectangle(stripes, (0, int(yy)), (roi.shape[1], int(yy + step / 2)), second, -1)
            roi[mask > 0] = stripes[mask > 0]
    elif pattern == "jacket":
        poly(img, [(x - 0.25 * s, sh_y), (x + 0.25 * s, sh_y), (x + 0.3 * s, bottom), (x - 0.3 * s, bottom)], second)
    # collar
    poly(img, [(x - 0.32 * s, sh_y - 0.02 * s), (x + 0.32 * s, sh_y - 0.02 * s), (x, sh_y + 0.3 * s)], skin)
    # shading: the side away from the light a little darker
    poly(
        img,
        [
            (x + half * 0.55, sh_y + 0.1 * s),
            (x + half, sh_y + 0.35 * s),
            (x + waist, bottom),
            (x + waist * 0.6, bottom),
        ],
        tuple(int(c * 0.85) for c in shirt),
    )


def paste(img: np.ndarray, head: np.ndarray, alpha: np.ndarray, ox: int, oy: int) -> None:
    H, W = img.shape[:2]
    h, w = head.shape[:2]
    x0, y0, x1, y1 = max(0, ox), max(0, oy), min(W, ox + w), min(H, oy + h)
    if x1 <= x0 or y1 <= y0:
        return
    a = alpha[y0 - oy : y1 - oy, x0 - ox : x1 - ox, None]
    roi = img[y0:y1, x0:x1].astype(np.float32)
    src = head[y0 - oy : y1 - oy, x0 - ox : x1 - ox].astype(np.float32)
    img[y0:y1, x0:x1] = (src * a + roi * (1 - a) + 0.5).astype(np.uint8)


def lighting_maps(light: dict, w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    gamma_lut = np.clip(((np.arange(256) / 255.0) ** light["gamma"]) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot((xx - w / 2) / (w / 2), (yy - h / 2) / (h / 2)) / math.sqrt(2)
    m = (1.0 - light["vignette"] * r**2) * (1.0 + light["ramp"] * (xx / w * 2 - 1)) * light["gain"]
    gain = m[..., None] * np.array(light["tint"], np.float32)[None, None, :]
    return gamma_lut, gain.astype(np.float32)
