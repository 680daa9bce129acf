"""The 29 numbers per frame, in one fixed order written down once (used by training and scanning).

Per frame, for persons A and B (see :func:`forensic.features.faces.pick_two`):
  24 landmark coordinates: for A then B, for each of the six points (nose tip, chin, left eye left
     corner, right eye right corner, mouth left, mouth right), x then y, in frame pixels;
   4 head-pose angles: A yaw, A pitch, B yaw, B pitch (degrees, see forensic.features.pose);
   1 distance: between A's and B's nose tips, in pixels (the paper's equation 7).
The table also keeps, outside the 29: the distance divided by the frame diagonal, the number of
faces found, and a mask saying whether the frame had both people.

Missing values: a frame without both people has NaN in all 29 columns and ``has_pair`` False; no
number is invented. What the model sees for them is decided by the model stage (the scaler's
mean, i.e. 0 after scaling, with the mask) and written in its model card.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forensic.features.faces import POINT_NAMES

PERSONS = ("A", "B")

FEATURE_COLUMNS: tuple[str, ...] = (
    *(f"{p}_{name}_{axis}" for p in PERSONS for name in POINT_NAMES for axis in ("x", "y")),
    *(f"{p}_{angle}" for p in PERSONS for angle in ("yaw", "pitch")),
    "distance_px",
)
assert len(FEATURE_COLUMNS) == 29

EXTRA_COLUMNS = ("distance_norm", "faces", "has_pair")


def frame_row(pair, width: int, height: int, faces_found: int, yaw_pitch) -> dict[str, float]:
    """One frame's row. ``pair`` = (face A or None, face B or None); ``yaw_pitch(face)`` gives
    (yaw, pitch) or None."""
    row = {c: np.nan for c in FEATURE_COLUMNS}
    a, b = pair
    row["faces"] = faces_found
    row["has_pair"] = bool(a is not None and b is not None)
    row["distance_norm"] = np.nan
    if not row["has_pair"]:
        return row
    for person, face in zip(PERSONS, (a, b)):
        for (x, y), name in zip(face.six, POINT_NAMES):
            row[f"{person}_{name}_x"] = float(x)
            row[f"{person}_{name}_y"] = float(y)
        yp = yaw_pitch(face)
        if yp is not None:
            row[f"{person}_yaw"], row[f"{person}_pitch"] = yp
    d = float(np.linalg.norm(a.nose - b.nose))
    row["distance_px"] = d
    row["distance_norm"] = d / float(np.hypot(width, height))
    return row


def to_frame(rows: list[dict[str, float]], frame_indices: list[int], seconds: list[float]) -> pd.DataFrame:
    """The segment's table: one row per sample frame (its decoded-frame index and its seconds from
    the first frame, see forensic.records), then the 29 feature columns, then the extras."""
    df = pd.DataFrame(rows, columns=[*FEATURE_COLUMNS, *EXTRA_COLUMNS])
    df.insert(0, "frame", frame_indices)
    df.insert(1, "s", seconds)
    df["has_pair"] = df["has_pair"].astype(bool)
    df["faces"] = df["faces"].astype(int)
    return df


def to_array(df: pd.DataFrame) -> np.ndarray:
    """frames x 29 float array in :data:`FEATURE_COLUMNS` order (NaN where missing)."""
    return df.loc[:, list(FEATURE_COLUMNS)].to_numpy(dtype=np.float64)


def long_form(df: pd.DataFrame) -> pd.DataFrame:
    """The same numbers with named parts: frame, person, point, axis, value (for reading)."""
    records = []
    for _, r in df.iterrows():
        for col in FEATURE_COLUMNS:
            if col == "distance_px":
                person, point, axis = "AB", "nose_tip", "distance_px"
            elif col.endswith(("_yaw", "_pitch")):
                person, axis = col.split("_", 1)
                point = "head"
            else:
                person, rest = col.split("_", 1)
                point, axis = rest.rsplit("_", 1)
            records.append({"frame": int(r["frame"]), "person": person, "point": point, "axis": axis, "value": r[col]})
    return pd.DataFrame.from_records(records)
