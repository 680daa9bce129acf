"""The JSON-ready ground truth of a rendered scene and its summary."""

from __future__ import annotations

import numpy as np

from forensic.synth.facepool import FacePool
from forensic.synth.scenarios import GENERATOR, POSE_CONVENTION
from forensic.synth.world import FrameTruth, Scene


def scene_truth(scene: Scene, pool: FacePool, truths: list[list[FrameTruth]]) -> dict:
    """The JSON-ready ground truth of a rendered scene."""
    people = []
    for k, p in enumerate(scene.people):
        fr = [tr[k] for tr in truths]
        people.append(
            {
                "role": p.role,
                **pool.describe(p.face),
                "walking": p.walking,
                "look": {
                    kk: (np.round(v, 3).tolist() if isinstance(v, np.ndarray) else v)
                    for kk, v in p.look.items()
                    if kk != "gaze_u"
                },
                "frames": {
                    "nose_x": [round(f.nose[0], 2) for f in fr],
                    "nose_y": [round(f.nose[1], 2) for f in fr],
                    "face_width": [round(f.face_width, 2) for f in fr],
                    "yaw": [round(f.yaw, 2) for f in fr],
                    "pitch": [round(f.pitch, 2) for f in fr],
                    "drawn_yaw": [f.drawn_yaw for f in fr],
                    "drawn_pitch": [f.drawn_pitch for f in fr],
                    "gaze": list(p.gaze),
                    "in_frame": [f.in_frame for f in fr],
                    "box": [list(f.box) for f in fr],
                    "six": [f.six for f in fr],
                    "world_x_hw": np.round(p.X - scene.camera_x, 3).tolist(),
                    "world_z_hw": np.round(p.Z - scene.camera_z, 3).tolist(),
                },
            }
        )
    out = {
        "generator": GENERATOR,
        "scenario": scene.scenario,
        "label": scene.label,
        "seed": scene.seed,
        "fps": str(scene.fps),
        "fps_float": float(scene.fps),
        "frames": scene.frames,
        "duration_s": round(scene.duration_s, 6),
        "width": scene.size[0],
        "height": scene.size[1],
        "pose_convention": POSE_CONVENTION,
        "params": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in scene.params.items()},
        "backdrop": scene.backdrop,
        "lighting": scene.lighting,
        "camera": {
            "handheld_px": round(float(np.abs(scene.shake).max()) if scene.frames else 0.0, 2),
            "track_x_hw": round(float(scene.camera_x[-1]) if scene.frames else 0.0, 3),
            "track_z_hw": round(float(scene.camera_z[-1]) if scene.frames else 0.0, 3),
        },
        "people": people,
    }
    if len(people) == 2:
        a, b = people
        d = np.hypot(
            np.subtract(a["frames"]["nose_x"], b["frames"]["nose_x"]),
            np.subtract(a["frames"]["nose_y"], b["frames"]["nose_y"]),
        )
        fwm = (np.array(a["frames"]["face_width"]) + np.array(b["frames"]["face_width"])) / 2
        out["nose_distance_px"] = np.round(d, 2).tolist()
        out["nose_distance_face_widths"] = np.round(d / fwm, 3).tolist()
    out["summary"] = summarize(out)
    return out


def summarize(gt: dict) -> dict:
    s: dict = {"people": len(gt["people"])}
    for p in gt["people"]:
        f = p["frames"]
        s[f"{p['role']}_face_width_px_mean"] = round(float(np.mean(f["face_width"])), 1) if f["face_width"] else None
        s[f"{p['role']}_yaw_mean"] = round(float(np.mean(f["yaw"])), 1) if f["yaw"] else None
        s[f"{p['role']}_in_frame"] = round(float(np.mean(f["in_frame"])), 3) if f["in_frame"] else None
    if "nose_distance_px" in gt and gt["nose_distance_px"]:
        s["distance_px_mean"] = round(float(np.mean(gt["nose_distance_px"])), 1)
        s["distance_face_widths_mean"] = round(float(np.mean(gt["nose_distance_face_widths"])), 2)
        s["distance_frac_width_mean"] = round(s["distance_px_mean"] / gt["width"], 3)
    return s
