"""Co-appearance: identity clustering and pair listing against ground truth, and what it costs.

    .venv/bin/python benchmarks/coappear_benchmark.py --work /tmp/coappear_bench [--minutes 5] [--faces 6]

1. A generated archive (`forensic.synth.scenes.make_archive`) whose people are the two packaged
   face photos and ``--faces`` frontal real faces of ../shared/pose/aflw2000 (linked by path from a
   temporary folder, never copied into the repository); the generator draws each photo and its
   mirror image, and its ground truth names the person (``identity``: a mirrored photo is the same
   person), so pairs recur across scenes and files.
2. ``forensic scan`` of it (local engine; the co-appearance step and the report at its end).
3. Every sighting (a person of an analysed segment with a descriptor) matched to the ground-truth
   person by nose position at the frame its descriptor came from; then cluster purity (share of
   sightings in their cluster's majority person), inverse purity / completeness (share in their
   person's largest cluster), scikit-learn's homogeneity and completeness, and pair precision and
   recall: a listed pair is right when its two clusters' majority people are a pair seen together
   in 2+ analysed segments with descriptors (recall against the same set), for both methods and
   several thresholds.
4. Cost: descriptor time against the rest of the features stage on analysed segments (features.json
   timings), and clustering 10,000 synthetic descriptors.
5. The real clips: three clips of one person (../shared/footage/intel_asl_*) and head-pose clips of
   two other people (../shared/people): one identity per real person?
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared"
AFLW = SHARED / "pose" / "aflw2000"
REAL_SAME = [SHARED / "footage" / f"intel_asl_{n}.mkv" for n in ("book", "sister", "walk")]
REAL_OTHERS = [SHARED / "people" / f"intel_head-pose-face-detection-{n}.gif" for n in ("female", "male")]


def frontal_faces(n: int, folder: str) -> list[str]:
    """Links to the n most frontal AFLW2000 faces in ``folder`` (a temporary folder)."""
    with open(AFLW / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    rows.sort(key=lambda r: abs(float(r["yaw_deg"])) + abs(float(r["pitch_deg"])))
    out = []
    for r in rows[:n]:
        src = AFLW / r["image"]
        dst = os.path.join(folder, os.path.basename(r["image"]))
        os.symlink(src, dst)
        out.append(dst)
    return out


def generate(work: Path, minutes: float, n_faces: int, seed: int) -> None:
    from forensic.synth.scenes import make_archive

    if (work / "archive" / "ground_truth.csv").is_file():
        return
    faces = work / "faces"
    faces.mkdir(parents=True, exist_ok=True)
    if not any(faces.iterdir()):
        frontal_faces(n_faces, str(faces))
    t = time.perf_counter()
    make_archive(str(work / "archive"), minutes, seed, str(faces), file_minutes=(0.8, 1.4))
    print(f"archive generated in {time.perf_counter() - t:.0f} s", flush=True)


def scan(work: Path) -> None:
    case = work / "case"
    if (case / "coappearance.csv").is_file():
        return
    cmd = [
        str(REPO / ".venv" / "bin" / "forensic"),
        "scan",
        str(work / "archive" / "footage"),
        "--out",
        str(case),
        "--engine",
        "local",
        "-q",
        "--no-rehash",
    ]
    t = time.perf_counter()
    rc = subprocess.run(cmd).returncode
    print(f"scan exit {rc} in {time.perf_counter() - t:.0f} s", flush=True)


def truth_people(work: Path) -> dict[str, list[dict]]:
    """Per footage file name: its scenes (start_frame, end_frame, people with identity and noses)."""
    out = {}
    for p in (work / "archive" / "ground_truth").glob("*.json"):
        with open(p) as f:
            d = json.load(f)
        out[os.path.basename(d["file"])] = d["scenes"]
    return out


def match(sightings, work: Path) -> list[str | None]:
    """The ground-truth person of each sighting (None when no person's nose is near)."""
    from forensic.coappear.load import read_identity

    gt = truth_people(work)
    case = str(work / "case")
    cache: dict[str, dict] = {}
    out = []
    for s in sightings:
        rec = cache.setdefault(s.features_dir, read_identity(case, s.features_dir) or {})
        person = next((p for p in rec.get("people", []) if p["person"] == s.person), None)
        scenes = gt.get(os.path.basename(s.path), [])
        who = None
        if person and person["frames_used"]:
            frame, nose = person["frames_used"][0], person["nose"][0]
            for sc in scenes:
                if sc["start_frame"] <= frame < sc["end_frame"]:
                    k = frame - sc["start_frame"]
                    best = None
                    for gp in sc["people"]:
                        fx, fy, fw = gp["frames"]["nose_x"][k], gp["frames"]["nose_y"][k], gp["frames"]["face_width"][k]
                        d = float(np.hypot(fx - nose[0], fy - nose[1]))
                        if d < 0.5 * fw and (best is None or d < best[0]):
                            best = (d, gp["identity"])
                    who = best[1] if best else None
        out.append(who)
    return out


def scores(labels: list[str], truth: list[str]) -> dict[str, float]:
    from sklearn.metrics import homogeneity_completeness_v_measure

    n = len(labels)
    by_cluster, by_truth = defaultdict(Counter), defaultdict(Counter)
    for c, t in zip(labels, truth):
        by_cluster[c][t] += 1
        by_truth[t][c] += 1
    purity = sum(max(v.values()) for v in by_cluster.values()) / n
    inverse = sum(max(v.values()) for v in by_truth.values()) / n
    h, c, v = homogeneity_completeness_v_measure(truth, labels)
    return {
        "purity": purity,
        "inverse_purity": inverse,
        "homogeneity": h,
        "completeness": c,
        "v_measure": v,
        "clusters": len(by_cluster),
        "people": len(by_truth),
        "sightings": n,
    }


def pair_scores(res, truth_of: dict[int, str]) -> dict[str, float]:
    """Listed pairs against the true pairs seen together in 2+ segments (both people matched)."""
    ss = res.sightings
    major = {}
    by_cluster = defaultdict(Counter)
    for k, s in enumerate(ss):
        if truth_of.get(k):
            by_cluster[s.identity][truth_of[k]] += 1
    for c, cnt in by_cluster.items():
        major[c] = cnt.most_common(1)[0][0]
    seg = defaultdict(list)
    for k, s in enumerate(ss):
        seg[s.key].append(truth_of.get(k))
    true_count = Counter(tuple(sorted(v)) for v in seg.values() if len(v) == 2 and all(v) and v[0] != v[1])
    true_pairs = {p for p, n in true_count.items() if n >= res.settings.min_segments}
    listed = [tuple(sorted((major.get(p.first), major.get(p.second)))) for p in res.pairs]
    right = [p for p in listed if p in true_pairs and p[0] != p[1]]
    precision = len(right) / len(listed) if listed else 1.0
    recall = len(set(right)) / len(true_pairs) if true_pairs else 1.0
    # the stricter question: pairs seen together in 2+ different files
    files = defaultdict(set)
    for k, s in enumerate(ss):
        v = seg[s.key]
        if len(v) == 2 and all(v) and v[0] != v[1]:
            files[tuple(sorted(v))].add(s.sha256)
    true_x = {p for p, f in files.items() if len(f) >= 2}
    listed_x = [tuple(sorted((major.get(p.first), major.get(p.second)))) for p in res.pairs if p.files >= 2]
    right_x = [p for p in listed_x if p in true_x]
    return {
        "pairs_listed": len(listed),
        "pairs_true": len(true_pairs),
        "pairs_right": len(right),
        "pair_precision": precision,
        "pair_recall": recall,
        "duplicate_listings": len(right) - len(set(right)),
        "cross_file_listed": len(listed_x),
        "cross_file_true": len(true_x),
        "cross_file_precision": len(right_x) / len(listed_x) if listed_x else 1.0,
        "cross_file_recall": len(set(right_x)) / len(true_x) if true_x else 1.0,
        "listed_people": sorted(set(listed)),
    }


def scene_pairs(work: Path) -> set[tuple[str, str]]:
    """Pairs of people together in 2+ two-person scenes of the archive (what is there to find)."""
    with open(work / "archive" / "ground_truth.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["people"] == "2"]
    count = Counter(tuple(sorted(x.split("~")[0] for x in r["faces"].split(";"))) for r in rows)
    return {p for p, n in count.items() if n >= 2}


def evaluate(work: Path) -> list[dict]:
    from forensic.coappear import CoappearSettings, run

    rows = []
    base = run(str(work / "case"), CoappearSettings(), write=False)
    truth = match(base.sightings, work)
    print(
        f"{len(base.sightings)} sightings, {sum(t is None for t in truth)} without a ground-truth person; "
        f"counts {base.counts}",
        flush=True,
    )
    for method in ("connected", "chinese-whispers"):
        for thr in (0.4, 0.5, 0.6, 0.7):
            res = run(str(work / "case"), CoappearSettings(method=method, threshold=thr), write=False)
            keep = [k for k, t in enumerate(truth) if t]
            sc = scores([res.sightings[k].identity for k in keep], [truth[k] for k in keep])
            ps = pair_scores(res, {k: truth[k] for k in keep})
            found = set(ps.pop("listed_people"))
            wanted = scene_pairs(work)
            rows.append(
                {
                    "method": method,
                    "threshold": thr,
                    **sc,
                    **ps,
                    "scene_pairs": len(wanted),
                    "scene_pairs_found": len(found & wanted),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    return rows


def cost(work: Path) -> dict:
    """Descriptor seconds against the rest of the features stage, analysed segments."""
    ident, rest, n = 0.0, 0.0, 0
    for p in (work / "case" / "features").rglob("features.json"):
        with open(p) as f:
            meta = json.load(f)
        t = meta.get("timings_s") or {}
        if meta.get("status") == "ok" and "identity" in t:
            ident += t["identity"]
            rest += sum(v for k, v in t.items() if k != "identity")
            n += 1
    out = {
        "segments": n,
        "identity_s": ident,
        "rest_of_features_s": rest,
        "share_of_features_without_decode": ident / rest if rest else None,
    }
    print(json.dumps(out), flush=True)
    return out


def cost_ab(work: Path, most: int = 10) -> dict:
    """The features stage of analysed segments (decode of the sample frames included) with and without
    the descriptors, alternating, on the same segments: the share the descriptors add."""
    import dataclasses

    from forensic.features import FeatureConfig, make_segmenter
    from forensic.features.segment import segment_features
    from forensic.records import Segment

    names = {f.name for f in dataclasses.fields(Segment)}
    done = []
    for p in sorted((work / "case" / "features").rglob("features.json")):
        with open(p) as f:
            meta = json.load(f)
        if meta.get("status") == "ok":
            d = {k: v for k, v in meta["segment"].items() if k in names}
            for k in ("sample_frames", "sample_pts", "sample_s", "flags"):
                d[k] = tuple(d[k])
            done.append(Segment(**d))
    step = max(1, len(done) // most)
    segs = done[::step][:most]
    cfg_on, cfg_off = FeatureConfig(), FeatureConfig(identity_descriptors=False)
    faces = cfg_on.face_finder()
    segmenter = make_segmenter("hog-face-grabcut", None, faces)
    segment_features(segs[0], segmenter, faces, config=cfg_on)  # warm: models loaded
    wall = {True: 0.0, False: 0.0}
    cpu = {True: 0.0, False: 0.0}
    for n, seg in enumerate(segs):
        for cfg in (cfg_off, cfg_on) if n % 2 else (cfg_on, cfg_off):
            t, c = time.perf_counter(), time.process_time()
            segment_features(seg, segmenter, faces, config=cfg)
            wall[cfg.identity_descriptors] += time.perf_counter() - t
            cpu[cfg.identity_descriptors] += time.process_time() - c
    out = {
        "segments": len(segs),
        "wall_without_s": wall[False],
        "wall_with_s": wall[True],
        "wall_added": wall[True] / wall[False] - 1,
        "cpu_without_s": cpu[False],
        "cpu_with_s": cpu[True],
        "cpu_added": cpu[True] / cpu[False] - 1,
    }
    print(json.dumps(out), flush=True)
    return out


def cluster_10k(n_people: int = 500, per: int = 20, seed: int = 0) -> list[dict]:
    """10,000 synthetic descriptors: people 0.9 apart on average, sightings 0.35 apart within."""
    from forensic.coappear.cluster import cluster

    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 0.9 / np.sqrt(2 * 128), (n_people, 128))
    truth = np.repeat(np.arange(n_people), per)
    x = centres[truth] + rng.normal(0, 0.35 / np.sqrt(2 * 128), (len(truth), 128))
    order = rng.permutation(len(truth))
    x, truth = x[order], truth[order]
    groups = [f"s{k // 2}" for k in range(len(truth))]  # two people per "segment"
    out = []
    for method in ("connected", "chinese-whispers"):
        t = time.perf_counter()
        labels, info = cluster(x, groups, method, 0.6)
        sec = time.perf_counter() - t
        sc = scores([str(v) for v in labels], [str(v) for v in truth])
        out.append(
            {
                "method": method,
                "descriptors": len(x),
                "seconds": round(sec, 2),
                **info,
                "purity": sc["purity"],
                "inverse_purity": sc["inverse_purity"],
                "clusters": sc["clusters"],
            }
        )
        print(json.dumps(out[-1]), flush=True)
    return out


def real_clips() -> dict:
    from forensic.coappear.cluster import cluster
    from forensic.features.identity import clip_descriptors

    clips = [p for p in REAL_SAME + REAL_OTHERS if p.is_file()]
    if len(clips) < len(REAL_SAME + REAL_OTHERS):
        print("real clips: ../shared missing, skipped")
        return {}
    x, who, groups = [], [], []
    for p in clips:
        for k, d in enumerate(clip_descriptors(str(p))):
            x.append(d)
            who.append("asl" if p in REAL_SAME else p.stem)
            groups.append(f"{p.name}:{k}")
    out = {}
    for method in ("connected", "chinese-whispers"):
        labels, _ = cluster(np.stack(x), groups, method, 0.6)
        per = defaultdict(Counter)
        for lab, w in zip(labels, who):
            per[w][int(lab)] += 1
        out[method] = {w: dict(c) for w, c in per.items()}
        print(method, json.dumps(out[method]), flush=True)
    xs = np.stack(x)
    names = sorted(set(who))
    means = {w: xs[[k for k, v in enumerate(who) if v == w]].mean(axis=0) for w in names}
    within = {
        w: float(np.max(np.linalg.norm(xs[[k for k, v in enumerate(who) if v == w]] - means[w], axis=1))) for w in names
    }
    between = {
        f"{a}|{b}": float(np.linalg.norm(means[a] - means[b])) for i, a in enumerate(names) for b in names[i + 1 :]
    }
    out["within_max_to_mean"], out["between_means"] = within, between
    print(json.dumps({"within": within, "between": between}), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "coappear_bench"))
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--faces", type=int, default=6, help="real AFLW2000 faces added to the two packaged ones")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--only", nargs="*", default=["archive", "cost", "cluster", "real"])
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results = {}
    if "archive" in args.only:
        if not AFLW.is_dir():
            print("../shared/pose/aflw2000 missing: the archive benchmark needs real faces; skipped")
        else:
            generate(work, args.minutes, args.faces, args.seed)
            scan(work)
            results["archive"] = evaluate(work)
    if "cost" in args.only and (work / "case").is_dir():
        results["cost"] = cost(work)
        results["cost_ab"] = cost_ab(work)
    if "cluster" in args.only:
        results["cluster_10k"] = cluster_10k()
    if "real" in args.only:
        results["real"] = real_clips()
    with open(work / "results.json", "w") as f:
        json.dump(results, f, indent=1)
    print(f"results: {work / 'results.json'}")


if __name__ == "__main__":
    main()
