"""The whole scan against plain decoding, in one run: footage seconds per wall second, the ratio of
the scan's wall time to `ffmpeg -i FILE -f null -` decoding the same files, time per stage, one
worker against two (scaling efficiency: throughput with 2 workers / (2 x with 1)), and peak memory
(all processes of the scan, Ray workers included).

    .venv/bin/python benchmarks/scan_benchmark.py --model MODEL_DIR [--minutes 30] [--workers 1 2]
        [--two-face-clips 12] [--sets nobody scenarios two-faces real] [--data DIR]
        [--code CHECKOUT ...] [--repeats 1]

``--code`` times other checkouts of forensic in the same run (each scan runs that checkout's code,
one checkout after the other for each input and worker count, ``--repeats`` times): "before and
after a change" measured on the same machine at the same time. ``--data`` keeps the generated
inputs and reuses them in a later run.

Inputs: a generated archive of --minutes of footage with nobody in it (ffmpeg test patterns,
scene cuts every 20-40 s; the case the 2x-of-decode goal is about), the scenario archive of
`forensic synth archive` (people: stalking, together, alone, empty), generated labelled clips with
two faces throughout (`forensic synth clips`: every segment goes through the full features stage
and the model: the full-pipeline throughput), and the real clips of ../shared/footage when present.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from segments_vs_ffmpeg import long_archive  # noqa: E402

FOOTAGE = REPO.parent / "shared" / "footage"
SETS = ("nobody", "scenarios", "two-faces", "real")
VIDEO = (".mp4", ".mkv", ".ts", ".mov", ".avi")


def videos(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*") if p.suffix.lower() in VIDEO)


def ffmpeg_seconds(files: list[str]) -> float:
    t = time.perf_counter()
    for f in files:
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", f, "-f", "null", "-"], check=True)
    return time.perf_counter() - t


class RssSampler:
    """Peak of the summed resident memory of the scan process, its children and Ray's processes."""

    def __init__(self, root_pid: int):
        self.root = root_pid
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _tree(self) -> set[int]:
        kids: dict[int, list[int]] = {}
        ray_pids = set()
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d))
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    if b"ray" in f.read(4096):
                        ray_pids.add(int(d))
            except (OSError, ValueError, IndexError):
                continue
        out, todo = set(), [self.root]
        while todo:
            p = todo.pop()
            if p not in out:
                out.add(p)
                todo += kids.get(p, [])
        return out | ray_pids

    def _rss(self, pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(self._rss(p) for p in self._tree()))
            time.sleep(0.5)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def timed_scan(cmd: list[str], case: Path, env: dict[str, str], cwd: Path | None = None) -> tuple[float, int, dict]:
    """Runs a ``forensic scan`` command line into ``case``: its wall seconds, the peak RSS in MB of
    it and its children, and the case folder's manifest. Exits 0 or 3 (some inputs failed) only."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with RssSampler(proc.pid) as rss:
        _, err = proc.communicate()
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 3):
        raise RuntimeError(f"scan failed ({proc.returncode}): {err[-2000:]}")
    return wall, round(rss.peak / 2**20), json.loads((case / "manifest.json").read_text())


def describe_code(code: Path) -> str:
    """The checkout's commit (and ``+changes`` when its working tree differs from it)."""
    head = subprocess.run(["git", "-C", str(code), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "-C", str(code), "status", "--porcelain", "--untracked-files=no"], capture_output=True
    )
    return (head.stdout.strip() or str(code)) + ("+changes" if dirty.stdout.strip() else "")


def scan(inputs: Path, case: Path, model: str, engine: str, workers: int | None, code: Path = REPO) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "forensic",
        "scan",
        str(inputs),
        "--out",
        str(case),
        "--model",
        model,
        "--engine",
        engine,
        "--no-report",
        "-q",
    ]
    if workers:
        cmd += ["--workers", str(workers)]
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2", RAY_AUTH_MODE="token")
    env["PYTHONPATH"] = str(code)  # that checkout's forensic, in the scan and in its Ray workers
    wall, peak, m = timed_scan(cmd, case, env, cwd=code)
    s = m["summary"]
    return {
        "code": describe_code(code),
        "engine": engine,
        "workers": workers or m["cluster"].get("workers"),
        "wall_s": round(wall, 1),
        "footage_s": round(s["footage_seconds"], 1),
        "segments": s["segments"],
        "findings": s.get("findings_by_status"),
        "gated": sum(
            "presence_gate" in r["flags"] for r in _findings(case)
        ),  # finished by the presence gate; the rest took the full path or were short
        "stages_s": m["sessions"][-1].get("timings_s"),
        "peak_rss_mb": peak,
        "footage_s_per_wall_s": round(s["footage_seconds"] / wall, 2),
    }


