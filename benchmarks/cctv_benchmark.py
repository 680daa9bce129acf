"""The one-hour CCTV scan of the data-path issue against decoding it, in one run.

    .venv/bin/python benchmarks/cctv_benchmark.py [--file CCTV.mp4] [--model MODEL_DIR] [--engines ray local]
        [--loops 26]

The file is ../shared/footage/intel_one-by-one-person-detection.mp4 looped 26 times without
re-encoding (``ffmpeg -stream_loop 25 -i CLIP -c copy FILE``: 768x432, 10 fps, about 60 min),
built into a temporary folder when absent (``--loops 4``: the same clip looped 4 times, about 9 min,
to compare peak memory for 10 against 60 minutes of footage). The run times ``ffmpeg -i FILE -f null -`` before and
after the scans (the machine may be shared: both are reported, the ratio uses their mean), then
``forensic scan FILE --out CASE`` with each engine (Ray, the default, and ``--engine local``), each
with the presence gate (default) and, with ``--no-gate-too``, without it. For each scan: wall
time, the ratio to the decode, segments finished by the presence gate against segments that went
through the full features stage, time per stage, peak RSS of all its processes (Ray's included).
Prints a table and writes benchmarks/out/cctv.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from scan_benchmark import timed_scan  # noqa: E402

CLIP = REPO.parent / "shared" / "footage" / "intel_one-by-one-person-detection.mp4"
OUT = REPO / "benchmarks" / "out" / "cctv.json"


def build(path: Path, loops: int = 26) -> None:
    if path.is_file():
        return
    if not CLIP.is_file():
        raise SystemExit(f"{CLIP} is absent: the CCTV hour is built from it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.mp4")
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-stream_loop",
            str(loops - 1),
            "-i",
            str(CLIP),
            "-c",
            "copy",
            str(tmp),
        ],
        check=True,
    )
    tmp.rename(path)


def decode_s(path: Path) -> float:
    t = time.perf_counter()
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"], check=True)
    return time.perf_counter() - t


def findings_split(case: Path) -> dict[str, int]:
    import pandas as pd

    df = pd.read_csv(case / "findings.csv", keep_default_na=False)
    gated = df["flags"].str.contains("presence_gate")
    return {
        "gated": int(gated.sum()),
        "full_path": int((~gated).sum()),
        "by_status": {str(k): int(v) for k, v in df["status"].value_counts().items()},
    }


def scan(path: Path, case: Path, engine: str, model: str | None, gate: bool, report: bool) -> dict:
    cmd = [sys.executable, "-m", "forensic", "scan", str(path), "--out", str(case), "-q", "--engine", engine]
    if model:
        cmd += ["--model", model]
    if not gate:
        cmd.append("--no-gate")
    if not report:
        cmd.append("--no-report")
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2")
    wall, peak, m = timed_scan(cmd, case, env)
    return {
        "engine": engine,
        "gate": gate,
        "wall_s": round(wall, 1),
        "footage_s": round(m["summary"]["footage_seconds"], 1),
        "segments": m["summary"]["segments"],
        "workers": m["cluster"].get("workers"),
        "stages_s": m["sessions"][-1].get("timings_s"),
        "peak_rss_mb": peak,
        **findings_split(case),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--file", type=Path, default=None, help="default: forensic-bench/cctv[-LOOPS].mp4 in the temp dir")
    ap.add_argument("--loops", type=int, default=26, help="times the clip is played in the built file (26: an hour)")
    ap.add_argument("--model", default=None, help="model folder (default: the scan's, models/default)")
    ap.add_argument("--engines", nargs="+", default=["ray", "local"], choices=("ray", "local"))
    ap.add_argument("--no-gate-too", action="store_true", help="also scan with --no-gate (slow: hours)")
    ap.add_argument("--no-report", action="store_true", help="pass --no-report to the scans")
    args = ap.parse_args()
    if args.file is None:
        name = "cctv.mp4" if args.loops == 26 else f"cctv-{args.loops}.mp4"
        args.file = Path(tempfile.gettempdir()) / "forensic-bench" / name
    build(args.file, args.loops)
    load_before = os.getloadavg()[0]
    before = decode_s(args.file)
    runs = []
    with tempfile.TemporaryDirectory(prefix="cctv-bench-") as tmp:
        for engine in args.engines:
            for gate in (True, False) if args.no_gate_too else (True,):
                case = Path(tmp) / f"case-{engine}-{'gate' if gate else 'nogate'}"
                runs.append(scan(args.file, case, engine, args.model, gate, not args.no_report))
                print(json.dumps(runs[-1]), flush=True)
    after = decode_s(args.file)
    decode = (before + after) / 2
    for r in runs:
        r["ratio_vs_ffmpeg"] = round(r["wall_s"] / decode, 2)
        r["footage_s_per_wall_s"] = round(r["footage_s"] / r["wall_s"], 2)
    result = {
        "file": str(args.file),
        "loops": args.loops,
        "ffmpeg_decode_s": {"before": round(before, 2), "after": round(after, 2), "mean": round(decode, 2)},
        "load_average": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "cpus": len(os.sched_getaffinity(0)),
        "runs": runs,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    out = OUT if args.loops == 26 else OUT.with_name(f"cctv-{args.loops}.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"ffmpeg -f null: {before:.1f} s before, {after:.1f} s after; load {load_before:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    print(
        "| engine | gate | footage | segments | gated / full path | scan wall | ratio | footage s / wall s | peak RSS |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        print(
            f"| {r['engine']} | {'on' if r['gate'] else 'off'} | {r['footage_s']} s | {r['segments']} | "
            f"{r['gated']} / {r['full_path']} | {r['wall_s']} s | {r['ratio_vs_ffmpeg']} | "
            f"{r['footage_s_per_wall_s']} | {r['peak_rss_mb']} MB |"
        )
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
