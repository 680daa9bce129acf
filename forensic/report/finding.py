"""What one flagged segment's page shows besides its score: the measurements the model judged, over
the sample frames, read from the segment's ``features.csv`` in the case folder.

* per sample frame: each person's yaw and pitch, whether each looks toward the other, the
  nose-to-nose distance (:func:`curves`);
* the two streams' contributions, only where the features folder records them
  (:func:`stream_contributions`); the fusion model mixes its streams in a nonlinear head, so the
  report never estimates them itself;
* the exact decoded still of each sample frame (``stills/frame_NNNNNN.png``, written by the features
  stage) beside the annotated keyframe, each with its SHA-256.

"Looks toward the other" is a reading of the numbers, not a model output: a person looks toward
the other when the head is turned at least :data:`LOOK_MIN_DEG` degrees to the side of the picture
where the other's nose is (yaw > 0 turns toward the picture's right).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

LOOK_MIN_DEG = 10.0
LOOK_RULE = (
    f"a person counts as looking toward the other when the head is turned at least {LOOK_MIN_DEG:g} degrees "
    "toward the side of the picture where the other's nose is (yaw > 0 turns toward the picture's right); "
    "a reading of the yaw and the two noses' positions, not a model output"
)
STREAM_KEYS = ("stream_contributions", "streams")


def _num(v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return math.nan
    return x


def looks_toward(yaw: float, own_x: float, other_x: float) -> bool | None:
    """True / False, or None when a number is missing or the two noses are level."""
    if not all(math.isfinite(v) for v in (yaw, own_x, other_x)) or own_x == other_x:
        return None
    side = 1.0 if other_x > own_x else -1.0
    return yaw * side >= LOOK_MIN_DEG


@dataclass
class FramePoint:
    frame: int | None
    s: float  # seconds from the first frame
    a_yaw: float
    a_pitch: float
    b_yaw: float
    b_pitch: float
    a_looks: bool | None
    b_looks: bool | None
    distance_px: float
    distance_norm: float
    faces: int | None
    has_pair: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def curves(rows: list[dict[str, Any]]) -> list[FramePoint]:
    out = []
    for r in rows:
        ax, bx = _num(r.get("A_nose_tip_x")), _num(r.get("B_nose_tip_x"))
        a_yaw, b_yaw = _num(r.get("A_yaw")), _num(r.get("B_yaw"))
        frame = _num(r.get("frame"))
        faces = _num(r.get("faces"))
        out.append(
            FramePoint(
                frame=int(frame) if math.isfinite(frame) else None,
                s=_num(r.get("s")),
                a_yaw=a_yaw,
                a_pitch=_num(r.get("A_pitch")),
                b_yaw=b_yaw,
                b_pitch=_num(r.get("B_pitch")),
                a_looks=looks_toward(a_yaw, ax, bx),
                b_looks=looks_toward(b_yaw, bx, ax),
                distance_px=_num(r.get("distance_px")),
                distance_norm=_num(r.get("distance_norm")),
                faces=int(faces) if math.isfinite(faces) else None,
                has_pair=str(r.get("has_pair")).strip().lower() in ("true", "1", "yes"),
            )
        )
    return out


def looks_summary(points: list[FramePoint]) -> str:
    """``A looks toward B in 3 of 5 sample frames, B toward A in 0 of 5``."""
    n = len(points)
    a = sum(1 for p in points if p.a_looks)
    b = sum(1 for p in points if p.b_looks)
    return f"A looks toward B in {a} of {n} sample frames, B toward A in {b} of {n}"


def stream_contributions(features_json: dict[str, Any]) -> list[tuple[str, str]] | None:
    """(name, value) rows when the features folder records the streams' contributions, else None."""
    for key in STREAM_KEYS:
        v = features_json.get(key)
        if isinstance(v, dict) and v:
            rows = []
            for name, x in v.items():
                if isinstance(x, (int, float)) and not isinstance(x, bool):
                    rows.append((str(name), f"{float(x):.4g}"))
                elif isinstance(x, (list, tuple)):
                    rows.append(
                        (str(name), ", ".join(f"{float(e):.3g}" if isinstance(e, (int, float)) else str(e) for e in x))
                    )
                else:
                    rows.append((str(name), str(x)))
            return rows
    return None


STREAMS_NOT_EXPOSED = (
    "Not recorded for this segment: the model does not expose its two streams' contributions "
    "(the frames stream and the numbers stream each end in 4 values that a nonlinear fusion "
    "layer mixes into the score), and this report does not estimate them."
)
