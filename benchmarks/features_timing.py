"""Per-stage time of the features stage, per frame, for each segmenter, and the cost of one
5-frame segment. Not a timed test: numbers go to README.

    .venv/bin/python benchmarks/features_timing.py [--frames 10] [--maskrcnn-frames 4]

Stages per sample frame: read (seek + decode the 5 sample frames of a segment, per frame),
faces (face detection + dlib's 68 landmarks; for the segmenter rows with the default detector,
blazeface), background (the segmenter), pose (solvePnP for both people), resize (background
removal + 128x128). A second table times each face detector alone (detection, then detection and
landmarks) on the same frames. PixelLib's Mask R-CNN is timed with weights
made by save_random_weights (the COCO file cannot be downloaded here; the time per frame does
not depend on the weights' values).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from forensic import intake  # noqa: E402
from forensic.config import SegmentConfig  # noqa: E402
from forensic.features import pose, to_model_frame  # noqa: E402
from forensic.features.detectors import FACE_DETECTORS  # noqa: E402
from forensic.features.faces import FaceFinder  # noqa: E402
from forensic.features.people_default import HogFaceGrabCut  # noqa: E402
from forensic.features.people_mediapipe import MediaPipeSelfiePose  # noqa: E402
from forensic.features.segment import sample_images  # noqa: E402
from forensic.segments import segment_file  # noqa: E402
from forensic.synth.lavfi import Shot, make_clip, two_people_image  # noqa: E402

FOOTAGE = REPO.parent / "shared" / "footage"
# --clock cpu (default): CPU seconds of this process (all its threads), which other programs
# sharing the machine do not inflate; --clock wall: elapsed seconds (right on an otherwise idle machine)
CLOCK = time.process_time


def clips(tmp: str) -> list[str]:
    two = make_clip(
        os.path.join(tmp, "two_people_960x540.mp4"),
        [Shot("still:" + two_people_image(tmp), 250)],
        fps=25,
        size=(960, 540),
    )
    out = [two]
    for path in (
        FOOTAGE / "face_recognition_short_hamilton_clip.mp4",
        FOOTAGE / "mediapipe_selfie_segmentation_web.mp4",
        FOOTAGE.parent / "people" / "intel_face-demographics-walking-and-pause.gif",
    ):
        if path.is_file():
            out.append(str(path))
    return out


def frames_of(path: str, limit: int):
    item = intake.discover([path])[0]
    intake.hash_item(item)
    info = intake.probe_item(item)
    res = segment_file(item, SegmentConfig(), info.avg_fps or info.nominal_fps, info.stream_index)
    images, read_s = [], []
    for seg in res.segments:
        t = CLOCK()
        imgs = sample_images(seg, info.stream_index, item.rotation or 0)
        read_s.append((CLOCK() - t) / len(imgs.images))
        images += imgs.images
        if len(images) >= limit:
            break
    return images[:limit], statistics.median(read_s)


def time_stages(images, segmenter, faces: FaceFinder) -> dict[str, float]:
    acc = {"faces": [], "background": [], "pose": [], "resize": []}
    for img in images:
        t = CLOCK()
        fs, small = faces.find(img)
        acc["faces"].append(CLOCK() - t)
        t = CLOCK()
        pm = segmenter.people_given_faces(img, [*fs, *small] if segmenter.uses_small_faces else fs)
        acc["background"].append(CLOCK() - t)
        t = CLOCK()
        for f in fs[:2]:
            pose.yaw_pitch(f.six, img.shape[1], img.shape[0])
        acc["pose"].append(CLOCK() - t)
        t = CLOCK()
        to_model_frame(img, pm)
        acc["resize"].append(CLOCK() - t)
    return {k: statistics.median(v) for k, v in acc.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=10, help="frames per clip for the cheap segmenter")
    ap.add_argument("--maskrcnn-frames", type=int, default=4, help="frames per clip for Mask R-CNN (0: skip)")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "out"))
    ap.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="cpu: CPU time of this process (default; fair on a shared machine); wall: elapsed time",
    )
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    os.makedirs(args.out, exist_ok=True)
    faces = FaceFinder(detector="blazeface", min_size=12)
    rows, det_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        segmenters = [
            ("mediapipe-selfie-pose", MediaPipeSelfiePose(face_finder=faces), args.frames),
            ("hog-face-grabcut", HogFaceGrabCut(face_finder=faces), args.frames),
        ]
        if args.maskrcnn_frames:
            from forensic.features.pixellib_backend import PixelLibSegmenter, save_random_weights

            w = os.path.join(tmp, "random_maskrcnn.h5")
            save_random_weights(w, seed=0)
            segmenters.append(
                ("pixellib-maskrcnn (512 px)", PixelLibSegmenter(w, image_max_dim=512), args.maskrcnn_frames)
            )
        for clip in clips(tmp):
            images, _read = frames_of(clip, args.frames)
            for det in FACE_DETECTORS:
                finder = FaceFinder(detector=det, min_size=12)
                finder.find(images[0])  # warm up
                detect, both = [], []
                for img in images:
                    t = CLOCK()
                    finder.detect(img)
                    detect.append(CLOCK() - t)
                    t = CLOCK()
                    finder.find(img)
                    both.append(CLOCK() - t)
                det_rows.append(
                    {
                        "clip": os.path.basename(clip),
                        "size": f"{images[0].shape[1]}x{images[0].shape[0]}",
                        "detector": det,
                        "detect_ms": round(1000 * statistics.median(detect), 1),
                        "with_landmarks_ms": round(1000 * statistics.median(both), 1),
                    }
                )
                print(json.dumps(det_rows[-1]), flush=True)
            for name, seg, n in segmenters:
                images, read = frames_of(clip, n)
                seg.people_given_faces(images[0], faces.faces(images[0]))  # warm up
                st = time_stages(images, seg, faces)
                per_frame = read + sum(st.values())
                row = {
                    "clip": os.path.basename(clip),
                    "size": f"{images[0].shape[1]}x{images[0].shape[0]}",
                    "segmenter": name,
                    "read_ms": round(1000 * read, 1),
                    **{f"{k}_ms": round(1000 * v, 1) for k, v in st.items()},
                    "segment_of_5_s": round(5 * per_frame, 2),
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
    with open(os.path.join(args.out, "features_timing.json"), "w") as f:
        json.dump({"rows": rows, "detectors": det_rows, "cpus": os.cpu_count(), "clock": args.clock}, f, indent=2)
    print("\n| clip | size | segmenter | read | faces | background | pose | resize | 5-frame segment |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['clip']} | {r['size']} | {r['segmenter']} | {r['read_ms']} ms | {r['faces_ms']} ms | "
            f"{r['background_ms']} ms | {r['pose_ms']} ms | {r['resize_ms']} ms | {r['segment_of_5_s']} s |"
        )
    print("\n| clip | size | face detector | detection | detection + 68 landmarks |")
    print("|---|---|---|---:|---:|")
    for r in det_rows:
        print(f"| {r['clip']} | {r['size']} | {r['detector']} | {r['detect_ms']} ms | {r['with_landmarks_ms']} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
