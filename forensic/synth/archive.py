"""Multi-scene archives: several files of back-to-back scenes in several formats, with the interval
table and per-frame ground truth."""

from __future__ import annotations

import csv
import json
import os
from fractions import Fraction

import numpy as np

from forensic.parallel import Batch, LocalBatch, TaskFailed
from forensic.synth.clips import write_description
from forensic.synth.draws import pick, uniform
from forensic.synth.encode import Encoder
from forensic.synth.facepool import FacePool, choose_faces
from forensic.synth.plan import plan_scene
from forensic.synth.render import render_scene
from forensic.synth.scenarios import ARCHIVE_SCENES, ARCHIVE_SECONDS, GENERATOR, NON_STALKING, OTHER, STALKING
from forensic.synth.truth import scene_truth

ARCHIVE_FORMATS = (
    # extension, codec, quality range, fps, size, extra output args
    ("mp4", "h264", (20, 30), 25, (960, 540), ("-movflags", "+faststart")),
    # Matroska's muxer writes a random segment UID unless bit-exact: the same seed, the same bytes
    ("mkv", "h264", (22, 32), Fraction(30000, 1001), (854, 480), ("-fflags", "+bitexact")),
    ("ts", "mpeg2", (3, 7), 25, (720, 576), ()),
    ("avi", "mpeg4", (3, 8), 24, (640, 480), ()),
    ("mov", "h264", (18, 28), 30, (640, 360), ("-movflags", "+faststart")),
)  # every file of an archive has another container (up to five files, then they repeat)
GT_COLUMNS = (
    "file",
    "scene",
    "start_s",
    "end_s",
    "start_frame",
    "end_frame",
    "fps",
    "scenario",
    "label",
    "people",
    "faces",
    "distance_face_widths_mean",
)


MIN_MINUTES, MAX_MINUTES = 0.1, 24 * 60.0  # 6 s (a file of a few frames at least) to a day


def check_minutes(minutes: float) -> None:
    """Raises ValueError for an archive length out of range (also nan, and inf, which planned files forever)."""
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise ValueError(f"--minutes must be between {MIN_MINUTES:g} and {MAX_MINUTES:g}")


def plan_archive(
    minutes: float, seed: int, n_faces: int, *, size=None, fps=None, file_minutes: tuple[float, float] = (1.5, 4.0)
) -> list[dict]:
    """The archive's files, each with its format and list of scenes (scenario, seed, frames)."""
    check_minutes(minutes)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 7]))
    total = minutes * 60.0
    lengths = []
    left = total
    while left > 1e-6:
        d = uniform(rng, *file_minutes) * 60.0
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
            kind = pick(rng, ARCHIVE_SCENES)
            if kind == last_kind == "empty":
                continue
            lo, hi = ARCHIVE_SECONDS[kind]
            n = int(round(uniform(rng, lo, hi) * float(f_fps)))
            if nframes - used - n < int(2.0 * float(f_fps)):  # no scene shorter than 2 s at the end
                n = nframes - used
            scenario = kind if kind in OTHER else pick(rng, STALKING if kind == "stalking" else NON_STALKING)
            scenes.append({"scenario": scenario, "seed": int(rng.integers(2**31)), "start_frame": used, "frames": n})
            used += n
            last_kind = kind
        files.append(
            {
                "name": f"archive_{seed}_{k:02d}.{ext}",
                "codec": codec,
                "quality": int(rng.integers(*qr)),
                "fps": f_fps,
                "size": f_size,
                "extra": extra,
                "scenes": scenes,
            }
        )
    return files


def _planned(fi: dict, sc: dict, pool: FacePool):
    """A scene of a file as planned (before its backdrop kind is settled), and the random stream
    that settles it."""
    srng = np.random.default_rng([sc["seed"], 1])  # not plan_scene's own stream
    faces = choose_faces(srng, pool, 2)
    return plan_scene(sc["scenario"], sc["seed"], fi["size"], fi["fps"], sc["frames"], len(pool), faces), srng


def backdrop_kinds(files: list[dict], pool: FacePool) -> list[list[str]]:
    """The backdrop kind of every scene, file after file. A cut must look like one: a scene never
    has the kind of the scene before it, the previous file's last scene included. Settled in order
    before anything is rendered, so that the files can then be rendered in any order."""
    out, last = [], None
    for fi in files:
        kinds = []
        for sc in fi["scenes"]:
            scene, srng = _planned(fi, sc, pool)
            kind = scene.backdrop["kind"]
            if kind == last:
                others = [x for x in ("street", "indoor", "park", "photo") if x != last]
                kind = others[int(srng.integers(len(others)))]
            kinds.append(kind)
            last = kind
        out.append(kinds)
    return out


