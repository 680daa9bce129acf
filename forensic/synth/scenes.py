"""Scenario footage with ground truth: labelled 3-8 s clips for training and long multi-scene
archives for scoring a whole scan. This module gathers the public names of the generator; the
spec (the world model, the scenarios and their parameter distributions) is the docstring of
:mod:`forensic.synth.scenarios`.

The generator, by concern (imports point down this list):

* :mod:`~forensic.synth.scenarios`: the spec, its constants and the scenario mix;
* :mod:`~forensic.synth.draws`: the random draws shared by the planners;
* :mod:`~forensic.synth.world`: the records (:class:`Person`, :class:`Scene`, :class:`FrameTruth`);
* :mod:`~forensic.synth.gaze`: where each person looks, as head yaw and pitch;
* :mod:`~forensic.synth.plan`: the plan of one scene from its seed;
* :mod:`~forensic.synth.backdrops`, :mod:`~forensic.synth.drawing`: backdrops, bodies, lighting;
* :mod:`~forensic.synth.facepool`: the face photos (:mod:`forensic.synth.faces3d`) a scene uses;
* :mod:`~forensic.synth.render`: frames and per-person ground truth;
* :mod:`~forensic.synth.truth`: the ground-truth JSON;
* :mod:`~forensic.synth.encode`: ffmpeg;
* :mod:`~forensic.synth.clips`, :mod:`~forensic.synth.archive`: the folders of clips and archives.

Everything is decided by a seed: the same seed gives byte-identical frames (before encoding).
"""

from __future__ import annotations

from forensic.synth.archive import ARCHIVE_FORMATS, GT_COLUMNS, make_archive, plan_archive
from forensic.synth.backdrops import make_backdrop
from forensic.synth.clips import clip_frames, clip_spec, generator_description, make_clips
from forensic.synth.encode import ENCODINGS, Encoder
from forensic.synth.facepool import FacePool
from forensic.synth.gaze import GAZE_WEIGHTS, LONG_GAZE
from forensic.synth.plan import plan_scene
from forensic.synth.render import render_scene
from forensic.synth.scenarios import (
    ANGLE_STEP,
    ARCHIVE_SCENES,
    ARCHIVE_SECONDS,
    CLIP_FPS,
    CLIP_SECONDS,
    CLIP_SIZES,
    FW_MAX,
    FW_MIN,
    GENERATOR,
    LABELS,
    NON_STALKING,
    OTHER,
    PITCH_RANGE,
    POSE_CONVENTION,
    STALKING,
    YAW_LIMIT,
    YAW_MARGIN,
    label_of,
)
from forensic.synth.truth import scene_truth, summarize
from forensic.synth.world import FrameTruth, Person, Scene

__all__ = [
    "ANGLE_STEP",
    "ARCHIVE_FORMATS",
    "ARCHIVE_SCENES",
    "ARCHIVE_SECONDS",
    "CLIP_FPS",
    "CLIP_SECONDS",
    "CLIP_SIZES",
    "ENCODINGS",
    "Encoder",
    "FW_MAX",
    "FW_MIN",
    "FacePool",
    "FrameTruth",
    "GAZE_WEIGHTS",
    "GENERATOR",
    "GT_COLUMNS",
    "LABELS",
    "LONG_GAZE",
    "NON_STALKING",
    "OTHER",
    "PITCH_RANGE",
    "POSE_CONVENTION",
    "Person",
    "STALKING",
    "Scene",
    "YAW_LIMIT",
    "YAW_MARGIN",
    "clip_frames",
    "clip_spec",
    "generator_description",
    "label_of",
    "make_archive",
    "make_backdrop",
    "make_clips",
    "plan_archive",
    "plan_scene",
    "render_scene",
    "scene_truth",
    "summarize",
]
