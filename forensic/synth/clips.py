"""Labelled 3-8 s clips: the plan of clip INDEX of a class for a master seed, its frames, and the
folder of clips with their ground truth."""

from __future__ import annotations

import csv
import json
import os

import numpy as np

from forensic.parallel import Batch, LocalBatch, TaskFailed
from forensic.synth import scenarios
from forensic.synth.draws import pick, uniform
from forensic.synth.encode import Encoder
from forensic.synth.facepool import FacePool, choose_faces
from forensic.synth.plan import plan_scene
from forensic.synth.render import render_scene
from forensic.synth.scenarios import CLIP_FPS, CLIP_SECONDS, CLIP_SIZES, LABELS, NON_STALKING, STALKING
from forensic.synth.truth import scene_truth
from forensic.synth.world import FrameTruth, Scene


def generator_description(pool: FacePool) -> dict:
    """What every generated folder records about how it was made: the scenario mix, the parameter
    distributions (:mod:`forensic.synth.scenarios`' docstring), the faces and their yaw ranges."""
    doc = scenarios.__doc__ or ""
    start = doc.find("Scenarios and their parameter distributions")
    return {
        "generator": scenarios.GENERATOR,
        "stalking_scenarios": scenarios.STALKING,
        "non_stalking_scenarios": scenarios.NON_STALKING,
        "archive_scene_kinds": scenarios.ARCHIVE_SCENES,
        "archive_scene_seconds": scenarios.ARCHIVE_SECONDS,
        "clip_sizes": [[list(sz), wt] for sz, wt in scenarios.CLIP_SIZES],
        "clip_fps": list(scenarios.CLIP_FPS),
        "clip_seconds": list(scenarios.CLIP_SECONDS),
        "face_width_px": [scenarios.FW_MIN, scenarios.FW_MAX],
        "first_nose_height": list(scenarios.NOSE_HEIGHT),  # share of the frame height, from the top
        "eye_height_difference_sd_hw": scenarios.HEIGHT_SD,
        "second_nose_height": list(scenarios.SECOND_NOSE),
        "yaw_limit": scenarios.YAW_LIMIT,
        "yaw_margin": scenarios.YAW_MARGIN,
        "pitch_range": list(scenarios.PITCH_RANGE),
        "angle_step": scenarios.ANGLE_STEP,
        "pose_convention": scenarios.POSE_CONVENTION,
        "faces": [pool.describe(i) for i in range(len(pool))],
        "distributions": doc[start:].strip() if start >= 0 else doc.strip(),
    }


def write_description(out_dir: str, pool: FacePool) -> None:
    with open(os.path.join(out_dir, "generator.json"), "w") as f:
        json.dump(generator_description(pool), f, indent=1)


def clip_spec(label: str, index: int, seed: int, pool: FacePool, size=None, fps=None, seconds=None) -> Scene:
    """The plan of clip ``index`` of ``label`` for master ``seed`` (independent of every other clip)."""
    cls = LABELS.index(label)
    clip_seed = int(np.random.SeedSequence([int(seed), cls, int(index)]).generate_state(1)[0])
    rng = np.random.default_rng(clip_seed)
    scenario = pick(rng, STALKING if label == "stalking" else NON_STALKING)
    size = tuple(size) if size else pick(rng, CLIP_SIZES)
    fps = fps or int(rng.choice(CLIP_FPS))
    seconds = seconds or uniform(rng, *CLIP_SECONDS)
    frames = max(2, int(round(seconds * fps)))
    faces = choose_faces(rng, pool, 2)
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


def write_clip(
    out_dir: str, label: str, i: int, seed: int, pool: FacePool, size=None, fps=None, seconds=None
) -> tuple[str, dict]:
    """Render, encode and describe clip ``i`` of ``label``: its path and its clips.csv row."""
    folder = os.path.join(out_dir, label)
    os.makedirs(folder, exist_ok=True)
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
    gt.update(file=os.path.basename(path), master_seed=int(seed), index=i, encoding={**enc, "container": "mp4"})
    with open(os.path.join(folder, stem + ".json"), "w") as f:
        json.dump(gt, f, separators=(",", ":"))
    row = {
        "path": os.path.join(label, stem + ".mp4"),
        "label": label,
        "scenario": scene.scenario,
        "seed": seed,
        "index": i,
        "clip_seed": scene.params["clip_seed"],
        "duration_s": round(scene.duration_s, 3),
        "fps": str(scene.fps),
        "width": scene.size[0],
        "height": scene.size[1],
        "faces": ";".join(p["face"] for p in gt["people"]),
        "distance_face_widths_mean": gt["summary"].get("distance_face_widths_mean"),
        "distance_px_mean": gt["summary"].get("distance_px_mean"),
        "codec": enc["codec"],
        "quality": enc["quality"],
    }
    return path, row


def _write_clip_task(args: tuple, pool: FacePool) -> tuple[str, dict]:  # one clip, in a batch's worker
    out_dir, label, i, seed, size, fps, seconds = args
    return write_clip(out_dir, label, i, seed, pool, size, fps, seconds)


def make_clips(
    out_dir: str,
    per_class: int,
    seed: int,
    faces_dir: str | None = None,
    *,
    default_faces: bool = True,
    size: tuple[int, int] | None = None,
    fps: float | None = None,
    seconds: float | None = None,
    pool: FacePool | None = None,
    progress=None,
    jobs: int = 1,
    batch: Batch | None = None,
) -> list[str]:
    """Write ``per_class`` labelled clips of each class into ``out_dir/stalking`` and
    ``out_dir/non_stalking`` (``LABEL_SEED_INDEX.mp4`` with ``LABEL_SEED_INDEX.json`` beside it),
    and ``out_dir/clips.csv``; return the clip paths. ``size``/``fps``/``seconds`` override the
    random choice (for tests). ``batch`` (:mod:`forensic.parallel`; default: ``jobs`` processes on
    this machine) renders the clips, on this machine or on Ray: every clip depends only on (seed,
    label, index), so the files are the same whatever the engine and the number of workers. A clip
    that fails does not stop the others; the error names every one that failed."""
    if per_class < 1:
        raise ValueError("--per-class must be at least 1")
    if jobs < 1:
        raise ValueError("--jobs must be at least 1")
    pool = pool or FacePool(faces_dir, default_faces)
    work = [(out_dir, label, i, seed, size, fps, seconds) for label in LABELS for i in range(per_class)]
    written, rows, failed = [], [], []
    batch = batch or LocalBatch(jobs)
    for (_o, label, i, *_rest), result in zip(work, batch.map(_write_clip_task, work, pool), strict=True):
        if isinstance(result, TaskFailed):
            failed.append(f"{label} #{i}: {result.reason}")
            continue
        path, row = result
        written.append(path)
        rows.append(row)
        if progress:
            progress(path)
    if not rows:
        raise RuntimeError(f"no clip could be made: {'; '.join(failed[:5])}")
    write_description(out_dir, pool)
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
    if failed:
        raise RuntimeError(
            f"{len(failed)} of {len(work)} clip(s) could not be made (the others are written and indexed): "
            + "; ".join(failed[:10])
        )
    return written
