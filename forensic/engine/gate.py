"""The presence gate of a scan: segments that cannot be classified are finished cheaply.

After a file is cut into segments, its segments are grouped into :class:`GateTask` records (runs of
consecutive segments, about :data:`GATE_SPAN_S` of footage each). A gate task opens the file once,
seeks once and decodes forward over its span, converts only the sample frames, and runs the
scan's own face detector on them (:class:`forensic.features.presence.PresenceGate`: the features
stage's "two faces in enough frames?" test, stopping as soon as the answer is certain). A segment
that fails it is ``insufficient_subjects`` exactly as the full path would have found, and is
finished with a compact finding (flag ``presence_gate``: no features folder, no key frames, no
actor call, no seek of its own); the others go to the segment workers unchanged.

Gate tasks run like chunks: Ray tasks or the local runner's child, bounded by the same timeouts.
A gate task that fails sends its segments to the full path (nothing is dropped on an error).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from forensic.engine.work import WorkerSettings
from forensic.records import SHORT_SHOT, Finding, FindingStatus, Segment, found_by_index

GATE_SPAN_S = 120.0  # footage seconds per gate task: small enough that the last tasks do not leave cores idle


@dataclass(frozen=True)
class GateTask:
    path: str
    sha256: str
    stream_index: int | None
    rotation: int
    segments: tuple[Segment, ...]  # consecutive, each with its sample frames' pts

    @property
    def footage_s(self) -> float:
        return self.segments[-1].end_s - self.segments[0].start_s if self.segments else 0.0


def gateable(seg: Segment) -> bool:
    """Short shots are not classified anyway; frames that timestamps cannot find (reordered or
    missing timestamps) are found by index, which only the full path does."""
    return SHORT_SHOT not in seg.flags and not found_by_index(seg.flags) and bool(seg.sample_pts)


def plan_gate(
    segments: list[Segment], stream_index: int | None, rotation: int, span_s: float = GATE_SPAN_S
) -> list[GateTask]:
    """Runs of consecutive gateable segments of one file, each spanning about ``span_s`` seconds."""
    tasks: list[GateTask] = []
    run: list[Segment] = []

    def close() -> None:
        if run:
            tasks.append(GateTask(run[0].path, run[0].sha256, stream_index, rotation, tuple(run)))
            run.clear()

    for seg in segments:
        if not gateable(seg):
            close()
            continue
        if run and seg.end_s - run[0].start_s > span_s:
            close()
        run.append(seg)
    close()
    return tasks


_GATES: dict[str, object] = {}  # one per settings, per process (Ray workers run many gate tasks)


def _gate(features, face_detector: str):
    from forensic.features.presence import PresenceGate

    config = dataclasses.replace(features, face_detector=face_detector)
    key = repr(config)
    if key not in _GATES:
        _GATES.clear()
        _GATES[key] = PresenceGate(config)
    return _GATES[key]


def run_gate(task: GateTask, settings: WorkerSettings) -> list:
    """The gate's :class:`forensic.features.presence.Verdict` of every segment of ``task``, in order.

    The detector is the segment workers' own (``settings.features`` with ``settings.face_detector``),
    the images are the ones they would read (:func:`forensic.segments.decode.iter_frames_at`)."""
    from forensic.segments.decode import iter_frames_at

    gate = _gate(settings.features, settings.face_detector)
    verdicts = [gate.start(len(seg.sample_pts)) for seg in task.segments]
    owner: dict[int, int] = {}  # sample pts -> segment position in the task
    for k, seg in enumerate(task.segments):
        for p in seg.sample_pts:
            owner[int(p)] = k
    wanted = set(owner)
    cursor = [0] * len(task.segments)  # next sample of each segment to feed
    for pts, image in iter_frames_at(task.path, wanted, task.stream_index, task.rotation):
        k = owner[pts]
        seg, v = task.segments[k], verdicts[k]
        samples = seg.sample_pts
        # a segment's samples repeat when it has fewer frames than samples: feed each repeat
        while cursor[k] < len(samples) and int(samples[cursor[k]]) == pts and not v.decided:
            gate.feed(v, image)
            cursor[k] += 1
        if v.decided:
            wanted.difference_update(int(p) for p in samples)
    for v in verdicts:
        gate.settle(v)
    return verdicts


def gate_finding(seg: Segment, verdict, settings: WorkerSettings) -> Finding:
    """The compact finding of a segment the gate finished: insufficient_subjects, no features."""
    finding = Finding.from_segment(
        seg,
        FindingStatus.INSUFFICIENT_SUBJECTS,
        people=verdict.people,
        pair_frames=verdict.pair_frames,
        **settings.stamp(),
    )
    from forensic.features.presence import GATE_FLAG

    return dataclasses.replace(finding, flags=(*seg.flags, GATE_FLAG))
