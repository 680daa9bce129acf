"""The plan of one scene from its seed: where the people walk or stand, the camera, gaze, shake,
backdrop and lighting (the distributions are in :mod:`forensic.synth.scenarios`)."""

from __future__ import annotations

import math
from fractions import Fraction

import cv2
import numpy as np

from forensic.synth.draws import uniform, wobble
from forensic.synth.gaze import plan_gazes
from forensic.synth.scenarios import (
    FW_MAX,
    FW_MIN,
    HEIGHT_SD,
    NON_STALKING,
    NOSE_HEIGHT,
    OTHER,
    SECOND_NOSE,
    STALKING,
    label_of,
)
from forensic.synth.world import Person, Scene


def depth_range(w: int) -> tuple[float, float]:
    """Depth range (hw) that gives faces of FW_MIN..FW_MAX pixels in a frame w wide."""
    return w / min(FW_MAX, w / 5.0), w / FW_MIN


def random_look(rng) -> dict:
    hue = int(rng.integers(0, 180))
    sat = int(rng.integers(20, 200))
    val = int(rng.integers(40, 230))
    shirt = cv2.cvtColor(np.uint8([[[hue, sat, val]]]), cv2.COLOR_HSV2BGR)[0, 0].tolist()
    hue2 = (hue + int(rng.integers(40, 140))) % 180
    second = cv2.cvtColor(
        np.uint8([[[hue2, int(rng.integers(0, 160)), int(rng.integers(30, 240))]]]), cv2.COLOR_HSV2BGR
    )[0, 0].tolist()
    pants = cv2.cvtColor(
        np.uint8([[[int(rng.integers(90, 130)), int(rng.integers(0, 120)), int(rng.integers(25, 110))]]]),
        cv2.COLOR_HSV2BGR,
    )[0, 0].tolist()
    return {
        "shirt": shirt,
        "second": second,
        "pants": pants,
        "pattern": str(rng.choice(["plain", "stripes", "jacket", "plain"])),
        "build": uniform(rng, 0.9, 1.15),  # shoulder width factor
        "tint": [uniform(rng, 0.94, 1.06) for _ in range(3)],  # per-channel face tint
        "step_hz": uniform(rng, 1.6, 2.2),
        "step_phase": uniform(rng, 0, 2 * math.pi),
        "yaw_cap": uniform(rng, 22, 32),
        "away": uniform(rng, 12, 30),
        "phone_pitch": uniform(rng, -25, -15),
        "base_pitch": float(rng.normal(0, 3)),
        "tau": uniform(rng, 0.12, 0.25),
        "nod_amp": uniform(rng, 1, 6),
        "nod_hz": uniform(rng, 0.3, 1.2),
        "nod_phase": uniform(rng, 0, 2 * math.pi),
    }


def eye_level(rng, h: int, fw: float) -> float:
    """Yd (hw) putting the nose at NOSE_HEIGHT of the frame height for a face fw pixels wide."""
    return (rng.uniform(*NOSE_HEIGHT) * h - h / 2.0) / fw


def second_eye_level(rng, yd1: float, size: tuple[int, int], znear: float) -> float:
    """Yd (hw) of the second person: eyes N(0, HEIGHT_SD) hw above or below the first's (people
    differ in height), kept so that the nose stays within SECOND_NOSE of the frame height at the
    person's nearest depth from the camera ``znear`` (hw), where it is furthest from the centre."""
    w, h = size
    fw = w / max(float(znear), 1e-3)
    lo, hi = ((f * h - h / 2.0) / fw for f in SECOND_NOSE)
    return float(np.clip(yd1 + rng.normal(0, HEIGHT_SD), lo, hi))


