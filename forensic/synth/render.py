"""Rendering a planned scene frame by frame: backdrop (scrolled and zoomed with the camera), people
far to near (body, re-posed head), lighting and grain; the ground truth of every person drawn."""

from __future__ import annotations

import math
from collections.abc import Iterator

import cv2
import numpy as np

from forensic.features.faces import POINT_INDEX0
from forensic.synth.backdrops import make_backdrop
from forensic.synth.drawing import draw_body, lighting_maps, paste
from forensic.synth.facepool import FacePool
from forensic.synth.scenarios import ANGLE_STEP, PITCH_RANGE, YAW_LIMIT
from forensic.synth.world import FrameTruth, Person, Scene


def render_scene(scene: Scene, pool: FacePool) -> Iterator[tuple[np.ndarray, list[FrameTruth]]]:
    """The scene's frames (BGR uint8, W x H) with the ground truth of each person per frame."""
    w, h = scene.size
    n = scene.frames
    fps = float(scene.fps)
    bd = scene.backdrop
    z_bg = max(bd["depth_hw"], 1.0)
    scroll = scene.camera_x * w / z_bg  # backdrop pixels at scale 1
    zoom = z_bg / np.maximum(z_bg - scene.camera_z, 1e-3)  # camera retreating: < 1
    smin = float(min(1.0, zoom.min())) if n else 1.0
    span = float(np.ptp(scroll)) if n else 0.0
    pw = int(math.ceil(w / smin + span + 64))
    ph = int(math.ceil(h / smin + 64))
    pano = make_backdrop(bd["kind"], bd["seed"], pw, ph)
    if bd["blur"] > 0.3:
        pano = cv2.GaussianBlur(pano, (0, 0), bd["blur"])
    base_x = pw / 2.0 - (scroll.min() + scroll.max()) / 2.0 if n else pw / 2.0
    gamma_lut, gain = lighting_maps(scene.lighting, w, h)
    noise_rng = np.random.default_rng(scene.lighting["noise_seed"])
    t = np.arange(n) / fps
    for i in range(n):
        s = float(zoom[i])
        # pano point (px, py) -> frame: x = w/2 + s * (px - base_x - scroll) + shake
        cx = base_x + scroll[i]
        m = np.array(
            [[s, 0, w / 2.0 - s * cx + scene.shake[i, 0]], [0, s, h / 2.0 - s * ph / 2.0 + scene.shake[i, 1]]],
            np.float64,
        )
        frame = cv2.warpAffine(pano, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        truths: list[FrameTruth | None] = [None] * len(scene.people)
        order = sorted(range(len(scene.people)), key=lambda k: -(scene.people[k].Z[i] - scene.camera_z[i]))
        for k in order:
            truths[k] = draw_person(frame, scene, pool, scene.people[k], i, t[i])
        frame = cv2.LUT(frame, gamma_lut)
        f = frame.astype(np.float32) * gain
        fl = scene.lighting["flicker"]
        if fl:
            f *= 1.0 + fl * math.sin(2 * math.pi * scene.lighting["flicker_hz"] * t[i])
        sigma = scene.lighting["noise"]
        if sigma > 0:
            f += noise_rng.standard_normal((h, w, 1), dtype=np.float32) * sigma
        yield np.clip(f + 0.5, 0, 255).astype(np.uint8), truths


def quantise(v: float) -> float:
    return round(v / ANGLE_STEP) * ANGLE_STEP


def draw_person(frame: np.ndarray, scene: Scene, pool: FacePool, p: Person, i: int, t: float) -> FrameTruth:
    w, h = scene.size
    model = pool.models[p.face]
    zr = max(float(p.Z[i] - scene.camera_z[i]), 0.5)
    xr = float(p.X[i] - scene.camera_x[i])
    fw = w / zr
    lk = p.look
    phase = 2 * math.pi * lk["step_hz"] * t + lk["step_phase"]
    bob = -abs(math.sin(phase)) * 0.05 * fw if p.walking else 0.0
    x = w / 2.0 + xr * fw + scene.shake[i, 0]
    y = h / 2.0 + float(p.Yd[i]) * fw + bob + scene.shake[i, 1]
    # line of sight: a head facing it looks frontal
    phi = math.degrees(math.atan((x - w / 2.0) / w))
    psi = math.degrees(math.atan(-(y - h / 2.0) / w))
    want_yaw = float(p.yaw_want[i])
    lo, hi = pool.yaw_ranges[p.face]
    drawn_yaw = quantise(float(np.clip(want_yaw + phi, max(lo, -YAW_LIMIT), min(hi, YAW_LIMIT))))
    drawn_pitch = quantise(float(np.clip(float(p.pitch_want[i]) + psi, *PITCH_RANGE)))
    swing = 0.35 * math.sin(phase) if p.walking else 0.05 * math.sin(0.8 * phase)
    narrow = 0.8 if p.walking and p.sideways[i] else 1.0
    draw_body(frame, x, y, fw, lk, pool.skin[p.face], swing, narrow)
    r = model.render(drawn_yaw, drawn_pitch)
    k = fw / model.face_width
    hw_, hh_ = r.image.shape[1], r.image.shape[0]
    nw, nh = max(1, round(hw_ * k)), max(1, round(hh_ * k))
    head = cv2.resize(r.image, (nw, nh), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
    alpha = cv2.resize(r.alpha, (nw, nh), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
    tint = np.array(lk["tint"], np.float32)
    head = np.clip(head.astype(np.float32) * tint, 0, 255).astype(np.uint8)
    kx, ky = nw / hw_, nh / hh_
    lm = np.column_stack([(r.landmarks[:, 0] + 0.5) * kx - 0.5, (r.landmarks[:, 1] + 0.5) * ky - 0.5])
    ox, oy = int(round(x - lm[33, 0])), int(round(y - lm[33, 1]))
    paste(frame, head, alpha, ox, oy)
    lm = lm + (ox, oy)
    six = lm[list(POINT_INDEX0)]
    x0, y0 = lm.min(axis=0)
    x1, y1 = lm.max(axis=0)
    nose = lm[33]
    phi = math.degrees(math.atan((nose[0] - w / 2.0) / w))
    psi = math.degrees(math.atan(-(nose[1] - h / 2.0) / w))
    return FrameTruth(
        nose=(float(nose[0]), float(nose[1])),
        face_width=float(fw),
        yaw=drawn_yaw - phi,
        pitch=drawn_pitch - psi,
        drawn_yaw=drawn_yaw,
        drawn_pitch=drawn_pitch,
        six=np.round(six, 2).tolist(),
        box=(int(x0), int(y0), int(math.ceil(x1)), int(math.ceil(y1))),
        in_frame=bool(x0 >= 0 and y0 >= 0 and x1 < w and y1 < h),
    )
