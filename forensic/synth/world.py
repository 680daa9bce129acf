"""The records of a planned scene: its people, the scene itself, and the ground truth of one person
in one drawn frame."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np


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
