"""The 29 numbers per frame (forensic.features.table): fixed column order, rows, missing values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forensic.features import table
from forensic.features.faces import Face

EXPECTED_COLUMNS = [
    "A_nose_tip_x",
    "A_nose_tip_y",
    "A_chin_x",
    "A_chin_y",
    "A_left_eye_left_corner_x",
    "A_left_eye_left_corner_y",
    "A_right_eye_right_corner_x",
    "A_right_eye_right_corner_y",
    "A_mouth_left_corner_x",
    "A_mouth_left_corner_y",
    "A_mouth_right_corner_x",
    "A_mouth_right_corner_y",
    "B_nose_tip_x",
    "B_nose_tip_y",
    "B_chin_x",
    "B_chin_y",
    "B_left_eye_left_corner_x",
    "B_left_eye_left_corner_y",
    "B_right_eye_right_corner_x",
    "B_right_eye_right_corner_y",
    "B_mouth_left_corner_x",
    "B_mouth_left_corner_y",
    "B_mouth_right_corner_x",
    "B_mouth_right_corner_y",
    "A_yaw",
    "A_pitch",
    "B_yaw",
    "B_pitch",
    "distance_px",
]
DLIB0 = (33, 8, 36, 45, 48, 54)


def face(seed: int, dx: float = 0.0) -> Face:
    rng = np.random.default_rng(seed)
    lm = rng.uniform(0, 300, (68, 2)) + (dx, 0.0)
    return Face((0, 0, 50, 50), 1.0, lm)


def test_feature_columns_exact_order():
    assert list(table.FEATURE_COLUMNS) == EXPECTED_COLUMNS
    assert len(table.FEATURE_COLUMNS) == 29 == len(set(table.FEATURE_COLUMNS))
    assert table.EXTRA_COLUMNS == ("distance_norm", "faces", "has_pair")


def test_frame_row_with_a_pair_fills_all_29():
    a, b = face(1), face(2, dx=600)
    angles = {id(a): (12.5, -3.0), id(b): (-40.0, 7.25)}
    row = table.frame_row((a, b), 1280, 720, 3, lambda f: angles[id(f)])
    assert all(not math.isnan(row[c]) for c in table.FEATURE_COLUMNS)
    for person, f in (("A", a), ("B", b)):
        values = [row[c] for c in EXPECTED_COLUMNS if c.startswith(person + "_") and c[-2:] in ("_x", "_y")]
        expected = [v for i in DLIB0 for v in f.landmarks[i]]  # x then y of each point, in POINTS order
        assert values == expected
    assert (row["A_yaw"], row["A_pitch"], row["B_yaw"], row["B_pitch"]) == (12.5, -3.0, -40.0, 7.25)
    d = float(np.hypot(*(a.landmarks[33] - b.landmarks[33])))
    assert row["distance_px"] == pytest.approx(d, rel=1e-12)
    assert row["distance_px"] > 300  # B sits 600 px to the right
    assert row["distance_norm"] == pytest.approx(d / math.hypot(1280, 720), rel=1e-12)
    assert row["has_pair"] is True and row["faces"] == 3


def test_frame_row_without_pose_keeps_landmarks():
    a, b = face(1), face(2)
    row = table.frame_row((a, b), 640, 480, 2, lambda f: None)
    assert row["has_pair"] is True
    assert all(math.isnan(row[c]) for c in ("A_yaw", "A_pitch", "B_yaw", "B_pitch"))
    assert row["A_nose_tip_x"] == a.landmarks[33][0] and not math.isnan(row["distance_px"])


@pytest.mark.parametrize("which", ["no_b", "no_a", "none"])
def test_missing_person_gives_all_nan_no_invented_numbers(which):
    a, b = face(1), face(2)
    pair = {"no_b": (a, None), "no_a": (None, b), "none": (None, None)}[which]
    row = table.frame_row(pair, 640, 480, 1 if which != "none" else 0, lambda f: (1.0, 2.0))
    assert all(math.isnan(row[c]) for c in table.FEATURE_COLUMNS)
    assert math.isnan(row["distance_norm"])
    assert row["has_pair"] is False
    assert row["faces"] == (0 if which == "none" else 1)


def _frame(n: int) -> pd.DataFrame:
    rows = []
    for i in range(n):
        if i == 1:
            rows.append(table.frame_row((face(9), None), 640, 480, 1, lambda f: (0.0, 0.0)))
        else:
            a, b = face(10 + i), face(20 + i, dx=400)
            rows.append(table.frame_row((a, b), 640, 480, 2, lambda f, i=i: (float(i), -float(i))))
    return table.to_frame(rows, [10 * i + 3 for i in range(n)], [0.4 * i for i in range(n)])


def test_to_frame_columns_and_types():
    df = _frame(5)
    assert list(df.columns) == ["frame", "s", *EXPECTED_COLUMNS, "distance_norm", "faces", "has_pair"]
    assert df["frame"].tolist() == [3, 13, 23, 33, 43]
    assert df["s"].tolist() == pytest.approx([0.0, 0.4, 0.8, 1.2, 1.6])
    assert df["has_pair"].dtype == bool and df["has_pair"].tolist() == [True, False, True, True, True]
    assert df["faces"].tolist() == [2, 1, 2, 2, 2]
    assert df.loc[1, EXPECTED_COLUMNS].isna().all()
    assert df.loc[[0, 2, 3, 4], EXPECTED_COLUMNS].notna().all().all()


def test_to_array_shape_and_order():
    df = _frame(5)
    arr = table.to_array(df)
    assert arr.shape == (5, 29) and arr.dtype == np.float64
    # column j of the array is FEATURE_COLUMNS[j], whatever order the frame's columns are in
    shuffled = df[list(reversed(df.columns))]
    arr2 = table.to_array(shuffled)
    np.testing.assert_array_equal(arr2, arr)
    for j, c in enumerate(EXPECTED_COLUMNS):
        np.testing.assert_array_equal(arr[:, j], df[c].to_numpy(dtype=float))
    assert np.isnan(arr[1]).all() and not np.isnan(arr[[0, 2, 3, 4]]).any()
    assert arr[3, 24] == 3.0 and arr[3, 25] == -3.0  # A_yaw, A_pitch of frame 3


def test_long_form():
    df = _frame(3)
    lf = table.long_form(df)
    assert list(lf.columns) == ["frame", "person", "point", "axis", "value"]
    assert len(lf) == 3 * 29
    assert lf.groupby("frame").size().tolist() == [29, 29, 29]
    first = lf[lf["frame"] == 3].reset_index(drop=True)
    triples = list(zip(first["person"], first["point"], first["axis"]))
    assert triples[0] == ("A", "nose_tip", "x")
    assert triples[1] == ("A", "nose_tip", "y")
    assert triples[7] == ("A", "right_eye_right_corner", "y")
    assert triples[23] == ("B", "mouth_right_corner", "y")
    assert triples[24:28] == [
        ("A", "head", "yaw"),
        ("A", "head", "pitch"),
        ("B", "head", "yaw"),
        ("B", "head", "pitch"),
    ]
    assert triples[28] == ("AB", "nose_tip", "distance_px")
    np.testing.assert_array_equal(first["value"].to_numpy(dtype=float), table.to_array(df)[0])
    missing = lf[lf["frame"] == 13]
    assert missing["value"].isna().all()  # the frame without both people stays NaN
