"""StandardScaler (forensic.model.scaler): scikit-learn's arithmetic in numpy, the missing-value
rule, and fitting on the training split only."""

from __future__ import annotations

import numpy as np
import pytest

from forensic.features.table import FEATURE_COLUMNS
from forensic.model.scaler import StandardScaler, fit_on_split


def data(seed: int = 0, clips: int = 6) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(loc=np.arange(29) * 10.0, scale=np.arange(1, 30), size=(clips, 5, 29))
    x[0, 1, :] = np.nan  # a frame without both people
    x[2, :, 24:26] = np.nan  # no head pose for person A
    return x


def test_mean_and_std_over_the_values_present():
    x = data()
    s = StandardScaler.fit(x)
    rows = x.reshape(-1, 29)
    for j in range(29):
        col = rows[:, j][~np.isnan(rows[:, j])]
        assert s.mean[j] == pytest.approx(col.mean(), rel=1e-12)
        assert s.scale[j] == pytest.approx(col.std(ddof=0), rel=1e-12)  # population std, as scikit-learn
        assert s.count[j] == col.size
    assert s.frames == 30
    z = s.transform(x)
    assert z.dtype == np.float32 and z.shape == x.shape
    present = ~np.isnan(x)
    assert np.allclose(z[present], ((x - s.mean) / s.scale)[present], atol=1e-5)
    zr = z.reshape(-1, 29)
    for j in range(29):
        assert zr[:, j][present.reshape(-1, 29)[:, j]].mean() == pytest.approx(0.0, abs=1e-5)


def test_missing_values_become_zero_the_training_mean():
    x = data()
    s = StandardScaler.fit(x)
    z = s.transform(x)
    assert not np.isnan(z).any()
    assert (z[0, 1] == 0).all() and (z[2, :, 24:26] == 0).all()
    # a missing value scores exactly as the training mean would
    assert np.array_equal(s.transform(np.full((1, 29), np.nan)), s.transform(s.mean[None]))


def test_constant_and_empty_columns():
    x = data()
    x[..., 3] = 7.5  # constant
    x[..., 5] = np.nan  # never present in the training data
    s = StandardScaler.fit(x)
    assert s.mean[3] == 7.5 and s.scale[3] == 1.0
    assert s.mean[5] == 0.0 and s.scale[5] == 1.0 and s.count[5] == 0
    z = s.transform(x)
    assert (z[..., 3] == 0).all() and (z[..., 5] == 0).all()
    assert s.transform(np.full((1, 29), 9.5))[0, 3] == pytest.approx(2.0)


def test_infinite_values_are_refused():
    x = data()
    x[1, 1, 1] = np.inf
    with pytest.raises(ValueError, match="infinite"):
        StandardScaler.fit(x)
    with pytest.raises(ValueError, match="infinite"):
        StandardScaler.fit(data()).transform(x)
    with pytest.raises(ValueError):
        StandardScaler.fit(np.zeros((3, 28)))


def test_json_round_trip_keeps_every_bit():
    s = StandardScaler.fit(data(), {"split": "train"})
    t = StandardScaler.from_json(s.to_json())
    assert np.array_equal(s.mean, t.mean) and np.array_equal(s.scale, t.scale) and np.array_equal(s.count, t.count)
    assert t.columns == FEATURE_COLUMNS and t.fitted_on == {"split": "train"}
    x = data(1)
    assert np.array_equal(s.transform(x), t.transform(x))
    d = s.to_dict()
    d["columns"] = list(reversed(d["columns"]))
    with pytest.raises(ValueError, match="FEATURE_COLUMNS"):
        StandardScaler.from_dict(d)


def test_fit_on_split_never_sees_validation_or_test_rows():
    x = data(clips=10)
    train = np.array([0, 2, 3, 5, 7, 9])
    poisoned = x.copy()
    others = np.setdiff1d(np.arange(10), train)
    poisoned[others] = 1e9  # validation and test rows: if they were seen, the mean would explode
    s = fit_on_split(poisoned, train)
    ref = StandardScaler.fit(x[train])
    assert np.array_equal(s.mean, ref.mean) and np.array_equal(s.scale, ref.scale)
    assert s.frames == train.size * 5
    with pytest.raises(ValueError, match="empty"):
        fit_on_split(x, np.array([], dtype=int))
