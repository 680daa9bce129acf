"""Backdrops: drawn streets, rooms and parks with photographic textures, or photos (scikit-image
pictures), from a seed."""

from __future__ import annotations

import functools

import cv2
import numpy as np

from forensic.synth.draws import uniform


@functools.cache
def texture(name: str) -> np.ndarray:
    import skimage.data

    if name == "stereo_motorcycle":
        img = skimage.data.stereo_motorcycle()[0]
    else:
        img = getattr(skimage.data, name)()
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    img = img[..., :3]
    if img.dtype != np.uint8:
        img = (255 * (img.astype(np.float64) / max(1e-9, float(img.max())))).astype(np.uint8)
    return np.ascontiguousarray(img[..., ::-1])  # BGR


def tile(tex: np.ndarray, w: int, h: int, scale: float) -> np.ndarray:
    t = cv2.resize(tex, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    reps = (h // t.shape[0] + 2, w // t.shape[1] + 2)
    flip = np.concatenate([t, t[:, ::-1]], axis=1)
    flip = np.concatenate([flip, flip[::-1]], axis=0)
    big = np.tile(flip, (reps[0] // 2 + 1, reps[1] // 2 + 1, 1))
    return big[:h, :w].copy()


def tinted(tex: np.ndarray, bgr, strength: float = 0.8) -> np.ndarray:
    g = cv2.cvtColor(tex, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255.0
    col = np.array(bgr, np.float32)[None, None, :]
    out = col * (1 - strength + strength * 2 * g[..., None])
    return np.clip(out, 0, 255).astype(np.uint8)


def random_colour(rng, h=None, s=(20, 160), v=(60, 230)):
    hh = int(rng.integers(0, 180)) if h is None else int(h) % 180
    hsv = np.uint8([[[hh, int(rng.integers(*s)), int(rng.integers(*v))]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].tolist()


def make_backdrop(kind: str, seed: int, w: int, h: int) -> np.ndarray:
    """A w x h backdrop (BGR) of the given kind (street, indoor, park, photo), from its seed."""
    rng = np.random.default_rng(seed)
    horizon = int(h * uniform(rng, 0.45, 0.62))
    img = np.zeros((h, w, 3), np.uint8)
    if kind == "photo":
        name = str(rng.choice(["rocket", "coffee", "stereo_motorcycle", "hubble_deep_field", "gravel"]))
        tex = texture(name)
        scale = h / tex.shape[0] * uniform(rng, 1.0, 1.5)
        img = tile(tex, w, h, scale)
    elif kind == "street":
        sky_top, sky_bot = (
            np.array(random_colour(rng, int(rng.integers(95, 115)), (30, 120), (150, 250)), float),
            np.array(random_colour(rng, int(rng.integers(90, 120)), (5, 60), (170, 255)), float),
        )
        ramp = np.linspace(0, 1, h)[:, None, None]
        img[:] = (sky_top * (1 - ramp) + sky_bot * ramp).astype(np.uint8)
        x = 0
        brick = texture("brick")
        while x < w:
            bw = int(rng.uniform(0.35, 1.1) * h)
            top = int(rng.uniform(0.02, 0.35) * h)
            col = random_colour(rng, None, (10, 120), (50, 220))
            if rng.uniform() < 0.4:
                facade = tinted(tile(brick, bw, h, uniform(rng, 0.2, 0.5)), col, 0.6)
                img[top:, x : x + bw] = facade[: h - top, : max(0, min(bw, w - x))]
            else:
                cv2.rectangle(img, (x, top), (x + bw, h), col, -1)
            win = random_colour(rng, None, (0, 80), (20, 250))
            ww, wh = max(4, int(bw * uniform(rng, 0.08, 0.16))), max(6, int(h * uniform(rng, 0.06, 0.12)))
            gx, gy = int(ww * uniform(rng, 1.6, 2.6)), int(wh * uniform(rng, 1.5, 2.2))
            for yy in range(top + gy // 2, horizon - wh, gy):
                for xx in range(x + gx // 3, x + bw - ww, gx):
                    c = win if rng.uniform() < 0.8 else random_colour(rng, 25, (50, 150), (150, 255))
                    cv2.rectangle(img, (xx, yy), (xx + ww, yy + wh), c, -1)
            if rng.uniform() < 0.6:  # door
                dw = int(bw * 0.18)
                dx = x + int(rng.uniform(0.1, 0.7) * bw)
                door = random_colour(rng, None, (20, 150), (20, 140))
                cv2.rectangle(img, (dx, horizon - int(h * 0.22)), (dx + dw, horizon), door, -1)
            x += bw + int(rng.integers(0, 12))
        ground_col = random_colour(rng, None, (0, 30), (90, 180))
        ground = tinted(tile(texture("gravel"), w, h - horizon, uniform(rng, 0.3, 0.7)), ground_col, 0.5)
        img[horizon:] = ground
        cv2.line(img, (0, horizon), (w, horizon), random_colour(rng, None, (0, 30), (150, 220)), max(2, h // 90))
        for xx in range(int(rng.integers(0, 200)), w, int(rng.uniform(0.6, 1.5) * h)):  # lamp posts
            cv2.rectangle(img, (xx, int(h * 0.12)), (xx + max(3, h // 70), horizon + h // 20), (40, 40, 45), -1)
    elif kind == "indoor":
        wall = np.array(random_colour(rng, None, (0, 90), (110, 235)), float)
        shade = 1.0 - 0.25 * np.linspace(0, 1, h)[:, None, None] * uniform(rng, 0.2, 1.0)
        img[:] = np.clip(wall * shade, 0, 255).astype(np.uint8)
        band = horizon + int(h * uniform(rng, 0.05, 0.15))
        cv2.rectangle(img, (0, band), (w, h), random_colour(rng, None, (10, 120), (40, 180)), -1)
        x = int(rng.integers(0, h))
        while x < w:
            kind2 = rng.uniform()
            if kind2 < 0.4:  # door
                dw, dh = int(h * 0.28), int(h * 0.62)
                cv2.rectangle(img, (x, band - dh), (x + dw, band), random_colour(rng, None, (20, 160), (30, 200)), -1)
                cv2.rectangle(img, (x, band - dh), (x + dw, band), (30, 30, 30), max(2, h // 120))
                x += dw
            elif kind2 < 0.8:  # poster / picture
                pw, ph = int(h * uniform(rng, 0.15, 0.35)), int(h * uniform(rng, 0.15, 0.3))
                py = int(h * uniform(rng, 0.08, 0.3))
                cv2.rectangle(img, (x, py), (x + pw, py + ph), random_colour(rng), -1)
                for _ in range(int(rng.integers(1, 5))):
                    cx, cy = x + int(rng.uniform(0.1, 0.9) * pw), py + int(rng.uniform(0.1, 0.9) * ph)
                    cv2.circle(img, (cx, cy), int(min(pw, ph) * uniform(rng, 0.05, 0.3)), random_colour(rng), -1)
                cv2.rectangle(img, (x, py), (x + pw, py + ph), (20, 20, 20), max(1, h // 150))
                x += pw
            x += int(h * uniform(rng, 0.15, 0.6))
        floor_col = random_colour(rng, None, (0, 80), (60, 200))
        fy = band + int(h * 0.08)
        img[fy:] = tinted(tile(texture("gravel"), w, h - fy, 0.4), floor_col, 0.35)
    else:  # park
        sky = np.array(random_colour(rng, int(rng.integers(95, 112)), (30, 140), (170, 255)), float)
        img[:] = sky.astype(np.uint8)
        grass = texture("grass")
        tree_col = random_colour(rng, int(rng.integers(35, 75)), (90, 200), (40, 120))
        trees = tinted(tile(grass, w, h, uniform(rng, 0.4, 0.8)), tree_col, 0.8)
        edge = (horizon - h * uniform(rng, 0.15, 0.35) + np.cumsum(rng.normal(0, h * 0.01, w))).astype(int)
        edge = np.clip(edge, int(h * 0.05), horizon)
        rows = np.arange(h)[:, None]
        mask = rows >= edge[None, :]
        img[mask] = trees[mask]
        lawn_col = random_colour(rng, int(rng.integers(35, 60)), (80, 180), (90, 190))
        lawn = tinted(tile(grass, w, h - horizon, uniform(rng, 0.3, 0.6)), lawn_col, 0.7)
        img[horizon:] = lawn
        py = horizon + int((h - horizon) * uniform(rng, 0.3, 0.6))
        path = tinted(tile(texture("gravel"), w, h - py, 0.5), random_colour(rng, 20, (10, 60), (120, 210)), 0.5)
        img[py:] = path
    return img