def plan_scene(
    scenario: str,
    seed: int,
    size: tuple[int, int],
    fps,
    frames: int,
    n_faces: int,
    face_choice: list[int] | None = None,
) -> Scene:
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
    zmin, zmax = depth_range(w)
    params: dict = {}
    people: list[Person] = []
    cam_x = np.zeros(n)
    cam_z = np.zeros(n)
    bg_factor = uniform(rng, 2.0, 6.0)  # backdrop depth / people depth

    def person(role, X, Yd, Z, walking):
        return Person(
            role,
            -1,
            np.asarray(X, float),
            np.broadcast_to(np.asarray(Yd, float), (n,)).copy(),
            np.asarray(Z, float),
            walking,
            look=random_look(rng),
        )

    def lateral_walk(gap_lo, gap_hi, same_path: bool):
        """Two walkers across the frame, the camera tracking them; the second behind the first by
        gap (following its path lagged in time when same_path, else in step beside it)."""
        d = int(rng.choice([-1, 1]))
        v = uniform(rng, 3.5, 7.0)
        gap = uniform(rng, gap_lo, gap_hi)
        lower = max(zmin, gap + 3.2)
        if lower > zmax - 0.6:
            gap = max(gap_lo * 0.9, zmax - 3.8)
            lower = min(zmax - 0.6, gap + 3.2)
        z0 = uniform(rng, lower, zmax - 0.6)
        dz = uniform(rng, 0.0, min(1.5, zmax - z0)) if same_path else uniform(rng, -1.0, 1.5)
        dz = float(np.clip(dz, zmin - z0, zmax - z0))
        kappa = uniform(rng, 0.75, 1.0)
        # the frame is Z hw wide at depth Z: keep each nose >= 1 hw (plus the weave) from the edges
        room = max(0.0, min(z0, z0 + dz) - gap - 2.0 - 0.7)
        if (1 - kappa) * v * T > room:
            kappa = 1 - room / (v * T)
        drift = (1 - kappa) * v * T
        x0 = d * (gap / 2 - drift / 2) + uniform(rng, -1, 1) * max(0.0, (room - drift) / 2) * 0.8
        ax, fx, ph = uniform(rng, 0.05, 0.3), uniform(rng, 0.1, 0.4), uniform(rng, 0, 2 * math.pi)
        az, fz, pz = uniform(rng, 0.05, 0.35), uniform(rng, 0.08, 0.3), uniform(rng, 0, 2 * math.pi)

        def X1(tt):
            return x0 + d * v * tt + ax * np.sin(2 * math.pi * fx * tt + ph)

        def Z1(tt):
            return z0 + az * np.sin(2 * math.pi * fz * tt + pz)

        if same_path:  # where the first was gap/v seconds ago
            lag = gap / v
            X2, Z2 = X1(t - lag) + wobble(rng, t, 0.06), Z1(t - lag) + dz
        else:  # in step, beside
            X2, Z2 = X1(t) - d * gap + wobble(rng, t, 0.1), Z1(t) + dz + wobble(rng, t, 0.1)
        cam_x[:] = d * kappa * v * t
        fw1 = w / z0
        yd1 = eye_level(rng, h, fw1)
        yd2 = second_eye_level(rng, yd1, size, float(np.min(Z2)))
        params.update(direction=d, speed_hw_s=v, gap_hw=gap, depth_hw=z0, depth_offset_hw=dz, camera_follow=kappa)
        return d, (X1(t), yd1, np.clip(Z1(t), zmin, zmax)), (X2, yd2, np.clip(Z2, zmin, zmax))

    def toward_walk(gap_lo, gap_hi, side_lo, side_hi, same_path: bool):
        """Two walkers toward a retreating camera; the second gap behind in depth (following the
        first's path) or abreast (gap ~ 0), side hw to the side."""
        v = uniform(rng, 2.5, 5.0)
        kappa = uniform(rng, 0.8, 1.0)
        gap = uniform(rng, gap_lo, gap_hi) if same_path else float(rng.normal(0, 0.4))
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
        z0 = uniform(rng, z_lo, max(z_lo, z_hi))
        side = uniform(rng, side_lo, side_hi) * float(rng.choice([-1, 1]))
        vx = uniform(rng, -0.3, 0.3)
        # lateral start: both inside the frame (|X/Z| < 0.5 minus a margin) over the clip
        zend = z0 - approach
        lim = 0.5 * zend - 0.9
        x0 = (
            float(np.clip(-side / 2 + uniform(rng, -0.5, 0.5), -lim + abs(vx) * T, lim - abs(vx) * T))
            if lim > 0
            else 0.0
        )
        ax, fx, ph = uniform(rng, 0.05, 0.25), uniform(rng, 0.1, 0.4), uniform(rng, 0, 2 * math.pi)

        def X1(tt):
            return x0 + vx * tt + ax * np.sin(2 * math.pi * fx * tt + ph)

        def Z1(tt):  # world depth
            return z0 - v * tt

        if same_path:
            lag = gap / v
            X2, Z2 = X1(t - lag) + side, Z1(t - lag)
        else:
            X2, Z2 = X1(t) + side + wobble(rng, t, 0.1), Z1(t) + gap
        cam_z[:] = -kappa * v * t
        yd1 = eye_level(rng, h, w / z0)
        yd2 = second_eye_level(rng, yd1, size, float(np.min(Z2 - cam_z)))
        params.update(speed_hw_s=v, gap_hw=gap, side_hw=side, depth_hw=z0, camera_follow=kappa)
        return (X1(t), yd1, Z1(t)), (X2, yd2, Z2)

    def standing(gap_lo, gap_hi, dz_lo, dz_hi, move_first: bool):
        """Two people standing (or the first walking slowly away, the second keeping the gap)."""
        gap = uniform(rng, gap_lo, gap_hi)
        z0 = uniform(rng, max(zmin, min(zmax - 0.8, gap + 3.4)), zmax - 0.5)
        dz = float(np.clip(uniform(rng, dz_lo, dz_hi), zmin - z0, zmax - z0))
        zn = min(z0, z0 + dz)  # the nearer person's depth: the narrower frame
        if gap > zn - 2.4:
            gap = max(gap_lo * 0.8, zn - 2.4)
        s = float(rng.choice([-1, 1]))  # the second person is on this side of the first
        vx = 0.0
        if move_first:
            vx = -s * uniform(rng, 0.3, 0.9)  # walking away from the second person
            vx = float(np.sign(vx) * min(abs(vx), max(0.0, zn - gap - 2.4) / T))
        room = max(0.0, zn - gap - 2.4 - abs(vx) * T)
        c = uniform(rng, -0.5, 0.5) * room
        x1 = c - s * gap / 2 - vx * T / 2 + vx * t + wobble(rng, t, 0.08, 0.1, 0.5)
        x2 = (
            x1 + s * gap + wobble(rng, t, 0.08, 0.1, 0.5)
            if move_first
            else (c + s * gap / 2 + wobble(rng, t, 0.08, 0.1, 0.5))
        )
        z1 = z0 + wobble(rng, t, 0.1, 0.05, 0.3)
        z2 = z0 + dz + wobble(rng, t, 0.1, 0.05, 0.3)
        if rng.uniform() < 0.3:  # a slow pan that keeps both inside the frame
            slack = max(0.0, 0.5 * room - abs(c))
            cam_x[:] = uniform(rng, -1, 1) * slack / T * t
        yd1 = eye_level(rng, h, w / z0)
        yd2 = second_eye_level(rng, yd1, size, float(np.min(z2)))
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
        extra = uniform(rng, 1.5, 4.0)
        b = (
            b[0] + wobble(rng, t, 0.4, 0.05, 0.2) + d * uniform(rng, -0.4, 0.4) * t,
            b[1],
            np.clip(a[2] + extra, zmin, zmax),
        )
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
            cam_x[:] = uniform(rng, -5, 5) * t
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

    if len(people) == 2:
        params["eye_offset_hw"] = float(people[1].Yd[0] - people[0].Yd[0])  # the second's eyes lower (> 0)
    plan_gazes(rng, scenario, people, n, float(fps), t, cam_x, cam_z)
    shake = np.zeros((n, 2))
    if rng.uniform() < 0.33:
        amp = uniform(rng, 0.8, 3.5)
        shake = np.stack([wobble(rng, t, amp, 0.3, 2.0, 4), wobble(rng, t, amp, 0.3, 2.0, 4)], axis=1)
    zref = float(np.mean([p.Z.mean() - cam_z.mean() for p in people])) if people else uniform(rng, zmin, zmax)
    backdrop = {
        "kind": str(rng.choice(["street", "indoor", "park", "photo"], p=[0.3, 0.3, 0.2, 0.2])),
        "seed": int(rng.integers(2**31)),
        "depth_hw": zref * bg_factor,
        "blur": uniform(rng, 0.0, 1.8),
    }
    lighting = {
        "gain": uniform(rng, 0.65, 1.25),
        "gamma": uniform(rng, 0.8, 1.25),
        "tint": [uniform(rng, 0.92, 1.08) for _ in range(3)],
        "vignette": uniform(rng, 0.0, 0.45),
        "ramp": uniform(rng, -0.15, 0.15),
        "flicker": uniform(rng, 0.01, 0.04) if rng.uniform() < 0.15 else 0.0,
        "flicker_hz": uniform(rng, 0.5, 3.0),
        "noise": 0.0 if rng.uniform() < 0.2 else uniform(rng, 0.0, 7.0),
        "noise_seed": int(rng.integers(2**31)),
    }
    return Scene(
        scenario,
        "none" if scenario in OTHER else label_of(scenario),
        int(seed),
        fps,
        n,
        (w, h),
        people,
        cam_x,
        cam_z,
        shake,
        backdrop,
        lighting,
        params,
    )