def _findings(case: Path) -> list[dict]:
    import csv

    with open(case / "findings.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--scenario-minutes", type=float, default=10.0, help="0: skip the scenario archive")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--two-face-clips", type=int, default=12, help="generated two-person clips per class")
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "out"))
    ap.add_argument("--data", default=None, help="keep the generated inputs here and reuse them (default: a temp dir)")
    ap.add_argument("--code", nargs="+", type=Path, default=[REPO], help="forensic checkouts to time in this run")
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(args.data or tmp).resolve()  # the scans run in the checkouts of --code
        sets = []
        if "nobody" in args.sets:
            nobody = data / f"nobody-{args.minutes:g}"
            if not nobody.is_dir():
                nobody.mkdir(parents=True)
                long_archive(str(nobody), args.minutes)
            sets.append(("generated, nobody in it", nobody))
        if "scenarios" in args.sets and args.scenario_minutes:
            from forensic.synth.archive import make_archive

            people = data / f"people-{args.scenario_minutes:g}"
            if not (people / "ground_truth.csv").is_file():
                make_archive(str(people), args.scenario_minutes, seed=1)
            sets.append(("generated scenarios (people)", people / "footage"))
        if "two-faces" in args.sets and args.two_face_clips:
            from forensic.synth.clips import make_clips

            pairs = data / f"two-faces-{args.two_face_clips}"
            if not (pairs / "clips.csv").is_file():
                make_clips(str(pairs), args.two_face_clips, seed=7, jobs=2)
            sets.append(("generated clips, two faces throughout", pairs))
        if "real" in args.sets and FOOTAGE.is_dir():
            sets.append(("real clips (../shared/footage)", FOOTAGE))
        for label, folder in sets:
            files = videos(folder)
            ff = ffmpeg_seconds(files)
            for w, _rep, code in itertools.product(args.workers, range(args.repeats), args.code):
                case = Path(tmp).resolve() / f"case-{len(results)}"
                r = scan(folder, case, str(Path(args.model).resolve()), "ray", w, code.resolve())
                r.update(
                    input=label,
                    files=len(files),
                    ffmpeg_decode_s=round(ff, 2),
                    ratio_vs_ffmpeg=round(r["wall_s"] / ff, 2),
                )
                r["footage_s_per_wall_s_per_worker"] = round(r["footage_s_per_wall_s"] / r["workers"], 2)
                one = next(
                    (q for q in results if q["input"] == label and q["workers"] == 1 and q["code"] == r["code"]), None
                )
                if one and r["workers"] > 1:
                    r["scaling_efficiency"] = round(
                        r["footage_s_per_wall_s"] / (r["workers"] * one["footage_s_per_wall_s"]), 2
                    )
                results.append(r)
                print(json.dumps(r), flush=True)
    with open(os.path.join(args.out, "scan_benchmark.json"), "w") as f:
        json.dump({"results": results, "cpus": os.cpu_count()}, f, indent=2)
    print(
        "\n| code | input | footage | workers | scan wall | ffmpeg decode | ratio | footage s / wall s | "
        "intake / segments / gate / features+model / rehash (s) | peak RSS | scaling |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for r in results:
        st = r["stages_s"] or {}
        stages = " / ".join(str(st.get(k, "?")) for k in ("intake", "segments", "gate", "features_and_model", "rehash"))
        print(
            f"| {r['code']} | {r['input']} | {r['footage_s']} s | {r['workers']} | {r['wall_s']} s | {r['ffmpeg_decode_s']} s | "
            f"{r['ratio_vs_ffmpeg']} | {r['footage_s_per_wall_s']} | {stages} | {r['peak_rss_mb']} MB | {r.get('scaling_efficiency', '')} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
