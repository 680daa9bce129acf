"""Scenario footage with ground truth: labelled 3-8 s clips for training and long multi-scene
archives for scoring a whole scan.

People are real face photographs (:mod:`forensic.synth.faces3d`, re-posed to a controlled yaw
and pitch every frame) on a drawn body, in front of a drawn or photographic backdrop. Everything
is decided by a seed: the same seed gives byte-identical frames (before encoding).

The world (a 2.5D pinhole model)
--------------------------------
Lengths are in head widths (hw, ~0.14 m, the jaw width dlib's points 1..17 span). The camera is
the one :mod:`forensic.features.pose` assumes: focal length = frame width W, principal point =
frame centre, at about eye height. A head at lateral X, depth Z (relative to the camera), eyes Yd
below the camera has face width ``fw = W / Z`` pixels and its nose at
``x = W/2 + X * fw``, ``y = H/2 + Yd * fw``. So the frame is Z head widths wide at that depth, and
with faces of 56..130 px (dlib's HOG detector, upsample 1, needs ~50) people stand 5..15 hw from
a 640..854 px camera. The camera may track sideways with the walkers (the backdrop, ~2-6 times
further, scrolls with parallax) or retreat in front of people walking toward it (the backdrop
shrinks). A handheld jitter of a few pixels is added to a third of the scenes.

Head pose ground truth is in camera coordinates, the convention of :mod:`forensic.features.pose`
(yaw > 0 toward the image's right, pitch > 0 up), so it is what ``pose.yaw_pitch`` should read:
a head off the image centre is drawn turned by the angle of its line of sight (a head that looks
at the camera looks frontal wherever it is). Yaw 0, pitch 0 is the face photo as photographed.
The drawn yaw (relative to the line of sight) is kept inside each face's dlib-detectable range
(:func:`forensic.synth.faces3d.detectable_yaw_range` less 4 degrees: -28..+32 at best for the
packaged faces, +-16 at least) and the drawn pitch within -25..+4 degrees (dlib loses turned
faces that tilt up; see docs/synth_contact_sheet.png), quantised to 0.5 degree; the ground truth
is what was drawn.

Gaze: every person follows a plan of gaze segments: ``other`` (the head turned toward the other
person, the geometric direction capped at the person's own 22..32 degree limit), ``ahead`` (the
walking direction, capped), ``camera``, ``away`` (turned 12..30 degrees away from the other
person), ``phone`` (head down 15..25 degrees) and ``around``; head turns are smoothed (time
constant 0.12..0.25 s); base pitch N(0, 3) degrees per person. Noses sit at 0.40..0.55 of the
frame height.

Scenarios and their parameter distributions (U(a, b): uniform)
-------------------------------------------------------------
gap: distance between the two heads in hw (X and Z); image nose distance ~ gap * fw.

stalking (the paper: one person keeps a distance, follows along the other's path, head turned
toward them; the other faces away or does not look back):

* ``follow_lateral`` (40 %): both walk across the frame at U(3.5, 7) hw/s, the camera tracking
  them (U(0.75, 1) of their speed, less drift when the pair would leave the frame); the follower
  walks the target's own path (its position gap/speed seconds earlier) gap U(2, 6.5) hw behind
  (less when the frame is too narrow at that depth), U(0, 1.5) hw further back; the follower
  looks at the target ~88 % of the time (glances of 0.3..0.8 s elsewhere); the target looks
  ahead (away from the follower), at a phone, at the camera or away, and never turns more than
  8 degrees toward the follower's side.
* ``follow_toward`` (30 %): both walk toward a retreating camera (U(2.5, 5) hw/s, camera at
  U(0.8, 1) of it); the follower walks the target's path gap U(2, 5) hw behind in depth and
  U(1.2, 3) hw to the side, looking at the target; the target looks ahead/phone/camera/away.
* ``loiter_stare`` (30 %): the target stands or walks slowly (U(0.3, 0.9) hw/s, half the
  scenes) away from the follower, who keeps gap U(2.5, 7) hw (following when the target walks)
  and stares at the target ~90 % of the time; the target looks away, at a phone, at the camera.

non-stalking (two people together, close, facing each other or the same way, talking or walking
side by side), plus strangers at stalking distances so that distance alone does not decide:

* ``talk`` (25 %): standing gap U(1.3, 3) hw apart (depths within ~0.5 hw), facing each other
  ~72 % of the time, nodding (pitch U(1, 6) degrees at U(0.3, 1.2) Hz), sometimes looking at the
  camera, away or around; camera static or slowly panning.
* ``walk_side_by_side`` (20 %): walking across together (as follow_lateral's motion) gap
  U(1.1, 3) hw, depths differing by U(-1, 1.5) hw, in step (the same path at the same time, not
  one after the other), both looking ahead ~60 % and at each other ~40 % (so the front person
  looks back).
* ``walk_toward_together`` (20 %): abreast toward a retreating camera, gap U(1.3, 2.8) hw,
  looking ahead, at each other, at the camera.
* ``strangers_walk`` (15 %): walking the same way at different depths (U(1.5, 4) hw apart in
  depth, U(2.5, 6.5) hw apart sideways), each on their own path and pace, not looking at each
  other (the one behind looks at a phone, the camera or away, not ahead).
* ``strangers_wait`` (20 %): standing U(2.5, 7) hw apart, each looking at a phone, the camera,
  away or around, not at each other.

Resulting mean image nose distances in face widths (5th..95th percentile over 300 planned clips
of each class): follow_lateral 2.2..6.2, follow_toward 1.1..2.8 (the gap is in depth),
loiter_stare 2.9..6.7; talk 1.5..2.9, walk_side_by_side 1.2..2.9, walk_toward_together 1.4..2.7,
strangers_walk 3.3..6.7, strangers_wait 2.6..6.5. Stalking as a whole 1.5..6.4 (median 3.7),
non-stalking 1.4..6.0 (median 2.5): distance alone does not separate the classes.

For archives also ``single`` (one person walking across, toward the camera, or standing) and
``empty`` (the backdrop only, static or panning).

Look: frame sizes 640x360 (50 %), 640x480 (20 %), 480x360 (15 %), 854x480 (15 %) for clips;
24/25/30 fps; face widths 56..min(130, W/5) px; backdrops ``street``, ``indoor``, ``park`` (drawn,
with photographic textures from scikit-image: brick, grass, gravel) or ``photo`` (scikit-image's
rocket, coffee, stereo motorcycle, Hubble deep field, gravel pictures), blurred U(0, 1.8) px; lighting gain U(0.65, 1.25),
gamma U(0.8, 1.25), colour tint +-8 % per channel, vignette U(0, 0.45), a left-right light ramp
+-15 %, flicker in 15 % of scenes; grain sigma U(0, 7) (none in 20 %); shirt colours and patterns
random; each person's face tinted +-6 %. Clips are H.264 (CRF U{18..32}) in 80 % and MPEG-4
part 2 (q U{2..8}) in 20 %, all .mp4. Faces: the packaged astronaut and grace_hopper and their
mirror images (four faces, the two people of a clip always two different persons), plus every
face dlib finds in ``--faces DIR``.

Archives: files of U(1.5, 4) minutes (at least two), each in one of MP4/H.264 960x540 25 fps,
MKV/H.264 854x480 29.97 fps, MPEG-TS/MPEG-2 720x576 25 fps, AVI/MPEG-4 640x480 24 fps,
MOV/H.264 640x360 30 fps (each file another one); scenes back to back with hard cuts (a different backdrop kind every
time): empty 15 % (2-8 s), single 20 % (4-10 s), stalking 30 % (5-15 s), non-stalking 35 %
(5-15 s), scenarios within a class as for clips.

Ground truth files: one JSON per clip (beside it, same name: label, scenario, seed, the sampled
parameters, and per frame and person the nose position, face width, yaw, pitch, gaze, the six
points, the face photo), ``clips.csv`` (one row per clip), ``ground_truth.csv`` for an archive (one
row per scene interval; single-person and empty scenes are labelled non_stalking, their scenario
says which) with one JSON per archive file, and ``generator.json`` in every output folder (these
distributions, the faces and their yaw ranges).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import math
import os
import subprocess
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterator

import cv2
import numpy as np

from forensic.features.faces import POINT_INDEX0
from forensic.synth import faces3d

GENERATOR = "forensic.synth.scenes/1"
FW_MIN = 56.0  # smallest face width drawn, pixels
FW_MAX = 130.0  # largest, pixels (and at most W / 5)
YAW_LIMIT = 36.0  # drawn (apparent) yaw limit, degrees (each face has its own, narrower: FacePool)
PITCH_RANGE = (-25.0, 4.0)  # drawn pitch limits, degrees
YAW_MARGIN = 4.0  # degrees inside each face's dlib-detectable yaw range
ANGLE_STEP = 0.5  # drawn angles are quantised to this (so re-posed heads can be cached)

STALKING = {"follow_lateral": 0.4, "follow_toward": 0.3, "loiter_stare": 0.3}
NON_STALKING = {"talk": 0.25, "walk_side_by_side": 0.2, "walk_toward_together": 0.2,
                "strangers_walk": 0.15, "strangers_wait": 0.2}  # fmt: skip
OTHER = ("single", "empty")
LABELS = ("stalking", "non_stalking")
CLIP_SIZES = (((640, 360), 0.5), ((640, 480), 0.2), ((480, 360), 0.15), ((854, 480), 0.15))
CLIP_FPS = (24, 25, 30)
CLIP_SECONDS = (3.0, 8.0)

POSE_CONVENTION = ("camera coordinates as forensic.features.pose: x right, y down, z away; yaw > 0 turns "
                   "toward the image's right, pitch > 0 tilts up; degrees; 0, 0 = the face photo as "
                   "photographed; pinhole camera, focal = frame width, principal point = frame centre")  # fmt: skip


def label_of(scenario: str) -> str:
    return "stalking" if scenario in STALKING else "non_stalking"


# ----------------------------------------------------------------------------- the scene plan


@dataclass
class Person:
    role: str
    face: int  # index into the face pool
    X: np.ndarray  # world lateral position per frame, hw
    Yd: np.ndarray  # eyes below the camera, hw
    Z: np.ndarray  # world depth, hw
    walking: bool
    gaze: list[str] = field(default_factory=list)  # per frame
    yaw_want: np.ndarray | None = None  # planned head pose (camera coordinates), before drawing limits
    pitch_want: np.ndarray | None = None
    look: dict = field(default_factory=dict)  # body colours, pattern, tint, step rate

    @functools.cached_property
    def sideways(self) -> np.ndarray:
        """Frames where the person walks across (the torso drawn narrower)."""
        if len(self.X) < 2:
            return np.zeros(len(self.X), bool)
        return np.abs(np.gradient(self.X)) > 0.02  # hw per frame


@dataclass
class Scene:
    scenario: str
    label: str
    seed: int
    fps: Fraction
    frames: int
    size: tuple[int, int]
    people: list[Person]
    camera_x: np.ndarray  # camera lateral position per frame, hw
    camera_z: np.ndarray  # camera depth position per frame, hw
    shake: np.ndarray  # frames x 2, pixels
    backdrop: dict
    lighting: dict
    params: dict

    @property
    def duration_s(self) -> float:
        return self.frames / float(self.fps)


def _u(rng, a, b) -> float:
    return float(rng.uniform(a, b))


def _wobble(rng, t: np.ndarray, amp: float, fmin: float = 0.1, fmax: float = 0.6, k: int = 3) -> np.ndarray:
    """A smooth random signal: k sinusoids, |signal| <= amp."""
    out = np.zeros_like(t)
    for _ in range(k):
        out += np.sin(2 * math.pi * rng.uniform(fmin, fmax) * t + rng.uniform(0, 2 * math.pi))
    return amp * out / k


def _gaze_plan(rng, n: int, fps: float, weights: dict[str, float],
               durations: dict[str, tuple[float, float]] | None = None, first: str | None = None) -> list[tuple]:  # fmt: skip
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


def _depths(w: int) -> tuple[float, float]:
    """Depth range (hw) that gives faces of FW_MIN..FW_MAX pixels in a frame w wide."""
    return w / min(FW_MAX, w / 5.0), w / FW_MIN


def _look(rng) -> dict:
    hue = int(rng.integers(0, 180))
    sat = int(rng.integers(20, 200))
    val = int(rng.integers(40, 230))
    shirt = cv2.cvtColor(np.uint8([[[hue, sat, val]]]), cv2.COLOR_HSV2BGR)[0, 0].tolist()
    hue2 = (hue + int(rng.integers(40, 140))) % 180
    second = cv2.cvtColor(np.uint8([[[hue2, int(rng.integers(0, 160)), int(rng.integers(30, 240))]]]),
                          cv2.COLOR_HSV2BGR)[0, 0].tolist()  # fmt: skip
    pants = cv2.cvtColor(np.uint8([[[int(rng.integers(90, 130)), int(rng.integers(0, 120)),
                                     int(rng.integers(25, 110))]]]), cv2.COLOR_HSV2BGR)[0, 0].tolist()  # fmt: skip
    return {
        "shirt": shirt, "second": second, "pants": pants,
        "pattern": str(rng.choice(["plain", "stripes", "jacket", "plain"])),
        "build": _u(rng, 0.9, 1.15),  # shoulder width factor
        "tint": [_u(rng, 0.94, 1.06) for _ in range(3)],  # per-channel face tint
        "step_hz": _u(rng, 1.6, 2.2), "step_phase": _u(rng, 0, 2 * math.pi),
        "yaw_cap": _u(rng, 22, 32), "away": _u(rng, 12, 30), "phone_pitch": _u(rng, -25, -15),
        "base_pitch": float(rng.normal(0, 3)), "tau": _u(rng, 0.12, 0.25),
        "nod_amp": _u(rng, 1, 6), "nod_hz": _u(rng, 0.3, 1.2), "nod_phase": _u(rng, 0, 2 * math.pi),
    }  # fmt: skip


def _eye_level(rng, h: int, fw: float) -> float:
    """Yd (hw) putting the nose at 0.33..0.5 of the frame height for a face fw pixels wide."""
    return (rng.uniform(0.4, 0.55) * h - h / 2.0) / fw


def plan_scene(scenario: str, seed: int, size: tuple[int, int], fps, frames: int, n_faces: int,
               face_choice: list[int] | None = None) -> Scene:  # fmt: skip
    """Everything about one scene, from its seed. ``face_choice``: pool indices for the people
    (default: drawn from the seed, two different identities when the pool has them)."""
    if scenario not in STALKING and scenario not in NON_STALKING and scenario not in OTHER:
        raise ValueError(f"unknown scenario {scenario!r}")
    rng = np.random.default_rng(seed)
    fps = Fraction(fps).limit_denominator(1001)
    w, h = size
    n = int(frames)
    t = np.arange(n) / float(fps)
    T = max(t[-1], 1e-3) if n else 1e-3
    zmin, zmax = _depths(w)
    params: dict = {}
    people: list[Person] = []
    cam_x = np.zeros(n)
    cam_z = np.zeros(n)
    bg_factor = _u(rng, 2.0, 6.0)  # backdrop depth / people depth

    def person(role, X, Yd, Z, walking):
        return Person(role, -1, np.asarray(X, float), np.broadcast_to(np.asarray(Yd, float), (n,)).copy(),
                      np.asarray(Z, float), walking, look=_look(rng))  # fmt: skip

    def lateral_walk(gap_lo, gap_hi, same_path: bool):
        """Two walkers across the frame, the camera tracking them; the second behind the first by
        gap (following its path lagged in time when same_path, else in step beside it)."""
        d = int(rng.choice([-1, 1]))
        v = _u(rng, 3.5, 7.0)
        gap = _u(rng, gap_lo, gap_hi)
        lower = max(zmin, gap + 3.2)
        if lower > zmax - 0.6:
            gap = max(gap_lo * 0.9, zmax - 3.8)
            lower = min(zmax - 0.6, gap + 3.2)
        z0 = _u(rng, lower, zmax - 0.6)
        dz = _u(rng, 0.0, min(1.5, zmax - z0)) if same_path else _u(rng, -1.0, 1.5)
        dz = float(np.clip(dz, zmin - z0, zmax - z0))
        kappa = _u(rng, 0.75, 1.0)
        # the frame is Z hw wide at depth Z: keep each nose >= 1 hw (plus the weave) from the edges
        room = max(0.0, min(z0, z0 + dz) - gap - 2.0 - 0.7)
        if (1 - kappa) * v * T > room:
            kappa = 1 - room / (v * T)
        drift = (1 - kappa) * v * T
        x0 = d * (gap / 2 - drift / 2) + _u(rng, -1, 1) * max(0.0, (room - drift) / 2) * 0.8
        ax, fx, ph = _u(rng, 0.05, 0.3), _u(rng, 0.1, 0.4), _u(rng, 0, 2 * math.pi)
        az, fz, pz = _u(rng, 0.05, 0.35), _u(rng, 0.08, 0.3), _u(rng, 0, 2 * math.pi)

        def X1(tt):
            return x0 + d * v * tt + ax * np.sin(2 * math.pi * fx * tt + ph)

        def Z1(tt):
            return z0 + az * np.sin(2 * math.pi * fz * tt + pz)

        if same_path:  # where the first was gap/v seconds ago
            lag = gap / v
            X2, Z2 = X1(t - lag) + _wobble(rng, t, 0.06), Z1(t - lag) + dz
        else:  # in step, beside
            X2, Z2 = X1(t) - d * gap + _wobble(rng, t, 0.1), Z1(t) + dz + _wobble(rng, t, 0.1)
        cam_x[:] = d * kappa * v * t
        fw1 = w / z0
        yd1 = _eye_level(rng, h, fw1)
        yd2 = yd1 + float(rng.normal(0, 0.15))
        params.update(direction=d, speed_hw_s=v, gap_hw=gap, depth_hw=z0, depth_offset_hw=dz, camera_follow=kappa)
        return d, (X1(t), yd1, np.clip(Z1(t), zmin, zmax)), (X2, yd2, np.clip(Z2, zmin, zmax))

    def toward_walk(gap_lo, gap_hi, side_lo, side_hi, same_path: bool):
        """Two walkers toward a retreating camera; the second gap behind in depth (following the
        first's path) or abreast (gap ~ 0), side hw to the side."""
        v = _u(rng, 2.5, 5.0)
        kappa = _u(rng, 0.8, 1.0)
        gap = _u(rng, gap_lo, gap_hi) if same_path else float(rng.normal(0, 0.4))
        approach = (1 - kappa) * v * T
        z_lo = zmin + approach + 0.2
        z_hi = zmax - max(gap, 0) - 0.3
        if z_lo > z_hi:  # shorten the gap, then slow the approach
            gap = max(1.5, gap - (z_lo - z_hi)) if same_path else gap
            z_hi = zmax - max(gap, 0) - 0.3
            if z_lo > z_hi:
                kappa = 1 - max(0.0, z_hi - zmin - 0.2) / (v * T)
                approach = (1 - kappa) * v * T
                z_lo = zmin + approach + 0.2
        z0 = _u(rng, z_lo, max(z_lo, z_hi))
        side = _u(rng, side_lo, side_hi) * float(rng.choice([-1, 1]))
        vx = _u(rng, -0.3, 0.3)
        # lateral start: both inside the frame (|X/Z| < 0.5 minus a margin) over the clip
        zend = z0 - approach
        lim = 0.5 * zend - 0.9
        x0 = float(np.clip(-side / 2 + _u(rng, -0.5, 0.5), -lim + abs(vx) * T, lim - abs(vx) * T)) if lim > 0 else 0.0
        ax, fx, ph = _u(rng, 0.05, 0.25), _u(rng, 0.1, 0.4), _u(rng, 0, 2 * math.pi)

        def X1(tt):
            return x0 + vx * tt + ax * np.sin(2 * math.pi * fx * tt + ph)

        def Z1(tt):  # world depth
            return z0 - v * tt

        if same_path:
            lag = gap / v
            X2, Z2 = X1(t - lag) + side, Z1(t - lag)
        else:
            X2, Z2 = X1(t) + side + _wobble(rng, t, 0.1), Z1(t) + gap
        cam_z[:] = -kappa * v * t
        yd1 = _eye_level(rng, h, w / z0)
        yd2 = yd1 + float(rng.normal(0, 0.15))
        params.update(speed_hw_s=v, gap_hw=gap, side_hw=side, depth_hw=z0, camera_follow=kappa)
        return (X1(t), yd1, Z1(t)), (X2, yd2, Z2)

    def standing(gap_lo, gap_hi, dz_lo, dz_hi, move_first: bool):
        """Two people standing (or the first walking slowly away, the second keeping the gap)."""
        gap = _u(rng, gap_lo, gap_hi)
        z0 = _u(rng, max(zmin, min(zmax - 0.8, gap + 3.4)), zmax - 0.5)
        dz = float(np.clip(_u(rng, dz_lo, dz_hi), zmin - z0, zmax - z0))
        zn = min(z0, z0 + dz)  # the nearer person's depth: the narrower frame
        if gap > zn - 2.4:
            gap = max(gap_lo * 0.8, zn - 2.4)
        s = float(rng.choice([-1, 1]))  # the second person is on this side of the first
        vx = 0.0
        if move_first:
            vx = -s * _u(rng, 0.3, 0.9)  # walking away from the second person
            vx = float(np.sign(vx) * min(abs(vx), max(0.0, zn - gap - 2.4) / T))
        room = max(0.0, zn - gap - 2.4 - abs(vx) * T)
        c = _u(rng, -0.5, 0.5) * room
        x1 = c - s * gap / 2 - vx * T / 2 + vx * t + _wobble(rng, t, 0.08, 0.1, 0.5)
        x2 = x1 + s * gap + _wobble(rng, t, 0.08, 0.1, 0.5) if move_first else (
            c + s * gap / 2 + _wobble(rng, t, 0.08, 0.1, 0.5))  # fmt: skip
        z1 = z0 + _wobble(rng, t, 0.1, 0.05, 0.3)
        z2 = z0 + dz + _wobble(rng, t, 0.1, 0.05, 0.3)
        if rng.uniform() < 0.3:  # a slow pan that keeps both inside the frame
            slack = max(0.0, 0.5 * room - abs(c))
            cam_x[:] = _u(rng, -1, 1) * slack / T * t
        yd1 = _eye_level(rng, h, w / z0)
        yd2 = yd1 + float(rng.normal(0, 0.15))
        params.update(gap_hw=gap, depth_hw=z0, depth_offset_hw=dz, target_speed_hw_s=abs(vx))
        return (x1, yd1, np.clip(z1, zmin, zmax)), (x2, yd2, np.clip(z2, zmin, zmax)), abs(vx) > 0

    if scenario == "follow_lateral":
        d, a, b = lateral_walk(2.0, 6.5, True)
        people = [person("target", *a, True), person("follower", *b, True)]
    elif scenario == "follow_toward":
        a, b = toward_walk(2.0, 5.0, 1.2, 3.0, True)
        people = [person("target", *a, True), person("follower", *b, True)]
    elif scenario == "loiter_stare":
        a, b, moving = standing(2.5, 7.0, -1.0, 2.5, rng.uniform() < 0.5)
        people = [person("target", *a, moving), person("follower", *b, moving)]
    elif scenario == "talk":
        a, b, _ = standing(1.3, 3.0, -0.5, 0.5, False)
        people = [person("a", *a, False), person("b", *b, False)]
    elif scenario == "walk_side_by_side":
        d, a, b = lateral_walk(1.1, 3.0, False)
        people = [person("a", *a, True), person("b", *b, True)]
    elif scenario == "walk_toward_together":
        a, b = toward_walk(0, 0, 1.3, 2.8, False)
        people = [person("a", *a, True), person("b", *b, True)]
    elif scenario == "strangers_walk":
        d, a, b = lateral_walk(2.5, 6.5, False)
        # not together: the second on its own path and pace, further away in depth
        extra = _u(rng, 1.5, 4.0)
        b = (b[0] + _wobble(rng, t, 0.4, 0.05, 0.2) + d * _u(rng, -0.4, 0.4) * t, b[1],
             np.clip(a[2] + extra, zmin, zmax))  # fmt: skip
        params["depth_offset_hw"] = extra
        people = [person("a", *a, True), person("b", *b, True)]
    elif scenario == "strangers_wait":
        a, b, _ = standing(2.5, 7.0, -1.5, 2.5, False)
        people = [person("a", *a, False), person("b", *b, False)]
    elif scenario == "single":
        kind = str(rng.choice(["lateral", "toward", "standing"]))
        params["motion"] = kind
        if kind == "lateral":
            d, a, _b = lateral_walk(2.0, 3.0, True)
        elif kind == "toward":
            a, _b = toward_walk(2.0, 3.0, 1.2, 2.0, True)
        else:
            a, _b, _ = standing(2.0, 3.0, 0, 0.5, False)
        people = [person("a", *a, kind != "standing")]
    else:  # empty
        if rng.uniform() < 0.5:
            cam_x[:] = _u(rng, -5, 5) * t
        params["camera_speed_hw_s"] = float(cam_x[-1] / T) if n else 0.0

    # faces: two different identities when the pool has them
    if face_choice is not None:
        for p, f in zip(people, face_choice):
            p.face = int(f)
    elif people:
        order = rng.permutation(n_faces)
        for p, f in zip(people, order):
            p.face = int(f)
        if len(people) > len(order):
            people[-1].face = int(order[0])

    _plan_gazes(rng, scenario, people, n, float(fps), t, cam_x, cam_z)
    shake = np.zeros((n, 2))
    if rng.uniform() < 0.33:
        amp = _u(rng, 0.8, 3.5)
        shake = np.stack([_wobble(rng, t, amp, 0.3, 2.0, 4), _wobble(rng, t, amp, 0.3, 2.0, 4)], axis=1)
    zref = float(np.mean([p.Z.mean() - cam_z.mean() for p in people])) if people else _u(rng, zmin, zmax)
    backdrop = {"kind": str(rng.choice(["street", "indoor", "park", "photo"], p=[0.3, 0.3, 0.2, 0.2])),
                "seed": int(rng.integers(2**31)), "depth_hw": zref * bg_factor, "blur": _u(rng, 0.0, 1.8)}  # fmt: skip
    lighting = {
        "gain": _u(rng, 0.65, 1.25), "gamma": _u(rng, 0.8, 1.25), "tint": [_u(rng, 0.92, 1.08) for _ in range(3)],
        "vignette": _u(rng, 0.0, 0.45), "ramp": _u(rng, -0.15, 0.15),
        "flicker": _u(rng, 0.01, 0.04) if rng.uniform() < 0.15 else 0.0, "flicker_hz": _u(rng, 0.5, 3.0),
        "noise": 0.0 if rng.uniform() < 0.2 else _u(rng, 0.0, 7.0), "noise_seed": int(rng.integers(2**31)),
    }  # fmt: skip
    return Scene(scenario, "none" if scenario in OTHER else label_of(scenario), int(seed), fps, n, (w, h),
                 people, cam_x, cam_z, shake, backdrop, lighting, params)  # fmt: skip


GAZE_WEIGHTS = {
    # scenario: {role: weights}
    "follow_lateral": {"follower": {"other": 0.88, "camera": 0.06, "ahead": 0.06},
                       "target": {"ahead": 0.6, "phone": 0.15, "camera": 0.15, "away": 0.1}},
    "follow_toward": {"follower": {"other": 0.88, "camera": 0.06, "ahead": 0.06},
                      "target": {"ahead": 0.55, "phone": 0.15, "camera": 0.15, "away": 0.15}},
    "loiter_stare": {"follower": {"other": 0.9, "camera": 0.05, "around": 0.05},
                     "target": {"away": 0.4, "phone": 0.3, "camera": 0.2, "ahead": 0.1}},
    "talk": {"*": {"other": 0.72, "camera": 0.1, "away": 0.1, "around": 0.08}},
    "walk_side_by_side": {"*": {"ahead": 0.6, "other": 0.4}},
    "walk_toward_together": {"*": {"ahead": 0.5, "other": 0.38, "camera": 0.12}},
    "strangers_walk": {"a": {"ahead": 0.6, "phone": 0.2, "camera": 0.2},
                       "b": {"phone": 0.4, "camera": 0.3, "away": 0.3}},
    "strangers_wait": {"*": {"phone": 0.35, "camera": 0.25, "away": 0.25, "around": 0.15}},
    "single": {"*": {"ahead": 0.45, "camera": 0.25, "around": 0.15, "phone": 0.15}},
}  # fmt: skip
LONG_GAZE = {"other": (1.5, 5.0), "ahead": (1.0, 4.0), "away": (1.0, 3.5), "phone": (1.0, 3.0)}


def _plan_gazes(rng, scenario: str, people: list[Person], n: int, fps: float, t: np.ndarray,
                cam_x: np.ndarray, cam_z: np.ndarray) -> None:  # fmt: skip
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
        segments = _gaze_plan(rng, n, fps, weights, durations, first)
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
        p.yaw_want, p.pitch_want = _gaze_angles(p, other, scenario, fps, t, cam_x, cam_z)


def _gaze_angles(p: Person, other: Person | None, scenario: str, fps: float, t: np.ndarray,
                 cam_x: np.ndarray, cam_z: np.ndarray):  # fmt: skip
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
    return _smooth(yaw, 1.0 / fps, lk["tau"]), _smooth(pitch, 1.0 / fps, lk["tau"])


def _smooth(x: np.ndarray, dt: float, tau: float) -> np.ndarray:
    """First-order low-pass, starting at the first value."""
    out = np.array(x, float)
    a = 1.0 - math.exp(-dt / tau)
    for i in range(1, len(out)):
        out[i] = out[i - 1] + a * (out[i] - out[i - 1])
    return out


# ----------------------------------------------------------------------------- backdrops


@functools.lru_cache(maxsize=None)
def _texture(name: str) -> np.ndarray:
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


def _tile(tex: np.ndarray, w: int, h: int, scale: float) -> np.ndarray:
    t = cv2.resize(tex, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    reps = (h // t.shape[0] + 2, w // t.shape[1] + 2)
    flip = np.concatenate([t, t[:, ::-1]], axis=1)
    flip = np.concatenate([flip, flip[::-1]], axis=0)
    big = np.tile(flip, (reps[0] // 2 + 1, reps[1] // 2 + 1, 1))
    return big[:h, :w].copy()


def _tinted(tex: np.ndarray, bgr, strength: float = 0.8) -> np.ndarray:
    g = cv2.cvtColor(tex, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255.0
    col = np.array(bgr, np.float32)[None, None, :]
    out = col * (1 - strength + strength * 2 * g[..., None])
    return np.clip(out, 0, 255).astype(np.uint8)


def _hsv(rng, h=None, s=(20, 160), v=(60, 230)):
    hh = int(rng.integers(0, 180)) if h is None else int(h) % 180
    hsv = np.uint8([[[hh, int(rng.integers(*s)), int(rng.integers(*v))]]])
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].tolist()


def make_backdrop(kind: str, seed: int, w: int, h: int) -> np.ndarray:
    """A w x h backdrop (BGR) of the given kind (street, indoor, park, photo), from its seed."""
    rng = np.random.default_rng(seed)
    horizon = int(h * _u(rng, 0.45, 0.62))
    img = np.zeros((h, w, 3), np.uint8)
    if kind == "photo":
        name = str(rng.choice(["rocket", "coffee", "stereo_motorcycle", "hubble_deep_field", "gravel"]))
        tex = _texture(name)
        scale = h / tex.shape[0] * _u(rng, 1.0, 1.5)
        img = _tile(tex, w, h, scale)
    elif kind == "street":
        sky_top, sky_bot = np.array(_hsv(rng, int(rng.integers(95, 115)), (30, 120), (150, 250)), float), \
            np.array(_hsv(rng, int(rng.integers(90, 120)), (5, 60), (170, 255)), float)  # fmt: skip
        ramp = np.linspace(0, 1, h)[:, None, None]
        img[:] = (sky_top * (1 - ramp) + sky_bot * ramp).astype(np.uint8)
        x = 0
        brick = _texture("brick")
        while x < w:
            bw = int(rng.uniform(0.35, 1.1) * h)
            top = int(rng.uniform(0.02, 0.35) * h)
            col = _hsv(rng, None, (10, 120), (50, 220))
            if rng.uniform() < 0.4:
                facade = _tinted(_tile(brick, bw, h, _u(rng, 0.2, 0.5)), col, 0.6)
                img[top:, x:x + bw] = facade[: h - top, : max(0, min(bw, w - x))]
            else:
                cv2.rectangle(img, (x, top), (x + bw, h), col, -1)
            win = _hsv(rng, None, (0, 80), (20, 250))
            ww, wh = max(4, int(bw * _u(rng, 0.08, 0.16))), max(6, int(h * _u(rng, 0.06, 0.12)))
            gx, gy = int(ww * _u(rng, 1.6, 2.6)), int(wh * _u(rng, 1.5, 2.2))
            for yy in range(top + gy // 2, horizon - wh, gy):
                for xx in range(x + gx // 3, x + bw - ww, gx):
                    c = win if rng.uniform() < 0.8 else _hsv(rng, 25, (50, 150), (150, 255))
                    cv2.rectangle(img, (xx, yy), (xx + ww, yy + wh), c, -1)
            if rng.uniform() < 0.6:  # door
                dw = int(bw * 0.18)
                dx = x + int(rng.uniform(0.1, 0.7) * bw)
                door = _hsv(rng, None, (20, 150), (20, 140))
                cv2.rectangle(img, (dx, horizon - int(h * 0.22)), (dx + dw, horizon), door, -1)
            x += bw + int(rng.integers(0, 12))
        ground_col = _hsv(rng, None, (0, 30), (90, 180))
        ground = _tinted(_tile(_texture("gravel"), w, h - horizon, _u(rng, 0.3, 0.7)), ground_col, 0.5)
        img[horizon:] = ground
        cv2.line(img, (0, horizon), (w, horizon), _hsv(rng, None, (0, 30), (150, 220)), max(2, h // 90))
        for xx in range(int(rng.integers(0, 200)), w, int(rng.uniform(0.6, 1.5) * h)):  # lamp posts
            cv2.rectangle(img, (xx, int(h * 0.12)), (xx + max(3, h // 70), horizon + h // 20), (40, 40, 45), -1)
    elif kind == "indoor":
        wall = np.array(_hsv(rng, None, (0, 90), (110, 235)), float)
        shade = 1.0 - 0.25 * np.linspace(0, 1, h)[:, None, None] * _u(rng, 0.2, 1.0)
        img[:] = np.clip(wall * shade, 0, 255).astype(np.uint8)
        band = horizon + int(h * _u(rng, 0.05, 0.15))
        cv2.rectangle(img, (0, band), (w, h), _hsv(rng, None, (10, 120), (40, 180)), -1)
        x = int(rng.integers(0, h))
        while x < w:
            kind2 = rng.uniform()
            if kind2 < 0.4:  # door
                dw, dh = int(h * 0.28), int(h * 0.62)
                cv2.rectangle(img, (x, band - dh), (x + dw, band), _hsv(rng, None, (20, 160), (30, 200)), -1)
                cv2.rectangle(img, (x, band - dh), (x + dw, band), (30, 30, 30), max(2, h // 120))
                x += dw
            elif kind2 < 0.8:  # poster / picture
                pw, ph = int(h * _u(rng, 0.15, 0.35)), int(h * _u(rng, 0.15, 0.3))
                py = int(h * _u(rng, 0.08, 0.3))
                cv2.rectangle(img, (x, py), (x + pw, py + ph), _hsv(rng), -1)
                for _ in range(int(rng.integers(1, 5))):
                    cx, cy = x + int(rng.uniform(0.1, 0.9) * pw), py + int(rng.uniform(0.1, 0.9) * ph)
                    cv2.circle(img, (cx, cy), int(min(pw, ph) * _u(rng, 0.05, 0.3)), _hsv(rng), -1)
                cv2.rectangle(img, (x, py), (x + pw, py + ph), (20, 20, 20), max(1, h // 150))
                x += pw
            x += int(h * _u(rng, 0.15, 0.6))
        floor_col = _hsv(rng, None, (0, 80), (60, 200))
        fy = band + int(h * 0.08)
        img[fy:] = _tinted(_tile(_texture("gravel"), w, h - fy, 0.4), floor_col, 0.35)
    else:  # park
        sky = np.array(_hsv(rng, int(rng.integers(95, 112)), (30, 140), (170, 255)), float)
        img[:] = sky.astype(np.uint8)
        grass = _texture("grass")
        tree_col = _hsv(rng, int(rng.integers(35, 75)), (90, 200), (40, 120))
        trees = _tinted(_tile(grass, w, h, _u(rng, 0.4, 0.8)), tree_col, 0.8)
        edge = (horizon - h * _u(rng, 0.15, 0.35) + np.cumsum(rng.normal(0, h * 0.01, w))).astype(int)
        edge = np.clip(edge, int(h * 0.05), horizon)
        rows = np.arange(h)[:, None]
        mask = rows >= edge[None, :]
        img[mask] = trees[mask]
        lawn_col = _hsv(rng, int(rng.integers(35, 60)), (80, 180), (90, 190))
        lawn = _tinted(_tile(grass, w, h - horizon, _u(rng, 0.3, 0.6)), lawn_col, 0.7)
        img[horizon:] = lawn
        py = horizon + int((h - horizon) * _u(rng, 0.3, 0.6))
        path = _tinted(_tile(_texture("gravel"), w, h - py, 0.5), _hsv(rng, 20, (10, 60), (120, 210)), 0.5)
        img[py:] = path
    return img


# ----------------------------------------------------------------------------- drawing


def _poly(img, pts, color, shift=4):
    p = np.round(np.asarray(pts, np.float64) * (1 << shift)).astype(np.int32)
    cv2.fillPoly(img, [p], color, cv2.LINE_AA, shift)


def _limb(img, a, b, width, color, shift=4):
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    n = np.array([-d[1], d[0]]) / (np.linalg.norm(d) + 1e-9) * width / 2
    _poly(img, [a + n, b + n, b - n, a - n], color, shift)


def _draw_body(img: np.ndarray, x: float, y: float, fw: float, look: dict, skin, swing: float, narrow: float) -> None:
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
        _limb(img, hip, foot, 0.55 * s, pants)
    # arms behind the torso edges
    for side in (-1, 1):
        sh = (x + side * half * 0.9, sh_y + 0.25 * s)
        ang = side * 0.12 + swing * side
        el = (sh[0] + math.sin(ang) * 1.5 * s, sh[1] + math.cos(ang) * 1.5 * s)
        hand = (el[0] + math.sin(ang * 1.4) * 1.4 * s, el[1] + math.cos(ang * 1.4) * 1.4 * s)
        _limb(img, sh, el, 0.42 * s, dark)
        _limb(img, el, hand, 0.36 * s, dark)
        cv2.circle(img, (int(hand[0]), int(hand[1])), max(1, int(0.2 * s)), skin, -1, cv2.LINE_AA)
    # neck
    _poly(img, [(x - 0.28 * s, y + 0.3 * s), (x + 0.28 * s, y + 0.3 * s), (x + 0.32 * s, sh_y + 0.2 * s),
                (x - 0.32 * s, sh_y + 0.2 * s)], skin)  # fmt: skip
    torso = [(x - half, sh_y + 0.35 * s), (x - half * 0.8, sh_y), (x + half * 0.8, sh_y), (x + half, sh_y + 0.35 * s),
             (x + waist, bottom), (x - waist, bottom)]  # fmt: skip
    _poly(img, torso, shirt)
    pattern = look["pattern"]
    if pattern == "stripes":
        x0, x1 = int(x - half), int(x + half) + 1
        y0, y1 = int(sh_y), int(bottom) + 1
        H, W = img.shape[:2]
        cx0, cx1, cy0, cy1 = max(0, x0), min(W, x1), max(0, y0), min(H, y1)
        if cx1 > cx0 and cy1 > cy0:
            roi = img[cy0:cy1, cx0:cx1]
            mask = np.zeros(roi.shape[:2], np.uint8)
            _poly(mask, [(px - cx0, py - cy0) for px, py in torso], 255)
            stripes = roi.copy()
            step = max(3.0, 0.32 * s)
            for yy in np.arange(y0 - cy0, cy1 - cy0, step):
                cv2.rectangle(stripes, (0, int(yy)), (roi.shape[1], int(yy + step / 2)), second, -1)
            roi[mask > 0] = stripes[mask > 0]
    elif pattern == "jacket":
        _poly(img, [(x - 0.25 * s, sh_y), (x + 0.25 * s, sh_y), (x + 0.3 * s, bottom), (x - 0.3 * s, bottom)], second)
    # collar
    _poly(img, [(x - 0.32 * s, sh_y - 0.02 * s), (x + 0.32 * s, sh_y - 0.02 * s), (x, sh_y + 0.3 * s)], skin)
    # shading: the side away from the light a little darker
    _poly(img, [(x + half * 0.55, sh_y + 0.1 * s), (x + half, sh_y + 0.35 * s), (x + waist, bottom),
                (x + waist * 0.6, bottom)], tuple(int(c * 0.85) for c in shirt))  # fmt: skip


def _paste(img: np.ndarray, head: np.ndarray, alpha: np.ndarray, ox: int, oy: int) -> None:
    H, W = img.shape[:2]
    h, w = head.shape[:2]
    x0, y0, x1, y1 = max(0, ox), max(0, oy), min(W, ox + w), min(H, oy + h)
    if x1 <= x0 or y1 <= y0:
        return
    a = alpha[y0 - oy:y1 - oy, x0 - ox:x1 - ox, None]
    roi = img[y0:y1, x0:x1].astype(np.float32)
    src = head[y0 - oy:y1 - oy, x0 - ox:x1 - ox].astype(np.float32)
    img[y0:y1, x0:x1] = (src * a + roi * (1 - a) + 0.5).astype(np.uint8)


def _lighting_maps(light: dict, w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    gamma_lut = np.clip(((np.arange(256) / 255.0) ** light["gamma"]) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot((xx - w / 2) / (w / 2), (yy - h / 2) / (h / 2)) / math.sqrt(2)
    m = (1.0 - light["vignette"] * r**2) * (1.0 + light["ramp"] * (xx / w * 2 - 1)) * light["gain"]
    gain = m[..., None] * np.array(light["tint"], np.float32)[None, None, :]
    return gamma_lut, gain.astype(np.float32)


# ----------------------------------------------------------------------------- rendering


@dataclass
class FrameTruth:
    """Ground truth of one person in one frame."""

    nose: tuple[float, float]
    face_width: float
    yaw: float  # camera coordinates, what pose.yaw_pitch should read
    pitch: float
    drawn_yaw: float  # relative to the line of sight, as re-posed
    drawn_pitch: float
    six: list  # 6 x 2, the paper's six points where they were drawn
    box: tuple[int, int, int, int]  # landmark bounding box
    in_frame: bool  # face box inside the frame


class FacePool:
    """The face photos a generator draws from (FaceModels, re-posed heads cached)."""

    def __init__(self, faces_dir: str | None = None, default_faces: bool = True, mirrored: bool = True):
        from forensic.features.faces import FaceFinder

        finder = FaceFinder(upsample=1)
        self.models = faces3d.load_models(faces_dir, include_default=default_faces, mirrored=mirrored, finder=finder)
        self.skin = [m.skin_bgr() for m in self.models]
        # drawn yaw range per face: where dlib still finds it (60 px wide, pitch 0 and 4, plain
        # background), less a margin for noise, dim light and busy backgrounds
        self.yaw_ranges = []
        for m in self.models:
            lo, hi = faces3d.detectable_yaw_range(m, finder, limit=YAW_LIMIT)
            self.yaw_ranges.append((min(-16.0, lo + YAW_MARGIN), max(16.0, hi - YAW_MARGIN)))
        self.faces_dir = faces_dir

    def __len__(self) -> int:
        return len(self.models)

    def describe(self, i: int) -> dict:
        m = self.models[i]
        d = {"face": m.name, "identity": m.identity, "mirrored": m.name.endswith("~mirrored"), "source": m.source,
             "photo_pose_estimate": None if m.photo_pose is None else [round(v, 2) for v in m.photo_pose],
             "drawn_yaw_range": list(self.yaw_ranges[i])}  # fmt: skip
        if os.path.isfile(m.source):
            with open(m.source, "rb") as f:
                d["source_sha256"] = hashlib.sha256(f.read()).hexdigest()
        return d

    def identities(self) -> list[str]:
        return [m.identity for m in self.models]


def _choose_faces(rng, pool: FacePool, k: int) -> list[int]:
    """k pool indices with different identities where possible."""
    ids = pool.identities()
    order = [int(i) for i in rng.permutation(len(ids))]
    out, seen = [], set()
    for i in order:
        if ids[i] not in seen:
            out.append(i)
            seen.add(ids[i])
        if len(out) == k:
            return out
    while len(out) < k:
        out.append(order[len(out) % len(order)])
    return out


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
    gamma_lut, gain = _lighting_maps(scene.lighting, w, h)
    noise_rng = np.random.default_rng(scene.lighting["noise_seed"])
    t = np.arange(n) / fps
    for i in range(n):
        s = float(zoom[i])
        # pano point (px, py) -> frame: x = w/2 + s * (px - base_x - scroll) + shake
        cx = base_x + scroll[i]
        m = np.array([[s, 0, w / 2.0 - s * cx + scene.shake[i, 0]], [0, s, h / 2.0 - s * ph / 2.0 + scene.shake[i, 1]]],
                     np.float64)  # fmt: skip
        frame = cv2.warpAffine(pano, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        truths: list[FrameTruth | None] = [None] * len(scene.people)
        order = sorted(range(len(scene.people)), key=lambda k: -(scene.people[k].Z[i] - scene.camera_z[i]))
        for k in order:
            truths[k] = _draw_person(frame, scene, pool, scene.people[k], i, t[i])
        frame = cv2.LUT(frame, gamma_lut)
        f = frame.astype(np.float32) * gain
        fl = scene.lighting["flicker"]
        if fl:
            f *= 1.0 + fl * math.sin(2 * math.pi * scene.lighting["flicker_hz"] * t[i])
        sigma = scene.lighting["noise"]
        if sigma > 0:
            f += noise_rng.standard_normal((h, w, 1), dtype=np.float32) * sigma
        yield np.clip(f + 0.5, 0, 255).astype(np.uint8), truths


def _q(v: float) -> float:
    return round(v / ANGLE_STEP) * ANGLE_STEP


def _draw_person(frame: np.ndarray, scene: Scene, pool: FacePool, p: Person, i: int, t: float) -> FrameTruth:
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
    drawn_yaw = _q(float(np.clip(want_yaw + phi, max(lo, -YAW_LIMIT), min(hi, YAW_LIMIT))))
    drawn_pitch = _q(float(np.clip(float(p.pitch_want[i]) + psi, *PITCH_RANGE)))
    swing = (0.35 * math.sin(phase) if p.walking else 0.05 * math.sin(0.8 * phase))
    narrow = 0.8 if p.walking and p.sideways[i] else 1.0
    _draw_body(frame, x, y, fw, lk, pool.skin[p.face], swing, narrow)
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
    _paste(frame, head, alpha, ox, oy)
    lm = lm + (ox, oy)
    six = lm[list(POINT_INDEX0)]
    x0, y0 = lm.min(axis=0)
    x1, y1 = lm.max(axis=0)
    nose = lm[33]
    phi = math.degrees(math.atan((nose[0] - w / 2.0) / w))
    psi = math.degrees(math.atan(-(nose[1] - h / 2.0) / w))
    return FrameTruth(
        nose=(float(nose[0]), float(nose[1])), face_width=float(fw),
        yaw=drawn_yaw - phi, pitch=drawn_pitch - psi, drawn_yaw=drawn_yaw, drawn_pitch=drawn_pitch,
        six=np.round(six, 2).tolist(), box=(int(x0), int(y0), int(math.ceil(x1)), int(math.ceil(y1))),
        in_frame=bool(x0 >= 0 and y0 >= 0 and x1 < w and y1 < h),
    )  # fmt: skip


# ----------------------------------------------------------------------------- ground truth


def scene_truth(scene: Scene, pool: FacePool, truths: list[list[FrameTruth]]) -> dict:
    """The JSON-ready ground truth of a rendered scene."""
    people = []
    for k, p in enumerate(scene.people):
        fr = [tr[k] for tr in truths]
        people.append({
            "role": p.role, **pool.describe(p.face), "walking": p.walking,
            "look": {kk: (np.round(v, 3).tolist() if isinstance(v, np.ndarray) else v)
                     for kk, v in p.look.items() if kk != "gaze_u"},
            "frames": {
                "nose_x": [round(f.nose[0], 2) for f in fr], "nose_y": [round(f.nose[1], 2) for f in fr],
                "face_width": [round(f.face_width, 2) for f in fr],
                "yaw": [round(f.yaw, 2) for f in fr], "pitch": [round(f.pitch, 2) for f in fr],
                "drawn_yaw": [f.drawn_yaw for f in fr], "drawn_pitch": [f.drawn_pitch for f in fr],
                "gaze": list(p.gaze), "in_frame": [f.in_frame for f in fr], "box": [list(f.box) for f in fr],
                "six": [f.six for f in fr],
                "world_x_hw": np.round(p.X - scene.camera_x, 3).tolist(),
                "world_z_hw": np.round(p.Z - scene.camera_z, 3).tolist(),
            },
        })  # fmt: skip
    out = {
        "generator": GENERATOR, "scenario": scene.scenario, "label": scene.label, "seed": scene.seed,
        "fps": str(scene.fps), "fps_float": float(scene.fps), "frames": scene.frames,
        "duration_s": round(scene.duration_s, 6), "width": scene.size[0], "height": scene.size[1],
        "pose_convention": POSE_CONVENTION,
        "params": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in scene.params.items()},
        "backdrop": scene.backdrop, "lighting": scene.lighting,
        "camera": {"handheld_px": round(float(np.abs(scene.shake).max()) if scene.frames else 0.0, 2),
                   "track_x_hw": round(float(scene.camera_x[-1]) if scene.frames else 0.0, 3),
                   "track_z_hw": round(float(scene.camera_z[-1]) if scene.frames else 0.0, 3)},
        "people": people,
    }  # fmt: skip
    if len(people) == 2:
        a, b = people
        d = np.hypot(np.subtract(a["frames"]["nose_x"], b["frames"]["nose_x"]),
                     np.subtract(a["frames"]["nose_y"], b["frames"]["nose_y"]))  # fmt: skip
        fwm = (np.array(a["frames"]["face_width"]) + np.array(b["frames"]["face_width"])) / 2
        out["nose_distance_px"] = np.round(d, 2).tolist()
        out["nose_distance_face_widths"] = np.round(d / fwm, 3).tolist()
    out["summary"] = summarize(out)
    return out


def summarize(gt: dict) -> dict:
    s: dict = {"people": len(gt["people"])}
    for p in gt["people"]:
        f = p["frames"]
        s[f"{p['role']}_face_width_px_mean"] = round(float(np.mean(f["face_width"])), 1) if f["face_width"] else None
        s[f"{p['role']}_yaw_mean"] = round(float(np.mean(f["yaw"])), 1) if f["yaw"] else None
        s[f"{p['role']}_in_frame"] = round(float(np.mean(f["in_frame"])), 3) if f["in_frame"] else None
    if "nose_distance_px" in gt and gt["nose_distance_px"]:
        s["distance_px_mean"] = round(float(np.mean(gt["nose_distance_px"])), 1)
        s["distance_face_widths_mean"] = round(float(np.mean(gt["nose_distance_face_widths"])), 2)
        s["distance_frac_width_mean"] = round(s["distance_px_mean"] / gt["width"], 3)
    return s


# ----------------------------------------------------------------------------- encoding


ENCODINGS = {
    # name: (container extension, ffmpeg output arguments, quality option, quality range)
    "h264": ("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"),
    "mpeg4": ("-c:v", "mpeg4", "-pix_fmt", "yuv420p"),
    "mpeg2": ("-c:v", "mpeg2video", "-pix_fmt", "yuv420p"),
}


def _codec_args(codec: str, quality: int) -> list[str]:
    if codec == "h264":
        return list(ENCODINGS["h264"]) + ["-crf", str(quality)]
    return list(ENCODINGS[codec]) + ["-q:v", str(quality)]


class Encoder:
    """Raw BGR frames piped into ffmpeg."""

    def __init__(self, path: str, size: tuple[int, int], fps, codec: str = "h264", quality: int = 23,
                 extra: tuple[str, ...] = ()):  # fmt: skip
        w, h = size
        fps = Fraction(fps).limit_denominator(1001)
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24",
               "-s", f"{w}x{h}", "-r", f"{fps.numerator}/{fps.denominator}", "-i", "-",
               *_codec_args(codec, quality), *extra, path]  # fmt: skip
        self.path = path
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)

    def write(self, frame: np.ndarray) -> None:
        self.proc.stdin.write(np.ascontiguousarray(frame).tobytes())

    def close(self) -> None:
        self.proc.stdin.close()
        err = self.proc.stderr.read().decode(errors="replace")
        if self.proc.wait() != 0:
            raise RuntimeError(f"ffmpeg could not write {self.path}: {err.strip()[-2000:]}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.close()
        else:
            self.proc.kill()
            self.proc.wait()


# ----------------------------------------------------------------------------- clips


def generator_description(pool: FacePool) -> dict:
    """What every generated folder records about how it was made: the scenario mix, the parameter
    distributions (the module docstring's text), the faces and their yaw ranges."""
    doc = __doc__ or ""
    start = doc.find("Scenarios and their parameter distributions")
    return {
        "generator": GENERATOR, "stalking_scenarios": STALKING, "non_stalking_scenarios": NON_STALKING,
        "archive_scene_kinds": ARCHIVE_SCENES, "archive_scene_seconds": ARCHIVE_SECONDS,
        "clip_sizes": [[list(sz), wt] for sz, wt in CLIP_SIZES], "clip_fps": list(CLIP_FPS),
        "clip_seconds": list(CLIP_SECONDS), "face_width_px": [FW_MIN, FW_MAX], "yaw_limit": YAW_LIMIT,
        "yaw_margin": YAW_MARGIN, "pitch_range": list(PITCH_RANGE), "angle_step": ANGLE_STEP,
        "pose_convention": POSE_CONVENTION, "faces": [pool.describe(i) for i in range(len(pool))],
        "distributions": doc[start:].strip() if start >= 0 else doc.strip(),
    }  # fmt: skip


def _write_description(out_dir: str, pool: FacePool) -> None:
    with open(os.path.join(out_dir, "generator.json"), "w") as f:
        json.dump(generator_description(pool), f, indent=1)


def _pick(rng, table):
    items = list(table.items()) if isinstance(table, dict) else list(table)
    p = np.array([wt for _, wt in items], float)
    return items[int(rng.choice(len(items), p=p / p.sum()))][0]


def clip_spec(label: str, index: int, seed: int, pool: FacePool, size=None, fps=None, seconds=None) -> Scene:
    """The plan of clip ``index`` of ``label`` for master ``seed`` (independent of every other clip)."""
    cls = LABELS.index(label)
    clip_seed = int(np.random.SeedSequence([int(seed), cls, int(index)]).generate_state(1)[0])
    rng = np.random.default_rng(clip_seed)
    scenario = _pick(rng, STALKING if label == "stalking" else NON_STALKING)
    size = tuple(size) if size else _pick(rng, CLIP_SIZES)
    fps = fps or int(rng.choice(CLIP_FPS))
    seconds = seconds or _u(rng, *CLIP_SECONDS)
    frames = max(2, int(round(seconds * fps)))
    faces = _choose_faces(rng, pool, 2)
    scene = plan_scene(scenario, int(rng.integers(2**31)), size, fps, frames, len(pool), faces)
    scene.params["clip_seed"] = clip_seed
    enc = "h264" if rng.uniform() < 0.8 else "mpeg4"
    quality = int(rng.integers(18, 33)) if enc == "h264" else int(rng.integers(2, 9))
    scene.params["encoding"] = {"codec": enc, "quality": quality}
    return scene


def clip_frames(scene: Scene, pool: FacePool) -> tuple[list[np.ndarray], list[list[FrameTruth]]]:
    frames, truths = [], []
    for f, tr in render_scene(scene, pool):
        frames.append(f)
        truths.append(tr)
    return frames, truths


def make_clips(out_dir: str, per_class: int, seed: int, faces_dir: str | None = None, *,
               default_faces: bool = True, size: tuple[int, int] | None = None, fps: float | None = None,
               seconds: float | None = None, pool: FacePool | None = None, progress=None) -> list[str]:  # fmt: skip
    """Write ``per_class`` labelled clips of each class into ``out_dir/stalking`` and
    ``out_dir/non_stalking`` (``LABEL_SEED_INDEX.mp4`` with ``LABEL_SEED_INDEX.json`` beside it),
    and ``out_dir/clips.csv``; return the clip paths. ``size``/``fps``/``seconds`` override the
    random choice (for tests)."""
    if per_class < 1:
        raise ValueError("--per-class must be at least 1")
    pool = pool or FacePool(faces_dir, default_faces)
    written, rows = [], []
    for label in LABELS:
        folder = os.path.join(out_dir, label)
        os.makedirs(folder, exist_ok=True)
        for i in range(per_class):
            scene = clip_spec(label, i, seed, pool, size, fps, seconds)
            stem = f"{label}_{seed}_{i:04d}"
            path = os.path.join(folder, stem + ".mp4")
            enc = scene.params["encoding"]
            truths = []
            with Encoder(path, scene.size, scene.fps, enc["codec"], enc["quality"], ("-movflags", "+faststart")) as e:
                for frame, tr in render_scene(scene, pool):
                    e.write(frame)
                    truths.append(tr)
            gt = scene_truth(scene, pool, truths)
            gt.update(file=os.path.basename(path), master_seed=int(seed), index=i,
                      encoding={**enc, "container": "mp4"})  # fmt: skip
            with open(os.path.join(folder, stem + ".json"), "w") as f:
                json.dump(gt, f, separators=(",", ":"))
            rows.append({"path": os.path.join(label, stem + ".mp4"), "label": label, "scenario": scene.scenario,
                         "seed": seed, "index": i, "clip_seed": scene.params["clip_seed"],
                         "duration_s": round(scene.duration_s, 3), "fps": str(scene.fps),
                         "width": scene.size[0], "height": scene.size[1],
                         "faces": ";".join(p["face"] for p in gt["people"]),
                         "distance_face_widths_mean": gt["summary"].get("distance_face_widths_mean"),
                         "distance_px_mean": gt["summary"].get("distance_px_mean"),
                         "codec": enc["codec"], "quality": enc["quality"]})  # fmt: skip
            written.append(path)
            if progress:
                progress(path)
    _write_description(out_dir, pool)
    index = os.path.join(out_dir, "clips.csv")
    old = []
    if os.path.isfile(index):  # keep rows of other seeds written into the same folder
        with open(index, newline="") as f:
            mine = {r["path"] for r in rows}
            old = [r for r in csv.DictReader(f) if r["path"] not in mine]
    with open(index, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0]))
        wr.writeheader()
        for r in old + rows:
            wr.writerow({k: r.get(k, "") for k in rows[0]})
    return written


# ----------------------------------------------------------------------------- archives


ARCHIVE_FORMATS = (
    # extension, codec, quality range, fps, size, extra output args
    ("mp4", "h264", (20, 30), 25, (960, 540), ("-movflags", "+faststart")),
    ("mkv", "h264", (22, 32), Fraction(30000, 1001), (854, 480), ()),
    ("ts", "mpeg2", (3, 7), 25, (720, 576), ()),
    ("avi", "mpeg4", (3, 8), 24, (640, 480), ()),
    ("mov", "h264", (18, 28), 30, (640, 360), ("-movflags", "+faststart")),
)  # every file of an archive has another container (up to five files, then they repeat)
ARCHIVE_SCENES = {"empty": 0.15, "single": 0.2, "stalking": 0.3, "non_stalking": 0.35}
ARCHIVE_SECONDS = {"empty": (2.0, 8.0), "single": (4.0, 10.0), "stalking": (5.0, 15.0), "non_stalking": (5.0, 15.0)}
GT_COLUMNS = ("file", "scene", "start_s", "end_s", "start_frame", "end_frame", "fps", "scenario", "label", "people",
              "faces", "distance_face_widths_mean")  # fmt: skip


def plan_archive(minutes: float, seed: int, n_faces: int, *, size=None, fps=None,
                 file_minutes: tuple[float, float] = (1.5, 4.0)) -> list[dict]:  # fmt: skip
    """The archive's files, each with its format and list of scenes (scenario, seed, frames)."""
    if minutes <= 0:
        raise ValueError("--minutes must be more than 0")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 7]))
    total = minutes * 60.0
    lengths = []
    left = total
    while left > 1e-6:
        d = _u(rng, *file_minutes) * 60.0
        if left - d < file_minutes[0] * 60.0 * 0.5:
            d = left
        lengths.append(min(d, left))
        left -= lengths[-1]
    if len(lengths) == 1 and total >= 8:  # always several files
        lengths = [total / 2, total / 2]
    fmts = [int(i) for i in rng.permutation(len(ARCHIVE_FORMATS))]
    files = []
    for k, seconds in enumerate(lengths):
        ext, codec, qr, f_fps, f_size, extra = ARCHIVE_FORMATS[fmts[k % len(fmts)]]
        f_fps = Fraction(fps).limit_denominator(1001) if fps else Fraction(f_fps)
        f_size = tuple(size) if size else f_size
        nframes = max(1, int(round(seconds * float(f_fps))))
        scenes, used, last_kind = [], 0, None
        while used < nframes:
            kind = _pick(rng, ARCHIVE_SCENES)
            if kind == last_kind == "empty":
                continue
            lo, hi = ARCHIVE_SECONDS[kind]
            n = int(round(_u(rng, lo, hi) * float(f_fps)))
            if nframes - used - n < int(2.0 * float(f_fps)):  # no scene shorter than 2 s at the end
                n = nframes - used
            scenario = kind if kind in OTHER else _pick(rng, STALKING if kind == "stalking" else NON_STALKING)
            scenes.append({"scenario": scenario, "seed": int(rng.integers(2**31)), "start_frame": used,
                           "frames": n})  # fmt: skip
            used += n
            last_kind = kind
        files.append({"name": f"archive_{seed}_{k:02d}.{ext}", "codec": codec, "quality": int(rng.integers(*qr)),
                      "fps": f_fps, "size": f_size, "extra": extra, "scenes": scenes})  # fmt: skip
    return files


def make_archive(out_dir: str, minutes: float, seed: int, faces_dir: str | None = None, *,
                 default_faces: bool = True, size=None, fps=None, file_minutes: tuple[float, float] = (1.5, 4.0),
                 pool: FacePool | None = None, progress=None) -> list[str]:  # fmt: skip
    """Write a multi-scene archive: footage files in ``out_dir/footage``, the interval table
    ``out_dir/ground_truth.csv`` (one row per scene: file, start_s, end_s, scenario, label, ...)
    and per-frame detail in ``out_dir/ground_truth/FILE.json``. Times are seconds from the first
    decoded frame of each file (``*_s`` in forensic.records); scene cuts are at the rows' starts.
    Returns the footage paths."""
    pool = pool or FacePool(faces_dir, default_faces)
    files = plan_archive(minutes, seed, len(pool), size=size, fps=fps, file_minutes=file_minutes)
    foot = os.path.join(out_dir, "footage")
    gt_dir = os.path.join(out_dir, "ground_truth")
    os.makedirs(foot, exist_ok=True)
    os.makedirs(gt_dir, exist_ok=True)
    rows, written = [], []
    last_backdrop = None
    for fi in files:
        path = os.path.join(foot, fi["name"])
        scenes_gt = []
        with Encoder(path, fi["size"], fi["fps"], fi["codec"], fi["quality"], fi["extra"]) as e:
            for k, sc in enumerate(fi["scenes"]):
                srng = np.random.default_rng([sc["seed"], 1])  # not plan_scene's own stream
                faces = _choose_faces(srng, pool, 2)
                scene = plan_scene(sc["scenario"], sc["seed"], fi["size"], fi["fps"], sc["frames"], len(pool), faces)
                # a cut must look like one: never the same backdrop kind twice in a row
                if scene.backdrop["kind"] == last_backdrop:
                    kinds = [x for x in ("street", "indoor", "park", "photo") if x != last_backdrop]
                    scene.backdrop["kind"] = kinds[int(srng.integers(len(kinds)))]
                last_backdrop = scene.backdrop["kind"]
                truths = []
                for frame, tr in render_scene(scene, pool):
                    e.write(frame)
                    truths.append(tr)
                gt = scene_truth(scene, pool, truths)
                fps_f = float(fi["fps"])
                start, end = sc["start_frame"], sc["start_frame"] + sc["frames"]
                gt.update(scene=k, start_frame=start, end_frame=end, start_s=start / fps_f, end_s=end / fps_f)
                scenes_gt.append(gt)
                rows.append({"file": os.path.join("footage", fi["name"]), "scene": k,
                             "start_s": f"{start / fps_f:.6f}", "end_s": f"{end / fps_f:.6f}",
                             "start_frame": start, "end_frame": end, "fps": str(fi["fps"]),
                             "scenario": scene.scenario,
                             "label": "stalking" if scene.label == "stalking" else "non_stalking",
                             "people": len(scene.people), "faces": ";".join(p["face"] for p in gt["people"]),
                             "distance_face_widths_mean": gt["summary"].get("distance_face_widths_mean", "")})  # fmt: skip
        with open(os.path.join(gt_dir, fi["name"] + ".json"), "w") as f:
            json.dump({"generator": GENERATOR, "file": os.path.join("footage", fi["name"]), "master_seed": int(seed),
                       "fps": str(fi["fps"]), "width": fi["size"][0], "height": fi["size"][1],
                       "encoding": {"codec": fi["codec"], "quality": fi["quality"],
                                    "container": fi["name"].rsplit(".", 1)[1]},
                       "frames": sum(s["frames"] for s in fi["scenes"]), "scenes": scenes_gt},
                      f, separators=(",", ":"))  # fmt: skip
        written.append(path)
        if progress:
            progress(path)
    _write_description(out_dir, pool)
    with open(os.path.join(out_dir, "ground_truth.csv"), "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(GT_COLUMNS))
        wr.writeheader()
        wr.writerows(rows)
    return written
