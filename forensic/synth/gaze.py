"""Where each person looks: a plan of gaze segments per person (weights per scenario and role),
turned into smoothed head yaw and pitch in camera coordinates."""

from __future__ import annotations

import math

import numpy as np

from forensic.synth.scenarios import STALKING
from forensic.synth.world import Person

GAZE_WEIGHTS = {
    # scenario: {role: weights}
    "follow_lateral": {
        "follower": {"other": 0.88, "camera": 0.06, "ahead": 0.06},
        "target": {"ahead": 0.6, "phone": 0.15, "camera": 0.15, "away": 0.1},
    },
    "follow_toward": {
        "follower": {"other": 0.88, "camera": 0.06, "ahead": 0.06},
        "target": {"ahead": 0.55, "phone": 0.15, "camera": 0.15, "away": 0.15},
    },
    "loiter_stare": {
        "follower": {"other": 0.9, "camera": 0.05, "around": 0.05},
        "target": {"away": 0.4, "phone": 0.3, "camera": 0.2, "ahead": 0.1},
    },
    "talk": {"*": {"other": 0.72, "camera": 0.1, "away": 0.1, "around": 0.08}},
    "walk_side_by_side": {"*": {"ahead": 0.6, "other": 0.4}},
    "walk_toward_together": {"*": {"ahead": 0.5, "other": 0.38, "camera": 0.12}},
    "strangers_walk": {
        "a": {"ahead": 0.6, "phone": 0.2, "camera": 0.2},
        "b": {"phone": 0.4, "camera": 0.3, "away": 0.3},
    },
    "strangers_wait": {"*": {"phone": 0.35, "camera": 0.25, "away": 0.25, "around": 0.15}},
    "single": {"*": {"ahead": 0.45, "camera": 0.25, "around": 0.15, "phone": 0.15}},
}
LONG_GAZE = {"other": (1.5, 5.0), "ahead": (1.0, 4.0), "away": (1.0, 3.5), "phone": (1.0, 3.0)}


def gaze_segments(
    rng,
    n: int,
    fps: float,
    weights: dict[str, float],
    durations: dict[str, tuple[float, float]] | None = None,
    first: str | None = None,
) -> list[tuple]:
    """Segments (start, end, label, u) covering frames [0, n); u in [0, 1) parametrises the segment."""
    durations = durations or {}
    names = list(weights)
    p = np.array([weights[k] for k in names], float)
    p /= p.sum()
    out, i = [], 0
    label = first
    while i < n:
        if label is None:
            label = names[int(rng.choice(len(names), p=p))]
        lo, hi = durations.get(label, (1.2, 4.0) if weights.get(label, 0) >= 0.5 else (0.4, 1.2))
        d = max(1, int(round(rng.uniform(lo, hi) * fps)))
        out.append((i, min(n, i + d), label, float(rng.uniform())))
        i += d
        label = None
    return out


def plan_gazes(
    rng, scenario: str, people: list[Person], n: int, fps: float, t: np.ndarray, cam_x: np.ndarray, cam_z: np.ndarray
) -> None:
    if not people:
        return
    table = GAZE_WEIGHTS[scenario]
    for i, p in enumerate(people):
        other = people[1 - i] if len(people) == 2 else None
        weights = dict(table.get(p.role, table.get("*", {})))
        if other is None:
            weights.pop("other", None)
            weights.pop("away", None)
        durations = {k: v for k, v in LONG_GAZE.items()}
        if scenario in STALKING and p.role == "follower":
            durations.update(camera=(0.3, 0.8), ahead=(0.3, 0.8), around=(0.3, 0.8), other=(2.0, 8.0))
        if scenario == "talk":
            durations.update(other=(1.2, 4.0), camera=(0.4, 1.5), away=(0.4, 1.5), around=(0.4, 1.2))
        first = "other" if (scenario in STALKING and p.role == "follower") else None
        segments = gaze_segments(rng, n, fps, weights, durations, first)
        # a stranger may glance at the other once (never in stalking's target role)
        if scenario.startswith("strangers") and other is not None and rng.uniform() < 0.3 and n > fps:
            s = int(rng.integers(0, max(1, n - int(0.6 * fps))))
            segments.append((s, min(n, s + int(rng.uniform(0.3, 0.6) * fps)), "other", 0.0))
        labels = ["ahead"] * n
        us = np.zeros(n)
        for s, e, lab, u in segments:
            labels[s:e] = [lab] * (e - s)
            us[s:e] = u
        p.gaze = labels
        p.look["gaze_u"] = us
    for i, p in enumerate(people):
        other = people[1 - i] if len(people) == 2 else None
        p.yaw_want, p.pitch_want = gaze_angles(p, other, scenario, fps, t, cam_x, cam_z)


