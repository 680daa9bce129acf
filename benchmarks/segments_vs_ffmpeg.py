"""Segmentation speed against plain ffmpeg decoding of the same files, in one run.

For each file: wall time of our segments stage (decode every frame with PyAV, scale, PySceneDetect
content detector, windows, samples) and of `ffmpeg -i FILE -f null -` (decode only, all threads),
and their ratio. Also the whole `forensic scan` of the real footage folder (hash, probe, segment,
re-hash). Ratios from one run are what to compare: the machines are shared and noisy.

    .venv/bin/python benchmarks/segments_vs_ffmpeg.py [--minutes 10] [--out benchmarks/out]
    .venv/bin/python benchmarks/segments_vs_ffmpeg.py --file /tmp/cctv.mp4   # only these files

With ``--file``, ffmpeg is timed before and after our stage on each file (the ratio both ways, so
a change of load during the run shows), with the load average beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from forensic import intake  # noqa: E402
from forensic.config import SegmentConfig  # noqa: E402
from forensic.segments import segment_file  # noqa: E402
from forensic.synth.lavfi import Shot, make_clip  # noqa: E402

FOOTAGE = REPO.parent / "shared" / "footage"


def time_ffmpeg(path: str) -> float:
    t = time.perf_counter()
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-"], check=True)
    return time.perf_counter() - t


def time_segments(path: str) -> tuple[float, int, float]:
    item = intake.discover([path])[0]
    intake.hash_item(item)
    info = intake.probe_item(item)
    assert info is not None, item.reason
    t = time.perf_counter()
    result = segment_file(
        item,
        SegmentConfig(),
        info.avg_fps or info.nominal_fps or Fraction(25),
        info.stream_index,
        info.stream_duration_s or info.duration_s,
    )
    return time.perf_counter() - t, len(result.segments), item.duration_s or 0.0


def long_archive(folder: str, minutes: float) -> str:
    """A long generated multi-shot file: 640x480, 25 fps, a cut every 20-40 s."""
    path = os.path.join(folder, f"archive_{minutes:g}min.mp4")
    sources = ["testsrc2", "smptebars", "mandelbrot", "color=c=red", "rgbtestsrc", "color=c=navy"]
    shots, total, i = [], 0, 0
    while total < minutes * 60 * 25:
        n = 25 * (20 + (i * 7) % 21)
        shots.append(Shot(sources[i % len(sources)], n))
        total += n
        i += 1
    return make_clip(path, shots, fps=25, size=(640, 480))


def measure_files(files: list[str], out: str) -> int:
    """ffmpeg, our segments stage, ffmpeg again, on each file, in one run."""
    rows = []
    for f in files:
        load0 = os.getloadavg()[0]
        ff1 = time_ffmpeg(f)
        ours, nseg, dur = time_segments(f)
        ff2 = time_ffmpeg(f)
        row = {
            "file": os.path.basename(f),
            "footage_s": round(dur, 2),
            "segments": nseg,
            "ffmpeg_before_s": round(ff1, 2),
            "segments_s": round(ours, 2),
            "ffmpeg_after_s": round(ff2, 2),
            "ratio_vs_ffmpeg_before": round(ours / ff1, 2),
            "ratio_vs_ffmpeg_after": round(ours / ff2, 2),
            "footage_s_per_wall_s": round(dur / ours, 1),
            "loadavg_start": round(load0, 1),
            "loadavg_end": round(os.getloadavg()[0], 1),
            "cpus": os.cpu_count(),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    with open(os.path.join(out, "segments_vs_ffmpeg_files.json"), "w") as fh:
        json.dump(rows, fh, indent=2)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="length of the generated archive file")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "out"))
    ap.add_argument("--file", action="append", default=[], help="measure only this file (repeatable)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.file:
        return measure_files(args.file, args.out)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        files = [long_archive(tmp, args.minutes)]
        if FOOTAGE.is_dir():
            files += sorted(str(p) for p in FOOTAGE.iterdir() if p.suffix in (".mp4", ".mkv"))
        else:
            print(f"note: {FOOTAGE} absent, real clips skipped", file=sys.stderr)
        for f in files:
            ff = time_ffmpeg(f)
            ours, nseg, dur = time_segments(f)
            rows.append(
                {
                    "file": os.path.basename(f),
                    "footage_s": round(dur, 2),
                    "segments": nseg,
                    "ffmpeg_decode_s": round(ff, 3),
                    "segments_s": round(ours, 3),
                    "ratio_vs_ffmpeg": round(ours / ff, 2),
                    "footage_s_per_wall_s": round(dur / ours, 1),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
        scan = None
        if FOOTAGE.is_dir():
            case = os.path.join(tmp, "case")
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "forensic", "scan", str(FOOTAGE), "--out", case, "-q"], check=True)
            scan_s = time.perf_counter() - t
            ff_all = sum(time_ffmpeg(str(p)) for p in FOOTAGE.iterdir() if p.suffix in (".mp4", ".mkv"))
            m = json.load(open(os.path.join(case, "manifest.json")))
            scan = {
                "scan_wall_s": round(scan_s, 2),
                "ffmpeg_decode_all_s": round(ff_all, 2),
                "ratio_vs_ffmpeg": round(scan_s / ff_all, 2),
                "segments": m["summary"]["segments"],
                "footage_s": m["summary"]["footage_seconds"],
            }
            print(json.dumps({"scan_of_shared_footage": scan}), flush=True)
    with open(os.path.join(args.out, "segments_vs_ffmpeg.json"), "w") as f:
        json.dump({"files": rows, "scan": scan, "cpus": os.cpu_count()}, f, indent=2)
    print("\n| file | footage s | segments | ffmpeg decode s | our segments s | ratio | footage s / wall s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['file']} | {r['footage_s']} | {r['segments']} | {r['ffmpeg_decode_s']} | {r['segments_s']} | "
            f"{r['ratio_vs_ffmpeg']} | {r['footage_s_per_wall_s']} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
