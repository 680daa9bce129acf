"""The embedded default segmenter on pretrained models: ``mediapipe-selfie-pose``.

Two MediaPipe models (TFLite, hash-checked, :mod:`forensic.features.tflite`), run with TensorFlow:

* selfie segmentation (general, 256x256) on the whole frame: people near the camera;
* BlazePose full's person segmentation on a square crop about 8 face-heights wide around each
  detected face (the face in its upper part, the body below it): people further away, who are
  too small for the selfie model; a crop counts when the model says a person is present
  (presence >= 0.3; when the first crop scores lower, a second one centred on the face is tried).

A pixel is a person's when either model says so (probability >= 0.5); each detected face's own
ellipse is kept too (a face found is a person's, even where both models miss them, as in a dark
audience). One person per face found
(its box: the pose mask in its crop, or the crop's upper part when the pose model saw no one),
plus each large selfie region that holds no face (a person seen from behind).
"""

from __future__ import annotations

import cv2
import numpy as np

from forensic.features.background import PeopleMask, Segmenter

SELFIE_SIZE = 256
POSE_SIZE = 256


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x.astype(np.float64), -60.0, 60.0)))


class MediaPipeSelfiePose(Segmenter):
    name = "mediapipe-selfie-pose"
    uses_small_faces = True  # faces too small for landmarks still anchor a pose crop

    def __init__(
        self,
        face_finder=None,
        crop_face_heights: float = 8.0,
        threshold: float = 0.5,
        presence_threshold: float = 0.3,
        min_region: float = 0.01,
        keep_faces: bool = True,
    ):
        from forensic.features import tflite

        self.selfie = tflite.load("selfie_segmentation")
        self.pose = tflite.load("pose_landmark_full")
        self.crop_face_heights = crop_face_heights
        self.threshold = threshold
        self.presence_threshold = presence_threshold
        self.min_region = min_region  # share of the frame a faceless selfie region needs to count as a person
        self.keep_faces = keep_faces  # False: the models' mask alone (for measuring them)
        self._faces = face_finder

    def people(self, image_bgr: np.ndarray) -> PeopleMask:
        if self._faces is None:
            from forensic.features.faces import FaceFinder

            self._faces = FaceFinder(detector="blazeface")
        faces, small = self._faces.find(image_bgr)
        return self.people_given_faces(image_bgr, [*faces, *small])

    def selfie_probability(self, image_bgr: np.ndarray) -> np.ndarray:
        """H x W person probability of the selfie model on the whole frame."""
        h, w = image_bgr.shape[:2]
        x = cv2.resize(image_bgr, (SELFIE_SIZE, SELFIE_SIZE), interpolation=cv2.INTER_AREA)
        x = x[:, :, ::-1].astype(np.float32) / 255.0
        (prob,) = self.selfie.run(x[None])
        return cv2.resize(prob[0, :, :, 0], (w, h), interpolation=cv2.INTER_LINEAR)

    def crops_of(self, box) -> list[tuple[int, int, int]]:
        """(x0, y0, side) of the square crops tried for a face box, about 8 face-heights wide, the
        face centred horizontally: first with the face 2 face-heights below the crop's top (room
        for the body below), then with the face at the crop's centre."""
        x0, y0, x1, y1 = box
        fh = max(4.0, float(y1 - y0), float(x1 - x0))
        side = max(16, int(round(self.crop_face_heights * fh)))
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        return [(int(round(cx - side / 2)), int(round(cy - up)), side) for up in (2.0 * fh, side / 2)]

    def pose_probability(self, image_bgr: np.ndarray, crop: tuple[int, int, int]) -> tuple[np.ndarray, float]:
        """(side x side person probability, presence) of BlazePose on one crop (zero outside the frame)."""
        cx0, cy0, side = crop
        h, w = image_bgr.shape[:2]
        canvas = np.zeros((side, side, 3), np.uint8)
        sx0, sy0, sx1, sy1 = max(0, cx0), max(0, cy0), min(w, cx0 + side), min(h, cy0 + side)
        if sx1 > sx0 and sy1 > sy0:
            canvas[sy0 - cy0 : sy1 - cy0, sx0 - cx0 : sx1 - cx0] = image_bgr[sy0:sy1, sx0:sx1]
        interp = cv2.INTER_AREA if side > POSE_SIZE else cv2.INTER_LINEAR
        x = cv2.resize(canvas, (POSE_SIZE, POSE_SIZE), interpolation=interp)[:, :, ::-1].astype(np.float32) / 255.0
        _landmarks, presence, seg, _heatmap, _world = self.pose.run(x[None])
        prob = cv2.resize(_sigmoid(seg[0, :, :, 0]).astype(np.float32), (side, side), interpolation=cv2.INTER_LINEAR)
        return prob, float(presence.reshape(-1)[0])

    def people_given_faces(self, image_bgr: np.ndarray, faces: list) -> PeopleMask:
        h, w = image_bgr.shape[:2]
        mask = self.selfie_probability(image_bgr) >= self.threshold
        boxes: list[tuple[int, int, int, int]] = []
        scores: list[float] = []
        for face in faces:
            tries = []
            for crop in self.crops_of(face.box):
                tries.append((*self.pose_probability(image_bgr, crop), crop))
                if tries[-1][1] >= self.presence_threshold:
                    break
            prob, presence, (cx0, cy0, side) = max(tries, key=lambda t: t[1])
            sx0, sy0, sx1, sy1 = max(0, cx0), max(0, cy0), min(w, cx0 + side), min(h, cy0 + side)
            if sx1 <= sx0 or sy1 <= sy0:
                continue
            part = prob[sy0 - cy0 : sy1 - cy0, sx0 - cx0 : sx1 - cx0] >= self.threshold
            if presence >= self.presence_threshold and part.any():
                mask[sy0:sy1, sx0:sx1] |= part
                ys, xs = np.nonzero(part)
                boxes.append(
                    (sx0 + int(xs.min()), sy0 + int(ys.min()), sx0 + int(xs.max()) + 1, sy0 + int(ys.max()) + 1)
                )
            else:  # the pose model saw no one here: the face's head and shoulders, from the selfie mask
                fx0, fy0, fx1, fy1 = face.box
                fw, fh = fx1 - fx0, fy1 - fy0
                boxes.append(
                    (
                        max(0, int(fx0 - fw)),
                        max(0, int(fy0 - 0.3 * fh)),
                        min(w, int(fx1 + fw)),
                        min(h, int(fy1 + 2 * fh)),
                    )
                )
            scores.append(presence)
            if self.keep_faces:
                fx0, fy0, fx1, fy1 = face.box
                ell = np.zeros((h, w), np.uint8)
                centre = (int((fx0 + fx1) / 2), int((fy0 + fy1) / 2))
                axes = (max(1, int((fx1 - fx0) * 0.5)), max(1, int((fy1 - fy0) * 0.6)))
                cv2.ellipse(ell, centre, axes, 0, 0, 360, 1, -1)
                mask |= ell.astype(bool)
        # selfie regions holding no face: further people (seen from behind, faces not found)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        for i in range(1, n):
            x, y, bw, bh, area = (int(v) for v in stats[i])
            if area < self.min_region * w * h:
                continue
            if any(
                x <= (f.box[0] + f.box[2]) / 2 <= x + bw and y <= (f.box[1] + f.box[3]) / 2 <= y + bh for f in faces
            ):
                continue
            boxes.append((x, y, x + bw, y + bh))
            scores.append(float(area) / (w * h))
        return PeopleMask(mask=mask, boxes=boxes, scores=scores, segmenter=self.name)
