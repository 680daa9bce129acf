"""The pretrained perception stack: MediaPipe model files (pinned, hash-checked), the face detectors,
the mediapipe-selfie-pose segmenter, `forensic faces`, and real clips that must be classified."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from forensic.features import tflite
from forensic.features.detectors import (
    BLAZE_SIZE,
    FACE_DETECTORS,
    blazeface_anchors,
    decode_blazeface,
    model_face_detector,
    resolve_face_detector,
    weighted_nms,
)
from forensic.fsutil import sha256_path

SHARED = Path(__file__).resolve().parents[3] / "shared"
PEOPLE, FOOTAGE, AFLW = SHARED / "people", SHARED / "footage", SHARED / "pose" / "aflw2000"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (real footage lives in ../shared, outside the repository)")
    return path


def gif_frame(name: str, index: int) -> np.ndarray:
    from forensic.features.examine import load_picture

    return load_picture(str(need(PEOPLE / name)), index)


# --- model files ------------------------------------------------------------------------------------


def test_model_files_are_the_pinned_ones_and_load():
    for m in tflite.MODEL_FILES.values():
        path = os.path.join(tflite.MODELS_DIR, m.filename)
        assert sha256_path(path) == m.sha256
        model = tflite.load(m.name)
        assert model.sha256 == m.sha256
    assert tflite.load("selfie_segmentation").input_shape == (1, 256, 256, 3)
    assert tflite.load("pose_landmark_full").input_shape == (1, 256, 256, 3)
    assert tflite.load("face_detection_full_range").input_shape == (1, BLAZE_SIZE, BLAZE_SIZE, 3)
    notice = Path(tflite.MODELS_DIR, "NOTICE").read_text()
    assert "mediapipe 0.10.21" in notice and all(m.sha256 in notice for m in tflite.MODEL_FILES.values())
    assert "Apache License" in Path(tflite.MODELS_DIR, "LICENSE").read_text()


def test_a_tampered_or_missing_model_file_is_refused(tmp_path):
    copy = tmp_path / "mediapipe"
    shutil.copytree(tflite.MODELS_DIR, copy)
    target = copy / tflite.MODEL_FILES["selfie_segmentation"].filename
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit
    target.write_bytes(bytes(data))
    with pytest.raises(tflite.ModelFileError, match="altered"):
        tflite.TFLiteModel("selfie_segmentation", str(copy))
    # the untouched files of the same folder still load
    assert tflite.TFLiteModel("face_detection_full_range", str(copy)).sha256
    target.unlink()
    with pytest.raises(FileNotFoundError, match="missing"):
        tflite.TFLiteModel("selfie_segmentation", str(copy))


# --- BlazeFace decoding -----------------------------------------------------------------------------


def test_blazeface_anchors_and_decoding():
    anchors = blazeface_anchors()
    assert anchors.shape == (2304, 2)
    assert np.allclose(anchors[0], (0.5 / 48, 0.5 / 48)) and np.allclose(anchors[1], (1.5 / 48, 0.5 / 48))
    assert np.allclose(anchors[48], (0.5 / 48, 1.5 / 48))  # row by row
    raw = np.zeros((1, 2304, 16), np.float32)
    scores = np.full((1, 2304, 1), -20.0, np.float32)
    k = 48 * 10 + 20  # row 10, column 20
    raw[0, k, :4] = (3.0, -2.0, 40.0, 50.0)  # centre offset (input pixels), width, height
    scores[0, k, 0] = 3.0
    ((box, score),) = decode_blazeface(raw, scores, 0.5)
    cx, cy = (20.5 / 48) * BLAZE_SIZE + 3.0, (10.5 / 48) * BLAZE_SIZE - 2.0
    assert np.allclose(box, (cx - 20, cy - 25, cx + 20, cy + 25))
    assert score == pytest.approx(1 / (1 + np.exp(-3.0)))
    # weighted suppression merges overlapping boxes and keeps apart ones
    merged = weighted_nms(
        [(np.array([0, 0, 10, 10.0]), 0.9), (np.array([1, 1, 11, 11.0]), 0.6), (np.array([50, 50, 60, 60.0]), 0.7)]
    )
    assert len(merged) == 2 and merged[0][1] == 0.9 and 0 < merged[0][0][0] < 1


def test_face_detector_choice_follows_the_model():
    assert model_face_detector({"segmenter": {"feature_config": {"min_face_px": 20}}}) == "dlib-hog"  # older models
    assert model_face_detector({"segmenter": {"feature_config": {"face_detector": "blazeface"}}}) == "blazeface"
    assert resolve_face_detector("auto", "blazeface") == "blazeface"
    assert resolve_face_detector("dlib-hog", "dlib-hog") == "dlib-hog"
    with pytest.raises(ValueError, match="trained on faces found by 'dlib-hog'"):
        resolve_face_detector("blazeface", "dlib-hog")
    with pytest.raises(ValueError, match="unknown face detector"):
        resolve_face_detector("eyeball", "dlib-hog")


# --- on real faces ----------------------------------------------------------------------------------


@pytest.mark.real_footage
@pytest.mark.parametrize("detector", FACE_DETECTORS)
def test_every_detector_finds_a_real_face_and_its_landmarks(detector):
    from forensic.features.faces import FaceFinder

    img = gif_frame("intel_head-pose-face-detection-male.gif", 6)
    faces, small = FaceFinder(detector=detector, min_size=12).find(img)
    assert len(faces) == 1 and not small, (faces, small)
    f = faces[0]
    assert f.detector == detector
    x0, y0, x1, y1 = f.box
    assert 60 < x1 - x0 < 160  # the man's face, about 100 px wide in this 480x270 frame
    # dlib's landmarks fitted in the calibrated box: eyes above the nose tip, above the chin, inside the box
    lm = f.landmarks
    assert lm[36, 1] < lm[33, 1] < lm[8, 1] and lm[45, 1] < lm[33, 1]
    assert x0 - 5 <= lm[33, 0] <= x1 + 5 and y0 - 5 <= lm[33, 1] <= y1 + 5


@pytest.mark.real_footage
def test_small_faces_are_people_present_without_pose():
    from forensic.features.faces import FaceFinder

    img = gif_frame("intel_classroom.gif", 4)  # four seated people, faces 12-25 px
    faces, small = FaceFinder(detector="mtcnn", min_size=12).find(img)
    assert not faces and len(small) >= 3
    assert all(s.box[2] - s.box[0] < 40 for s in small)


@pytest.mark.real_footage
def test_mask_covers_each_face_and_leaves_the_plain_wall_out():
    from forensic.features.faces import FaceFinder
    from forensic.features.people_mediapipe import MediaPipeSelfiePose

    finder = FaceFinder(detector="blazeface")
    seg = MediaPipeSelfiePose(face_finder=finder, keep_faces=False)  # the models' mask alone
    for name, index in (
        ("intel_head-pose-face-detection-female.gif", 11),
        ("intel_head-pose-face-detection-male.gif", 18),
        ("intel_face-demographics-walking-and-pause.gif", 20),
    ):
        img = gif_frame(name, index)
        faces, small = finder.find(img)
        assert faces, name
        pm = seg.people_given_faces(img, [*faces, *small])
        assert pm.segmenter == "mediapipe-selfie-pose" and pm.count >= len(faces)
        for f in faces:
            x0, y0, x1, y1 = f.box
            assert pm.mask[y0:y1, x0:x1].mean() > 0.6, (name, f.box)
        h, w = pm.mask.shape
        if "head-pose" in name:  # one person before a plain wall: most of the frame is wall
            assert pm.mask.mean() < 0.4, name
            assert not pm.mask[: h // 4, : w // 6].any() and not pm.mask[: h // 4, -w // 6 :].any()


@pytest.mark.real_footage
def test_faces_command_gives_yaw_with_the_right_sign(tmp_path, capsys):
    from forensic._cli import main

    # AFLW2000 image00006: label yaw +50.5 in the dataset's sign (toward the image's LEFT, its SOURCES.md),
    # so -50.5 in ours; the mirrored picture turns the other way
    src = need(AFLW / "images" / "image00006.jpg")
    img = cv2.imread(str(src))
    (tmp_path / "pictures").mkdir()
    mirrored = tmp_path / "pictures" / "mirrored.png"  # the output folder may not hold the picture
    cv2.imwrite(str(mirrored), img[:, ::-1])
    yaws = []
    for path in (str(src), str(mirrored)):
        assert main(["faces", path, "--json", "--out", str(tmp_path / "out")]) == 0
        result = json.loads(capsys.readouterr().out)
        centre = min(
            result["faces"],
            key=lambda f: abs((f["box"][0] + f["box"][2]) / 2 - 225) + abs((f["box"][1] + f["box"][3]) / 2 - 225),
        )
        assert len(centre["landmarks"]) == 68 and set(centre["six"]) >= {"nose_tip", "chin"}
        assert os.path.isfile(result["annotated"])
        yaws.append(centre["yaw"])
    assert yaws[0] < -25 and yaws[1] > 25, yaws
    assert abs(yaws[0] + yaws[1]) < 10


@pytest.mark.real_footage
@pytest.mark.parametrize(
    "clip, segment",
    [
        # real clips showing two or more people with faces of 40 px or more in most sample frames
        # (counted by eye: benchmarks/pose_accuracy.py VISIBLE)
        ("people/intel_face-demographics-walking-and-pause.gif", 0),  # three people side by side, ~60 px faces
        ("footage/face_recognition_short_hamilton_clip.mp4", 3),  # the audience shot: three to four people
    ],
)
def test_real_multi_person_clips_are_classified(tmp_path, clip, segment):
    from forensic.engine.local import features_of_segment

    out = features_of_segment(str(need(SHARED / clip)), segment, str(tmp_path / "f"))
    assert out["face_detector"] == "blazeface" and out["segmenter"] == "mediapipe-selfie-pose"
    assert out["status"] == "ok", out
    assert out["pairs_found"] >= 3
    meta = json.loads((tmp_path / "f" / "features.json").read_text())
    assert meta["face_detector"] == "blazeface"


@pytest.mark.real_footage
def test_a_classroom_of_small_faces_counts_people_but_not_pose(tmp_path):
    from forensic.engine.local import features_of_segment

    out = features_of_segment(str(need(PEOPLE / "intel_classroom.gif")), 0, str(tmp_path / "f"), face_detector="mtcnn")
    assert out["status"] == "insufficient_subjects"
    assert max(out["people_present"]) >= 3
    meta = json.loads((tmp_path / "f" / "features.json").read_text())
    assert any("not used for landmarks or pose" in w for w in meta["warnings"])