def write_file(out_dir: str, fi: dict, kinds: list[str], seed: int, pool: FacePool) -> tuple[str, list[dict]]:
    """Render one planned file of an archive into ``out_dir/footage`` and its per-frame ground truth
    into ``out_dir/ground_truth``; return its path and its rows of the interval table."""
    path = os.path.join(out_dir, "footage", fi["name"])
    scenes_gt, rows = [], []
    with Encoder(path, fi["size"], fi["fps"], fi["codec"], fi["quality"], fi["extra"]) as e:
        for k, (sc, kind) in enumerate(zip(fi["scenes"], kinds, strict=True)):
            scene, _srng = _planned(fi, sc, pool)
            scene.backdrop["kind"] = kind
            truths = []
            for frame, tr in render_scene(scene, pool):
                e.write(frame)
                truths.append(tr)
            gt = scene_truth(scene, pool, truths)
            fps_f = float(fi["fps"])
            start, end = sc["start_frame"], sc["start_frame"] + sc["frames"]
            gt.update(scene=k, start_frame=start, end_frame=end, start_s=start / fps_f, end_s=end / fps_f)
            scenes_gt.append(gt)
            rows.append(
                {
                    "file": os.path.join("footage", fi["name"]),
                    "scene": k,
                    "start_s": f"{start / fps_f:.6f}",
                    "end_s": f"{end / fps_f:.6f}",
                    "start_frame": start,
                    "end_frame": end,
                    "fps": str(fi["fps"]),
                    "scenario": scene.scenario,
                    "label": "stalking" if scene.label == "stalking" else "non_stalking",
                    "people": len(scene.people),
                    "faces": ";".join(p["face"] for p in gt["people"]),
                    "distance_face_widths_mean": gt["summary"].get("distance_face_widths_mean", ""),
                }
            )
    with open(os.path.join(out_dir, "ground_truth", fi["name"] + ".json"), "w") as f:
        json.dump(
            {
                "generator": GENERATOR,
                "file": os.path.join("footage", fi["name"]),
                "master_seed": int(seed),
                "fps": str(fi["fps"]),
                "width": fi["size"][0],
                "height": fi["size"][1],
                "encoding": {
                    "codec": fi["codec"],
                    "quality": fi["quality"],
                    "container": fi["name"].rsplit(".", 1)[1],
                },
                "frames": sum(s["frames"] for s in fi["scenes"]),
                "scenes": scenes_gt,
            },
            f,
            separators=(",", ":"),
        )
    return path, rows


def _write_file_task(args: tuple, pool: FacePool) -> tuple[str, list[dict]]:  # one file, in a batch's worker
    return write_file(*args, pool)


def make_archive(
    out_dir: str,
    minutes: float,
    seed: int,
    faces_dir: str | None = None,
    *,
    default_faces: bool = True,
    size=None,
    fps=None,
    file_minutes: tuple[float, float] = (1.5, 4.0),
    pool: FacePool | None = None,
    progress=None,
    jobs: int = 1,
    batch: Batch | None = None,
) -> list[str]:
    """Write a multi-scene archive: footage files in ``out_dir/footage``, the interval table
    ``out_dir/ground_truth.csv`` (one row per scene: file, start_s, end_s, scenario, label, ...)
    and per-frame detail in ``out_dir/ground_truth/FILE.json``. Times are seconds from the first
    decoded frame of each file (``*_s`` in forensic.records); scene cuts are at the rows' starts.
    ``batch`` (:mod:`forensic.parallel`; default: ``jobs`` processes on this machine) renders the
    files, on this machine or on Ray; the files are the same whatever the engine and the number of
    workers. A file that fails does not stop the others: what it left is removed, the others are
    written and listed, and the error names every file that failed. Returns the footage paths."""
    if jobs < 1:
        raise ValueError("--jobs must be at least 1")
    pool = pool or FacePool(faces_dir, default_faces)
    files = plan_archive(minutes, seed, len(pool), size=size, fps=fps, file_minutes=file_minutes)
    os.makedirs(os.path.join(out_dir, "footage"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "ground_truth"), exist_ok=True)
    work = [(out_dir, fi, kinds, seed) for fi, kinds in zip(files, backdrop_kinds(files, pool), strict=True)]
    rows, written, failed = [], [], []
    batch = batch or LocalBatch(jobs)
    for fi, result in zip(files, batch.map(_write_file_task, work, pool), strict=True):
        if isinstance(result, TaskFailed):
            failed.append(f"{fi['name']}: {result.reason}")
            for left in (
                os.path.join(out_dir, "footage", fi["name"]),
                os.path.join(out_dir, "ground_truth", fi["name"] + ".json"),
            ):
                if os.path.lexists(left):
                    os.remove(left)
            continue
        path, file_rows = result
        written.append(path)
        rows.extend(file_rows)
        if progress:
            progress(path)
    write_description(out_dir, pool)
    with open(os.path.join(out_dir, "ground_truth.csv"), "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(GT_COLUMNS))
        wr.writeheader()
        wr.writerows(rows)
    if failed:
        raise RuntimeError(
            f"{len(failed)} of {len(files)} file(s) could not be made (removed; the others are written and "
            "listed in ground_truth.csv): " + "; ".join(failed[:10])
        )
    return written
