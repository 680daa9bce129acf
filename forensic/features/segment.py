"""Features of one :class:`forensic.records.Segment` read from its video file."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forensic.features import FeatureConfig, SegmentFeatures, extract
from forensic.features.background import Segmenter
from forensic.features.faces import FaceFinder
from forensic.records import Segment, found_by_index
from forensic.segments.decode import read_frames, read_frames_by_index


@dataclass
class SegmentImages:
    images: list[np.ndarray]  # the sample frames, full size, upright, BGR
    frame_indices: list[int]
    seconds: list[float]  # seconds from the first frame of the file


def sample_images(segment: Segment, stream_index: int | None = None, rotation: int = 0) -> SegmentImages:
    """The segment's sample frames, found by their presentation timestamps."""
    if found_by_index(segment.flags):  # timestamps cannot find the frames: count them
        got = read_frames_by_index(segment.path, list(segment.sample_frames), stream_index, rotation)
        keys = list(segment.sample_frames)
    else:
        got = read_frames(segment.path, list(segment.sample_pts), stream_index, rotation)
        keys = list(segment.sample_pts)
    missing = [f for f, k in zip(segment.sample_frames, keys) if k not in got]
    if missing:
        raise ValueError(f"sample frames {missing} of segment {segment.index} could not be decoded")
    return SegmentImages([got[k] for k in keys], list(segment.sample_frames), list(segment.sample_s))


def segment_features(
    segment: Segment,
    segmenter: Segmenter,
    faces: FaceFinder,
    stream_index: int | None = None,
    rotation: int = 0,
    config: FeatureConfig = FeatureConfig(),
) -> tuple[SegmentFeatures, SegmentImages]:
    imgs = sample_images(segment, stream_index, rotation)
    return extract(imgs.images, imgs.frame_indices, imgs.seconds, segmenter, faces, config), imgs
