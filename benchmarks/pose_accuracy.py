"""Head pose accuracy against the generator's ground truth, by angle range, for each face photo.

Every face photo is re-posed with forensic.synth.faces3d over a grid of known yaw and pitch, pasted
at the centre of a 640x480 grey frame (face 100 px wide: the jaw, dlib points 1..17), and read back
the way the pipeline reads footage: dlib HOG (upsample 1) + 68 landmarks, then
forensic.features.pose.yaw_pitch on the paper's six points. For each face and angle range it
reports how often dlib finds the face and the mean absolute error (MAE) of yaw and pitch:

* ``abs``: against the ground truth itself (the photo counts as yaw = pitch = 0);
* ``rel``: after removing the face's own offset, the estimate at 0/0 (what the estimator reads
  on the photo: its bias with a generic six-point face and the photo's own slight turn).

Yaw ranges group the grid by |yaw| (all pitches within +-15), pitch ranges by |pitch| (all yaws
within +-15). A last table does the same on frames of generated clips (forensic.synth.scenes,
``--clips`` per class): how often dlib finds the people and the pose error there. Writes
benchmarks/out/pose_accuracy.json and the contact sheet
docs/synth_contact_sheet.png (faces x angles, requested vs estimated angles on every tile).

    .venv/bin/python benchmarks/pose_accuracy.py [--faces DIR] [--step 5] [--face-width 100] [--clips 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from forensic.features import pose  # noqa: E402
from forensic.features.faces import FaceFinder  # noqa: E402
from forensic.synth import faces3d  # noqa: E402

W, H = 640, 480
YAW_BINS = ((0, 15), (15, 30), (30, 45))
PITCH_BINS = ((0, 10), (10, 20), (20, 30))


def place(model: faces3d.FaceModel, yaw: float, pitch: float, face_width: float, bg: int = 110):
    """The re-posed head, nose at the frame centre; returns (ROI image, its offset in the frame,
    the drawn 68 landmarks in frame pixels). Only the ROI around the head is materialised: dlib
    runs on it and the landmarks are shifted back into the 640x480 frame for the pose."""
    r = model.render(yaw, pitch)
    k = face_width / model.face_width
    img = cv2.resize(r.image, None, fx=k, fy=k, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
    al = cv2.resize(r.alpha, None, fx=k, fy=k, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)[..., None]
    lm = (r.landmarks + 0.5) * k - 0.5
    ox, oy = int(round(W / 2 - lm[33, 0])), int(round(H / 2 - lm[33, 1]))
    pad = 30
    roi = np.full((img.shape[0] + 2 * pad, img.shape[1] + 2 * pad, 3), bg, np.uint8)
    inner = roi[pad:pad + img.shape[0], pad:pad + img.shape[1]]
    inner[:] = (img * al + inner * (1 - al) + 0.5).astype(np.uint8)
    return roi, (ox - pad, oy - pad), lm + (ox, oy)


def measure(model, finder, yaw, pitch, face_width, with_line=False):
    """(estimated (yaw, pitch) or None, ROI image, dlib Face in ROI pixels or None, direction line)."""
    roi, (dx, dy), lm = place(model, yaw, pitch, face_width)
    faces = finder.faces(roi)
    if not faces:
        return None, roi, None, None
    face = faces[0]
    six = face.six + (dx, dy)
    est = pose.yaw_pitch(six, W, H)
    line = None
    if with_line:
        ends = pose.direction_line(six, W, H, length=400.0)
        if ends is not None:
            line = tuple((int(round(x - dx)), int(round(y - dy))) for x, y in ends)
    return est, roi, face, line


def bin_rows(results, key, bins, other_key, offsets, face=None, other_limit=15.0):
    """MAE rows by |key| range for one face (or all faces together when face is None); rel
    removes each face's own estimate at 0/0."""
    rows = []
    for lo, hi in bins:
        sel = [r for r in results if (face is None or r["face"] == face) and lo <= abs(r[key]) <= hi
               and (abs(r[key]) > lo or lo == 0) and abs(r[other_key]) <= other_limit]  # fmt: skip
        found = [r for r in sel if r["est_yaw"] is not None]
        row = {"face": face or "all", "range": f"{lo}-{hi}", "n": len(sel), "found": len(found)}
        if found:
            ey = np.array([r["est_yaw"] for r in found])
            ep = np.array([r["est_pitch"] for r in found])
            gy = np.array([r["yaw"] for r in found])
            gp = np.array([r["pitch"] for r in found])
            oy = np.array([offsets[r["face"]][0] for r in found])
            op = np.array([offsets[r["face"]][1] for r in found])
            row.update(
                yaw_mae=float(np.mean(np.abs(ey - gy))), pitch_mae=float(np.mean(np.abs(ep - gp))),
                yaw_mae_rel=float(np.mean(np.abs(ey - oy - gy))), pitch_mae_rel=float(np.mean(np.abs(ep - op - gp))),
            )  # fmt: skip
        rows.append(row)
    return rows


