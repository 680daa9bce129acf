"""The work of one segment, the same in every engine: features, then the fusion model.

:class:`SegmentWorker` loads its models once (face finder, segmenter, fusion model) and then
processes any number of :class:`SegmentTask` records. The in-process engine keeps one; the Ray
engine keeps one inside each actor.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from typing import Any

from forensic.features import FeatureConfig
from forensic.features.background import recorded_segmenter
from forensic.records import FEW_FRAMES, SHORT_SHOT, Finding, FindingStatus, Segment
from forensic.store.features import FeatureBundle


@dataclass(frozen=True)
class WorkerSettings:
    """Everything a worker needs to build its models: plain values, so it travels to Ray workers."""

    model_dir: str
    model_sha256: str  # of the model the driver checked; a worker loading another one refuses
    model_name: str
    segmenter: str  # "hog-face-grabcut" or "pixellib" (resolved, never "auto")
    maskrcnn_weights: str | None
    threshold: float
    config_sha256: str
    features: FeatureConfig = field(default_factory=FeatureConfig)
    face_detector: str = "dlib-hog"  # resolved, never "auto" (forensic.features.detectors.resolve_face_detector)

    def stamp(self) -> dict:
        """What every finding made under these settings records of them (model, perception, config)."""
        return {
            "model_sha256": self.model_sha256,
            "model_name": self.model_name,
            "segmenter": recorded_segmenter(self.segmenter),  # as the workers' findings name it
            "face_detector": self.face_detector,
            "config_sha256": self.config_sha256,
            "threshold": self.threshold,
        }


@dataclass(frozen=True)
class SegmentTask:
    segment: Segment
    stream_index: int | None
    rotation: int
    features_dir: str  # relative to the case folder


@dataclass
class SegmentOutcome:
    task: SegmentTask
    finding: Finding
    bundle: FeatureBundle | None  # features to store in task.features_dir (None for short shots)
    seconds: float = 0.0


def features_dir_for(segment: Segment) -> str:
    return os.path.join("features", segment.sha256, f"{segment.index:05d}")


class SegmentWorker:
    def __init__(self, settings: WorkerSettings):
        from forensic.features import make_segmenter
        from forensic.model import load_model

        self.settings = settings
        self.features = _replace(settings.features, face_detector=settings.face_detector)
        self.faces = self.features.face_finder()
        self.segmenter = make_segmenter(settings.segmenter, settings.maskrcnn_weights, self.faces)
        self.model = load_model(settings.model_dir)
        if self.model.sha256 != settings.model_sha256:
            raise RuntimeError(
                f"the model in {settings.model_dir} changed since the scan started "
                f"({settings.model_sha256} -> {self.model.sha256})"
            )

    def _finding(self, seg: Segment, status: FindingStatus, **kw: Any) -> Finding:
        return Finding.from_segment(
            seg,
            status,
            model_sha256=self.model.sha256,
            model_name=self.model.name,
            segmenter=self.segmenter.name,
            face_detector=self.faces.name,
            config_sha256=self.settings.config_sha256,
            threshold=self.settings.threshold,
            **kw,
        )

    def process(self, task: SegmentTask) -> SegmentOutcome:
        """Features and score of one segment. Raises on errors (the engine retries, then records
        the segment as failed)."""
        import time

        import numpy as np

        from forensic.features import INSUFFICIENT_SUBJECTS
        from forensic.features.segment import segment_features
        from forensic.store.features import make_bundle

        t0 = time.perf_counter()
        seg = task.segment
        if os.environ.get("FORENSIC_FAULT_FAIL_SEGMENT") == str(seg.index):  # fault injection for tests
            raise RuntimeError(f"simulated worker failure (FORENSIC_FAULT_FAIL_SEGMENT={seg.index})")
        if SHORT_SHOT in seg.flags:
            return SegmentOutcome(task, self._finding(seg, FindingStatus.SHORT_SHOT), None, time.perf_counter() - t0)
        feats, imgs = segment_features(seg, self.segmenter, self.faces, task.stream_index, task.rotation, self.features)
        people = max(feats.people_present, default=0)
        pair_frames = int(feats.mask.sum())
        extra: dict[str, Any] = {"model": {"name": self.model.name, "sha256": self.model.sha256}}
        if feats.identity is not None:  # face descriptors for forensic.coappear, stored in features.json
            extra["identity"] = feats.identity
        if feats.status == INSUFFICIENT_SUBJECTS or feats.frames128 is None:
            finding = self._finding(seg, FindingStatus.INSUFFICIENT_SUBJECTS, people=people, pair_frames=pair_frames)
        elif feats.still:  # a photo, a paused camera, a pan over a picture: no behaviour (forensic.features.motion)
            finding = self._finding(seg, FindingStatus.STILL, people=people, pair_frames=pair_frames)
        else:
            score = float(self.model.predict(feats.frames128[None], feats.vector[None].astype(np.float64))[0])
            label = "stalking" if score >= self.settings.threshold else "non_stalking"
            extra.update(score=score, label=label)
            finding = self._finding(
                seg, FindingStatus.ANALYSED, score=score, label=label, people=people, pair_frames=pair_frames
            )
        bundle = make_bundle(seg, feats, imgs, extra)
        keyframes = tuple(os.path.join(task.features_dir, rel) for rel, _ in bundle.keyframes)
        finding = _replace(finding, features_dir=task.features_dir, keyframes=keyframes)
        if FEW_FRAMES in seg.flags:
            bundle.meta.setdefault("warnings", []).append("fewer distinct frames than samples: samples repeat")
        return SegmentOutcome(task, finding, bundle, time.perf_counter() - t0)


def failed_outcome(task: SegmentTask, settings: WorkerSettings, error: str, attempts: int) -> SegmentOutcome:
    finding = Finding.from_segment(
        task.segment,
        FindingStatus.FAILED,
        error=error[-2000:],
        attempts=attempts,
        **settings.stamp(),
    )
    return SegmentOutcome(task, finding, None)


def describe_error(exc: BaseException) -> str:
    """One line for the findings table; the traceback goes to problems.jsonl."""
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:500] if str(exc) else type(exc).__name__


def format_traceback(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-4000:]


def _replace(finding: Finding, **kw: Any) -> Finding:
    import dataclasses

    return dataclasses.replace(finding, **kw)
