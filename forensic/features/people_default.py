"""The embedded default segmenter, needing no download: ``hog-face-grabcut``.

People are found by OpenCV's built-in HOG people detector (full, upright bodies) and by body
regions anchored on dlib's detected faces (head and torso below each face, for people who are
not shown whole); the union of those boxes is refined into a silhouette with GrabCut, faces
forced to foreground. It is cruder than Mask R-CNN: a model trained on its frames is only valid
on its frames, which is why the segmenter's name travels with every result.
"""

from __future__ import annotations

import cv2
import numpy as np

from forensic.features.background import PeopleMask, Segmenter


def _iou(a, b) -> float:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _contains(box, point) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


class HogFaceGrabCut(Segmenter):
    name = "hog-face-grabcut"

    def __init__(
        self, work_width: int = 320, grabcut_iterations: int = 2, hog_min_weight: float = 0.5, face_finder=None
    ):
        self.work_width = work_width
        self.iterations = grabcut_iterations
        self.hog_min_weight = hog_min_weight
        self._faces = face_finder
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    def people(self, image_bgr: np.ndarray) -> PeopleMask:
        if self._faces is None:
            from forensic.features.faces import FaceFinder

            self._faces = FaceFinder()
        return self.people_given_faces(image_bgr, self._faces.faces(image_bgr))

    def bodies(self, image_bgr: np.ndarray) -> list[tuple[tuple[int, int, int, int], float]]:
        """HOG people boxes in frame pixels, with their SVM weights."""
        h, w = image_bgr.shape[:2]
        scale = min(1.0, 640.0 / w)  # HOG people need ~64x128 px bodies; 640 px is plenty
        small = cv2.resize(image_bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        rects, weights = self.hog.detectMultiScale(small, winStride=(8, 8), padding=(8, 8), scale=1.05)
        out = []
        for (x, y, bw, bh), wt in zip(rects, np.ravel(weights) if len(rects) else []):
            if wt >= self.hog_min_weight:
                out.append(((int(x / scale), int(y / scale), int((x + bw) / scale), int((y + bh) / scale)), float(wt)))
        return out

    def people_given_faces(self, image_bgr: np.ndarray, faces: list) -> PeopleMask:
        h, w = image_bgr.shape[:2]
        boxes: list[tuple[int, int, int, int]] = []
        scores: list[float] = []
        # one person per face: head and torso below it
        for face in faces:
            x0, y0, x1, y1 = face.box
            fw, fh = x1 - x0, y1 - y0
            body = (
                max(0, int(x0 - 1.6 * fw)),
                max(0, int(y0 - 0.5 * fh)),
                min(w, int(x1 + 1.6 * fw)),
                min(h, int(y1 + 5 * fh)),
            )
            boxes.append(body)
            scores.append(face.score)
        # HOG bodies that no face already accounts for are further people
        for box, wt in self.bodies(image_bgr):
            if any(_contains(box, f.nose) or _iou(box, b) > 0.3 for f, b in zip(faces, boxes)):
                continue
            boxes.append(box)
            scores.append(wt)
        mask = self._silhouette(image_bgr, boxes, faces)
        return PeopleMask(mask=mask, boxes=boxes, scores=scores, segmenter=self.name)

    def _silhouette(self, image_bgr: np.ndarray, boxes, faces) -> np.ndarray:
        """GrabCut on each person's box (with a margin) separately, so each person gets colour
        models of its own surroundings; faces are sure foreground."""
        h, w = image_bgr.shape[:2]
        out = np.zeros((h, w), dtype=bool)
        if not boxes:
            return out
        s = min(1.0, self.work_width / max(1, max(b[2] - b[0] for b in boxes)) * 0.5, self.work_width / w)
        sw, sh = max(1, round(w * s)), max(1, round(h * s))
        small = cv2.resize(image_bgr, (sw, sh), interpolation=cv2.INTER_AREA)
        for x0, y0, x1, y1 in boxes:
            bw, bh = x1 - x0, y1 - y0
            # the region GrabCut sees: the box and a margin of background around it
            rx0, ry0 = max(0, int((x0 - 0.25 * bw) * s)), max(0, int((y0 - 0.1 * bh) * s))
            rx1, ry1 = min(sw, int((x1 + 0.25 * bw) * s) + 1), min(sh, int((y1 + 0.1 * bh) * s) + 1)
            if rx1 - rx0 < 4 or ry1 - ry0 < 4:
                continue
            # the margin is probably background, only its outer rim surely: a body wider than its
            # box must not teach GrabCut that the person's own colours are background
            gc = np.full((ry1 - ry0, rx1 - rx0), cv2.GC_PR_BGD, dtype=np.uint8)
            gc[[0, -1], :] = cv2.GC_BGD
            gc[:, [0, -1]] = cv2.GC_BGD
            gc[int(y0 * s) - ry0 : int(y1 * s) - ry0 + 1, int(x0 * s) - rx0 : int(x1 * s) - rx0 + 1] = cv2.GC_PR_FGD
            for face in faces:
                fx0, fy0, fx1, fy1 = face.box
                if not (x0 <= (fx0 + fx1) / 2 <= x1 and y0 <= (fy0 + fy1) / 2 <= y1):
                    continue
                cx, cy = int((fx0 + fx1) / 2 * s) - rx0, int((fy0 + fy1) / 2 * s) - ry0
                axes = (max(1, int((fx1 - fx0) * s * 0.4)), max(1, int((fy1 - fy0) * s * 0.55)))
                cv2.ellipse(gc, (cx, cy), axes, 0, 0, 360, int(cv2.GC_FGD), -1)
            crop = np.ascontiguousarray(small[ry0:ry1, rx0:rx1])
            has_bg = (gc == cv2.GC_BGD).any()
            if self.iterations > 0 and has_bg:
                bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
                # GrabCut's k-means draws from OpenCV's per-thread RNG: seed it, so a frame gives
                # the same mask whatever ran before it in this thread (local and Ray engines agree)
                cv2.setRNGSeed(0)
                try:
                    cv2.grabCut(crop, gc, None, bgd, fgd, self.iterations, cv2.GC_INIT_WITH_MASK)
                except cv2.error:
                    pass  # degenerate colour model (a flat picture): keep the box as it is
            fg = ((gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)).astype(np.uint8)
            # back to frame pixels
            X0, Y0 = int(rx0 / s), int(ry0 / s)
            X1, Y1 = min(w, int(round(rx1 / s))), min(h, int(round(ry1 / s)))
            big = cv2.resize(fg, (X1 - X0, Y1 - Y0), interpolation=cv2.INTER_NEAREST).astype(bool)
            out[Y0:Y1, X0:X1] |= big
        return out