def fmt(v):
    return "-" if v is None else f"{v:.1f}"


def table(rows, title, angle):
    out = [f"**{title}**", "",
           f"| face | \\|{angle}\\| range | found | yaw MAE abs | yaw MAE rel | pitch MAE abs | pitch MAE rel |",
           "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        out.append(f"| {r['face']} | {r['range']} | {r['found']}/{r['n']} | {fmt(r.get('yaw_mae'))} | "
                   f"{fmt(r.get('yaw_mae_rel'))} | {fmt(r.get('pitch_mae'))} | {fmt(r.get('pitch_mae_rel'))} |")  # fmt: skip
    return "\n".join(out)


def drawn_range(model, finder) -> tuple[float, float]:
    """The yaw range forensic.synth.scenes draws this face in (its dlib-detectable range less a margin)."""
    from forensic.synth.scenes import YAW_LIMIT, YAW_MARGIN

    lo, hi = faces3d.detectable_yaw_range(model, finder, limit=YAW_LIMIT)
    return min(-16.0, lo + YAW_MARGIN), max(16.0, hi - YAW_MARGIN)


def contact_sheet(models, finder, path: Path, face_width: float, yaws=(-40, -20, 0, 20, 40), pitches=(-20, 0, 15)):
    tile_w, tile_h = 180, 230
    rows = []
    font = cv2.FONT_HERSHEY_SIMPLEX
    for m in models:
        lo, hi = drawn_range(m, finder)
        for p in pitches:
            tiles = []
            for y in yaws:
                est, roi, face, line = measure(m, finder, y, p, face_width, with_line=True)
                img = roi.copy()
                if face is not None:
                    for (px, py) in face.six:
                        cv2.circle(img, (int(px), int(py)), 2, (0, 255, 0), -1, cv2.LINE_AA)
                    if line is not None:
                        cv2.line(img, line[0], line[1], (0, 0, 255), 2, cv2.LINE_AA)
                s = min(tile_w / img.shape[1], (tile_h - 34) / img.shape[0])
                img = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
                tile = np.full((tile_h, tile_w, 3), 245, np.uint8)
                x0 = (tile_w - img.shape[1]) // 2
                tile[0:img.shape[0], x0:x0 + img.shape[1]] = img
                cv2.putText(tile, f"req {y:+d} / {p:+d}", (4, tile_h - 20), font, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
                txt = "not found" if est is None else f"est {est[0]:+.0f} / {est[1]:+.0f}"
                cv2.putText(tile, txt, (4, tile_h - 6), font, 0.42, (0, 0, 160) if est is None else (0, 90, 0), 1,
                            cv2.LINE_AA)  # fmt: skip
                inside = lo <= y <= hi
                cv2.rectangle(tile, (0, 0), (tile_w - 1, tile_h - 1), (60, 160, 60) if inside else (170, 170, 170), 1)
                tiles.append(tile)
            rows.append(np.hstack(tiles))
    head = np.full((46, rows[0].shape[1], 3), 255, np.uint8)
    cv2.putText(head, "faces3d: requested yaw / pitch (deg) vs dlib + pose.yaw_pitch estimate", (6, 18), font, 0.45,
                (0, 0, 0), 1, cv2.LINE_AA)  # fmt: skip
    cv2.putText(head, "rows: face x pitch; green frame: yaw inside the range scenes draw this face in",
                (6, 38), font, 0.4, (60, 60, 60), 1, cv2.LINE_AA)  # fmt: skip
    sheet = np.vstack([head] + rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), sheet, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    return sheet.shape


def scene_stats(per_class: int, seed: int, finder, samples: int = 5) -> list[dict]:
    """dlib detection and pose error on frames of generated clips (before encoding), by scenario:
    the frames the pipeline will see (any position in the frame, 56-130 px faces, lighting, noise)."""
    from forensic.synth import scenes

    pool = scenes.FacePool()
    acc: dict[str, dict] = {}
    for label in scenes.LABELS:
        for i in range(per_class):
            sc = scenes.clip_spec(label, i, seed, pool)
            pick = set(np.linspace(0, sc.frames - 1, samples).astype(int).tolist())
            st = acc.setdefault(sc.scenario, {"label": label, "clips": 0, "persons": 0, "frames": 0, "both": 0,
                                              "dyaw": [], "dpitch": []})  # fmt: skip
            st["clips"] += 1
            for k, (frame, truths) in enumerate(scenes.render_scene(sc, pool)):
                if k not in pick:
                    continue
                faces = finder.faces(frame)
                st["frames"] += 1
                got = 0
                for t in truths:
                    st["persons"] += 1
                    near = [f for f in faces if np.hypot(*(f.nose - t.nose)) < 0.3 * t.face_width]
                    if not near:
                        continue
                    got += 1
                    est = pose.yaw_pitch(near[0].six, frame.shape[1], frame.shape[0])
                    st["dyaw"].append(est[0] - t.yaw)
                    st["dpitch"].append(est[1] - t.pitch)
                st["both"] += got == len(truths)
    per_scenario = list(acc.values())
    for label in (*scenes.LABELS, "all"):  # totals
        parts = [st for st in per_scenario if label in ("all", st["label"])]
        acc[f"(all {label})" if label != "all" else "(all)"] = {
            "label": label, **{k: sum(st[k] for st in parts) for k in ("clips", "persons", "frames", "both")},
            "dyaw": [d for st in parts for d in st["dyaw"]], "dpitch": [d for st in parts for d in st["dpitch"]]}
    rows = []
    for name, st in sorted(acc.items(), key=lambda kv: (kv[1]["label"] == "all", kv[1]["label"], kv[0])):
        rows.append({"scenario": name, "label": st["label"], "clips": st["clips"], "frames": st["frames"],
                     "faces_found": len(st["dyaw"]), "faces": st["persons"],
                     "both_found_frames": st["both"],
                     "yaw_mae": float(np.mean(np.abs(st["dyaw"]))) if st["dyaw"] else None,
                     "yaw_bias": float(np.mean(st["dyaw"])) if st["dyaw"] else None,
                     "pitch_mae": float(np.mean(np.abs(st["dpitch"]))) if st["dpitch"] else None,
                     "pitch_bias": float(np.mean(st["dpitch"])) if st["dpitch"] else None})  # fmt: skip
    return rows


def scene_table(rows) -> str:
    out = ["**in generated clips** (frames before encoding; yaw/pitch error = estimate - ground truth)", "",
           "| label | scenario | clips | faces found | frames with both | yaw MAE | yaw bias | pitch MAE | pitch bias |",
           "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        out.append(f"| {r['label']} | {r['scenario']} | {r['clips']} | {r['faces_found']}/{r['faces']} | "
                   f"{r['both_found_frames']}/{r['frames']} | {fmt(r['yaw_mae'])} | {fmt(r['yaw_bias'])} | "
                   f"{fmt(r['pitch_mae'])} | {fmt(r['pitch_bias'])} |")  # fmt: skip
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--faces", default=None, metavar="DIR", help="also these face photos")
    ap.add_argument("--step", type=float, default=5.0, help="grid step, degrees (default 5)")
    ap.add_argument("--face-width", type=float, default=100.0, help="face (jaw) width in pixels (default 100)")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "out" / "pose_accuracy.json"))
    ap.add_argument("--sheet", default=str(REPO / "docs" / "synth_contact_sheet.png"))
    ap.add_argument("--no-sheet", action="store_true")
    ap.add_argument("--clips", type=int, default=20, metavar="N",
                    help="also measure on N generated clips per class (default 20; 0: skip)")
    ap.add_argument("--seed", type=int, default=2024, help="seed of those clips (default 2024)")
    args = ap.parse_args(argv)

    t0 = time.time()
    finder = FaceFinder(upsample=1)
    models = faces3d.load_models(args.faces, mirrored=True, finder=finder)
    yaws = np.arange(-45, 45 + 1e-9, args.step)
    pitches = np.arange(-30, 30 + 1e-9, args.step)
    results, offsets = [], {}
    for m in models:
        base = measure(m, finder, 0.0, 0.0, args.face_width)[0]
        offsets[m.name] = base if base is not None else (0.0, 0.0)
        for p in pitches:
            for y in yaws:
                est = measure(m, finder, float(y), float(p), args.face_width)[0]
                results.append({"face": m.name, "yaw": float(y), "pitch": float(p),
                                "est_yaw": None if est is None else est[0], "est_pitch": None if est is None else est[1]})  # fmt: skip
    yaw_rows, pitch_rows = [], []
    for face in [m.name for m in models] + [None]:
        yaw_rows += bin_rows(results, "yaw", YAW_BINS, "pitch", offsets, face)
        pitch_rows += bin_rows(results, "pitch", PITCH_BINS, "yaw", offsets, face)

    md = [
        f"Pose accuracy: faces3d grid yaw {yaws[0]:.0f}..{yaws[-1]:.0f}, pitch {pitches[0]:.0f}..{pitches[-1]:.0f} "
        f"step {args.step:g} deg, face {args.face_width:g} px wide in a {W}x{H} frame; dlib HOG upsample 1 + "
        "pose.yaw_pitch. abs: error against the ground truth (photo = 0/0); rel: after removing the face's "
        "estimate at 0/0 (offset below).",
        "",
        "| face | estimate at 0/0 (yaw, pitch) | dlib-detectable yaw range | drawn in scenes |",
        "|---|---|---|---|",
    ]  # fmt: skip
    ranges = {}
    for m in models:
        ranges[m.name] = faces3d.detectable_yaw_range(m, finder)
        d = drawn_range(m, finder)
        o = offsets[m.name]
        md.append(f"| {m.name} | {o[0]:+.1f}, {o[1]:+.1f} | {ranges[m.name][0]:+.0f}..{ranges[m.name][1]:+.0f} | "
                  f"{d[0]:+.0f}..{d[1]:+.0f} |")
    md += ["", table(yaw_rows, "by |yaw| (pitch within +-15)", "yaw"), "",
           table(pitch_rows, "by |pitch| (yaw within +-15)", "pitch")]  # fmt: skip
    clip_rows = []
    if args.clips > 0:
        clip_rows = scene_stats(args.clips, args.seed, finder)
        md += ["", scene_table(clip_rows)]
    text = "\n".join(md)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet = None
    if not args.no_sheet:
        base_models = [m for m in models if not m.name.endswith("~mirrored")]
        sheet = contact_sheet(base_models, finder, Path(args.sheet), args.face_width)
        print(f"\ncontact sheet: {args.sheet} {sheet[1]}x{sheet[0]}")
    out.write_text(json.dumps({
        "grid": {"yaw": yaws.tolist(), "pitch": pitches.tolist(), "face_width_px": args.face_width,
                 "frame": [W, H]},
        "offsets": {k: list(v) for k, v in offsets.items()}, "detectable_yaw_range": ranges,
        "by_yaw": yaw_rows, "by_pitch": pitch_rows, "clips": {"per_class": args.clips, "seed": args.seed,
                                                               "by_scenario": clip_rows},
        "markdown": text, "results": results,
        "seconds": round(time.time() - t0, 1),
    }, indent=1))  # fmt: skip
    print(f"wrote {out} in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
