"""Findings, written as they arrive and never lost.

Rows go to ``CASE_DIR/findings/part-NNNNNN.parquet``, each part written whole and atomically, so
a scan killed at any moment (Ctrl-C or SIGKILL) keeps every part it finished and no part is ever
half written. A re-run of the same scan reads the parts, skips the segments already done and
finishes the rest. At the end the parts are consolidated into ``findings.parquet`` and
``findings.csv`` (one row per segment, the latest attempt, sorted by file path and segment).
"""

from __future__ import annotations

import glob
import io
import os
import time

import pandas as pd

from forensic.fsutil import write_atomic
from forensic.records import FINDING_COLUMNS, Finding, FindingStatus

PARTS = "findings"
PARQUET = "findings.parquet"
CSV = "findings.csv"


def resume_key(segment_key: str, model_sha256: str | None, config_sha256: str | None) -> str:
    """A segment is done for a scan when its file hash, bounds, model and configuration match."""
    return f"{segment_key}|{model_sha256 or '-'}|{config_sha256 or '-'}"


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    for col in ("score", "threshold", "start_s", "end_s", "start_pts_s", "end_pts_s"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    for col in (
        "segment_index",
        "shot",
        "start_frame",
        "end_frame",
        "start_pts",
        "end_pts",
        "people",
        "pair_frames",
        "attempts",
    ):
        df[col] = df[col].astype("int64")
    for col in (
        "key",
        "sha256",
        "path",
        "time_base",
        "start_tc",
        "end_tc",
        "status",
        "error",
        "label",
        "model_sha256",
        "model_name",
        "segmenter",
        "config_sha256",
        "features_dir",
        "keyframes",
        "flags",
    ):
        df[col] = df[col].astype("string")
    return df


class FindingsWriter:
    def __init__(self, case_root: str, flush_rows: int = 25, flush_seconds: float = 5.0):
        self.root = case_root
        self.folder = os.path.join(case_root, PARTS)
        os.makedirs(self.folder, exist_ok=True)
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self._pending: list[dict] = []
        self.superseded = _frame([])  # rows set aside by the last consolidate()
        self._last = time.monotonic()
        self._next = 1 + max((int(os.path.basename(p)[5:11]) for p in self._parts()), default=0)

    def _parts(self) -> list[str]:
        return sorted(glob.glob(os.path.join(self.folder, "part-[0-9][0-9][0-9][0-9][0-9][0-9].parquet")))

    def read_all(self) -> pd.DataFrame:
        frames = [pd.read_parquet(p) for p in self._parts()]
        if self._pending:
            frames.append(_frame(self._pending))
        return pd.concat(frames, ignore_index=True) if frames else _frame([])

    def done_keys(self) -> set[str]:
        """Resume keys of segments already done (failed ones are not done: they are tried again)."""
        df = self.read_all()
        df = df[df["status"] != str(FindingStatus.FAILED)]
        return {resume_key(k, m, c) for k, m, c in zip(df["key"], df["model_sha256"], df["config_sha256"])}

    def add(self, finding: Finding) -> None:
        self._pending.append(finding.to_row())
        if len(self._pending) >= self.flush_rows or time.monotonic() - self._last >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        buf = io.BytesIO()
        _frame(self._pending).to_parquet(buf, index=False)
        write_atomic(os.path.join(self.folder, f"part-{self._next:06d}.parquet"), buf.getvalue())
        self._next += 1
        self._pending = []
        self._last = time.monotonic()

    def consolidate(self, order: list[str] | None = None, current: dict[str, str] | None = None) -> pd.DataFrame:
        """findings.parquet and findings.csv from every part: one row per segment (the latest
        attempt wins), sorted by ``order`` of file paths (else by path) and segment index.

        ``current`` ({sha256: escaped path it is analysed from}): when given, only rows of those
        contents are kept, under those paths; rows of content no input has now (a file that changed
        or went away between two sessions of the scan) are set aside in :attr:`superseded` (they
        stay in the parts, recorded), never mixed into the table."""
        self.flush()
        df = self.read_all()
        df = df.drop_duplicates(subset=["key"], keep="last")
        self.superseded = df.iloc[0:0]
        if current is not None:
            keep = df["sha256"].isin(list(current))
            self.superseded = df[~keep].reset_index(drop=True)
            df = df[keep]
            df = df.assign(path=df["sha256"].map(current).astype("string"))
        rank = {p: i for i, p in enumerate(order or [])}
        df = df.assign(_rank=df["path"].map(lambda p: rank.get(p, len(rank))))
        df = df.sort_values(["_rank", "path", "segment_index"], kind="stable").drop(columns="_rank")
        df = df.reset_index(drop=True)
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        write_atomic(os.path.join(self.root, PARQUET), buf.getvalue())
        write_atomic(os.path.join(self.root, CSV), df.to_csv(index=False, float_format="%.6f").encode())
        return df