def gaze_angles(
    p: Person, other: Person | None, scenario: str, fps: float, t: np.ndarray, cam_x: np.ndarray, cam_z: np.ndarray
):
    """Planned head yaw and pitch (camera coordinates) per frame, smoothed."""
    lk = p.look
    cap = lk["yaw_cap"]
    vx = np.gradient(p.X) * fps if len(p.X) > 1 else np.zeros_like(p.X)
    vz = np.gradient(p.Z) * fps if len(p.Z) > 1 else np.zeros_like(p.Z)
    moving = np.hypot(vx, vz) > 0.4
    ahead = np.where(moving, np.degrees(np.arctan2(vx, -vz)), 0.0)
    ahead = np.clip(ahead, -cap, cap)
    if other is not None:
        dx, dz, dy = other.X - p.X, other.Z - p.Z, other.Yd - p.Yd
        to_other = np.degrees(np.arctan2(dx, -dz))
        pitch_other = np.degrees(np.arctan2(-dy, np.hypot(dx, dz)))
        side = np.sign(np.sin(np.radians(to_other)))  # which side the other person is on
        side[side == 0] = 1
    else:
        to_other = pitch_other = np.zeros_like(p.X)
        side = np.ones_like(p.X)
    # the camera's direction from the head (line of sight reversed): looking there looks frontal
    zr = np.maximum(p.Z - cam_z, 0.5)
    cam_yaw = -np.degrees(np.arctan((p.X - cam_x) / zr))
    cam_pitch = np.degrees(np.arctan(p.Yd / zr))
    yaw = np.zeros(len(p.X))
    pitch = np.full(len(p.X), lk["base_pitch"])
    u = lk["gaze_u"]
    for k, lab in enumerate(p.gaze):
        if lab == "other":
            yaw[k] = np.clip(to_other[k], -cap, cap)
            pitch[k] += pitch_other[k]
            if scenario == "talk":
                pitch[k] += lk["nod_amp"] * math.sin(2 * math.pi * lk["nod_hz"] * t[k] + lk["nod_phase"])
        elif lab == "ahead":
            yaw[k] = ahead[k]
        elif lab == "camera":
            yaw[k] = cam_yaw[k]
            pitch[k] = cam_pitch[k]
        elif lab == "away":
            yaw[k] = -side[k] * lk["away"] * (0.6 + 0.4 * u[k])
        elif lab == "phone":
            yaw[k] = 0.4 * ahead[k]
            pitch[k] = lk["phone_pitch"]
        elif lab == "around":
            yaw[k] = (2 * u[k] - 1) * cap
    if p.role == "target" and other is not None:
        # never looks back toward the follower: at most 8 degrees toward the follower's side
        yaw = np.where(side * yaw > 8.0, side * 8.0, yaw)
    # smooth the head turns (first order, time constant tau)
    return smooth(yaw, 1.0 / fps, lk["tau"]), smooth(pitch, 1.0 / fps, lk["tau"])


def smooth(x: np.ndarray, dt: float, tau: float) -> np.ndarray:
    """First-order low-pass, starting at the first value."""
    out = np.array(x, float)
    a = 1.0 - math.exp(-dt / tau)
    for i in range(1, len(out)):
        out[i] = out[i - 1] + a * (out[i] - out[i - 1])
    return out
