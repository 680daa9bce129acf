"""Make a face photograph turn its head: a generic 3D face fitted to dlib's 68 landmarks, rotated
to a requested yaw and pitch and re-rendered by warping its triangles.

How it works
------------
1. **Landmarks.** dlib (:class:`forensic.features.faces.FaceFinder`) finds the face and its 68
   landmarks in the photo. The photo is scaled so that the outer eye corners (dlib 37 and 46,
   1-based) are :data:`CANON_EYE_PX` pixels apart and cropped around the head.
2. **3D points.** x and y of every landmark are the photo's own (so the person keeps their face);
   the depth z of each landmark comes from :data:`GENERIC_DEPTH`, a generic face written for this
   project (see below) in the units of :data:`forensic.features.pose.MODEL_POINTS` (outer eye
   corners 450 apart, the paper's "nose tip", dlib 34, at depth 0). Anchor points are added: the
   hairline and the crown above the eyebrows, a ring just outside the jaw contour (1.08 x from
   the face centre, 40 units deeper than the jaw: the edge of the head mask), a ring further out
   (1.25 x: hair, ears, background) and the neck, with depths on a generic head ellipsoid
   (:data:`HEAD`); and a fixed outer ring on the crop border that never moves (the background
   around the head stays put, as in Zhu et al.'s "face profiling", CVPR 2016).
3. **Triangles.** Delaunay triangulation (cv2.Subdiv2D) of all those points in the photo.
4. **Render.** The 3D points are rotated about the head centre by R = Ry(yaw) @ Rx(pitch) (the
   convention of :mod:`forensic.features.pose`: x right, y down, z away from the camera;
   yaw > 0 turns the face toward the image's right, pitch > 0 tilts it up), projected
   orthographically, and every output pixel is mapped back into the photo through the affine map
   of the triangle that covers it (triangles drawn far to near, so the nose hides the far cheek;
   one cv2.remap for the whole picture, so there are no seams). The head's alpha mask is warped
   the same way. A mild Lambertian shading term darkens surfaces that turn away from the camera.

The generic depth table
-----------------------
Depths in MODEL_POINTS units (outer eye-corner distance 450 ~ 90 mm, so ~5 units per mm), behind
dlib point 34 (1-based; 33 in code), which is MODEL_POINTS' nose tip at 0. The six points the
pose estimator uses keep MODEL_POINTS' depths exactly (nose 0, chin 65, outer eye corners 135,
mouth corners 125), so the generator and the estimator share one notion of "depth"; the other 62
follow typical adult facial anthropometry (profile depths of the brow ridge, nasion, nose, lips
and a jaw contour that runs from the chin back to ~75 mm behind the nose at ear level):

* jaw contour 1..17: 380 360 330 290 240 180 120 80 | 65 (chin) | mirrored;
* eyebrows 18..27: 160 120 95 85 85 | mirrored;
* nose bridge 28..31: 105 75 40 -60 (31 is the real tip of the nose, in front of 34);
  nostrils 32..36: 45 15 0 15 45;
* eyes 37..48: outer corner 135, upper/lower lids 115/100, inner corner 100;
* lips 49..68: corners 125, outer upper lip 85 45 25 45 85, outer lower 90 55 40 55 90,
  inner lip 110 55 45 55 110 / 60 50 60.

The head is an ellipsoid centred 100 units above dlib 34 and 480 behind it, semi-axes 390 (x),
560 (y), 480 (z); it gives the anchors their depth and is the rotation centre.

Ground truth and limits
-----------------------
The photo is taken as yaw = pitch = 0: a render at (yaw, pitch) is the photo's head turned by that
much, and that is the ground truth recorded for it. The photo's own pose as
:func:`forensic.features.pose.yaw_pitch` estimates it is kept in :attr:`FaceModel.photo_pose`
(e.g. the astronaut reads as pitch ~ -39 degrees while looking straight at the camera: that is the
estimator's bias with its generic six points, not the photo's pose).

What works (benchmarks/pose_accuracy.py, docs/synth_contact_sheet.png): dlib finds the re-posed
faces and ``pose.yaw_pitch`` follows the requested yaw within ~4-6 degrees over +-30 and more;
dlib's HOG detector stops finding them beyond about 25-36 degrees of yaw, sooner on the side the
photo already turns to and when the head also tilts up (:func:`detectable_yaw_range` measures it
per face; the scenes keep inside it). Pitch is drawn faithfully but ``pose.yaw_pitch`` reads it
with an offset of -12..-26 degrees on these photos and only ~0.2-0.3 of its change, where on real
faces (AFLW2000, BlazeFace) it reads ~0.46 of the labelled pitch with an offset of ~-5 degrees and
~1.0 of the yaw. Most of it is the estimator: its generic six points are vertically unlike dlib's
(solvePnP on the exact projected dlib-layout points already gives ~0.3 of the pitch and -17 degrees
at rest); changing either side changes 4 of the 29 numbers, so it waits for a retrained model.

Limits: the depths are generic, not the person's; there is no texture for what the photo does not
show (the far side of the head, the ears, under the chin), so the hair at the far edge stretches
when the head turns and the neck stretches when it tilts up; pitch beyond ~25 degrees folds the
nose and lip triangles; the eyes do not move in their sockets; the expression never changes.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import cv2
import numpy as np

CANON_EYE_PX = 80.0  # outer eye-corner distance of the prepared photo, pixels
MODEL_EYE = 450.0  # the same distance in MODEL_POINTS units
CACHE_SIZE = 160  # re-posed heads kept per face (least recently used dropped)

# --------------------------------------------------------------- the generic face (see docstring)
_JAW = [380, 360, 330, 290, 240, 180, 120, 80, 65]
_JAW = _JAW + _JAW[-2::-1]  # 17
_BROW = [160, 120, 95, 85, 85]
_BROW = _BROW + _BROW[::-1]  # 10
_NOSE = [105, 75, 40, -60, 45, 15, 0, 15, 45]  # 28..36 (1-based)
_EYE = [135, 115, 100, 100, 100, 115]  # one eye, dlib order: outer, upper x2, inner, lower x2
_EYE_R = [100, 100, 115, 135, 115, 100]  # the other eye: inner, upper x2, outer, lower x2
_MOUTH = (
    [125, 85, 45, 25, 45, 85, 125, 90, 55, 40, 55, 90]  # 49..60: outer lip
    + [110, 55, 45, 55, 110, 60, 50, 60]
)  # 61..68: inner lip
GENERIC_DEPTH = np.array(_JAW + _BROW + _NOSE + _EYE + _EYE_R + _MOUTH, dtype=np.float64)
assert GENERIC_DEPTH.shape == (68,)

# head ellipsoid, MODEL_POINTS units, relative to dlib 34 (y down, z away from the camera)
HEAD = {"cy": -100.0, "cz": 480.0, "ax": 390.0, "ay": 560.0, "az": 480.0}


def rotation(yaw: float, pitch: float) -> np.ndarray:
    """R = Ry(yaw) @ Rx(pitch) in camera coordinates (x right, y down, z away), degrees, with the
    meaning of :mod:`forensic.features.pose`: the face, looking along -z, turns toward +x
    (image right) for yaw > 0 and toward -y (up) for pitch > 0."""
    a, b = math.radians(yaw), math.radians(pitch)
    ry = np.array([[math.cos(a), 0, -math.sin(a)], [0, 1, 0], [math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), math.sin(b)], [0, -math.sin(b), math.cos(b)]])
    return ry @ rx


@dataclass
class Rendered:
    """One re-posed head: ``image`` (BGR) and ``alpha`` (float32 0..1) of the crop size,
    ``landmarks`` (68 x 2, where the 68 points went, crop pixels), and the pose it was asked for."""

    image: np.ndarray
    alpha: np.ndarray
    landmarks: np.ndarray
    yaw: float
    pitch: float

    @property
    def six(self) -> np.ndarray:
        from forensic.features.faces import POINT_INDEX0

        return self.landmarks[list(POINT_INDEX0)]


@dataclass
class FaceModel:
    """A face photo prepared for re-posing (see the module docstring)."""

    name: str
    source: str  # where the photo came from (path or package resource)
    image: np.ndarray  # the cropped photo, BGR, eyes CANON_EYE_PX apart
    alpha: np.ndarray  # head mask of the crop, float32 0..1
    points: np.ndarray  # N x 3: crop x, crop y, depth in crop pixels; rows 0..67 are the landmarks
    fixed: np.ndarray  # N bools: anchor points that never move (the crop border)
    triangles: np.ndarray  # T x 3 indices into points
    centre: np.ndarray  # 3: rotation centre (head ellipsoid centre), crop pixels
    photo_pose: tuple[float, float] | None  # pose.yaw_pitch of the photo itself
    score: float  # dlib's detection score on the photo
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.shape[1], self.image.shape[0]

    @property
    def landmarks(self) -> np.ndarray:
        return self.points[:68, :2]

    @property
    def face_width(self) -> float:
        """Jaw width (dlib 1 to 17) of the photo as prepared, pixels: the "face width" scenes scale."""
        return float(np.linalg.norm(self.points[16, :2] - self.points[0, :2]))

    @property
    def identity(self) -> str:
        """The person, whatever the orientation (a mirrored photo is the same person)."""
        return self.name.split("~")[0]

    def skin_bgr(self) -> tuple[float, float, float]:
        """Median colour of the cheeks (between the jaw and the nose), for a drawn neck and hands."""
        L = self.landmarks
        mask = np.zeros(self.image.shape[:2], np.uint8)
        for side in ((1, 2, 3, 31, 40, 41), (15, 14, 13, 35, 47, 46)):
            cv2.fillConvexPoly(mask, cv2.convexHull(L[list(side)].astype(np.int32)), 255)
        px = self.image[mask > 0]
        return tuple(float(v) for v in np.median(px, axis=0)) if len(px) else (120.0, 150.0, 190.0)

    def render(self, yaw: float, pitch: float, shading: float = 0.35) -> Rendered:
        """The head turned by ``yaw`` and ``pitch`` degrees (angles rounded to 0.1 degree; the
        last :data:`CACHE_SIZE` results are kept, ~0.5 MB each)."""
        key = (round(yaw, 1), round(pitch, 1), round(shading, 2))
        hit = self._cache.pop(key, None)
        if hit is None:
            hit = _render(self, key[0], key[1], key[2])
            while len(self._cache) >= CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))  # least recently used
        self._cache[key] = hit
        return hit


def _delaunay(pts: np.ndarray, w: int, h: int) -> np.ndarray:
    sub = cv2.Subdiv2D((-2, -2, w + 4, h + 4))
    index = {}
    for i, (x, y) in enumerate(pts):
        key = (float(x), float(y))
        index[key] = i
        sub.insert(key)
    tris = []
    for t in sub.getTriangleList():
        ids = []
        for k in range(3):
            p = (float(t[2 * k]), float(t[2 * k + 1]))
            i = index.get(p)
            if i is None:  # Subdiv2D rounds to float32: match the nearest point
                d = np.hypot(pts[:, 0] - p[0], pts[:, 1] - p[1])
                i = int(np.argmin(d)) if d.min() < 0.5 else None
            ids.append(i)
        if None not in ids and len(set(ids)) == 3:
            tris.append(ids)
    return np.array(tris, dtype=np.int32)


def _head_depth(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Depth of the front of the head ellipsoid at (x, y), MODEL_POINTS units; the silhouette depth
    outside it."""
    q = 1.0 - (x / HEAD["ax"]) ** 2 - ((y - HEAD["cy"]) / HEAD["ay"]) ** 2
    return HEAD["cz"] - HEAD["az"] * np.sqrt(np.clip(q, 0.0, None))


def fit(image_bgr: np.ndarray, name: str = "face", source: str = "", finder=None) -> FaceModel:
    """Prepare the largest face dlib finds in ``image_bgr``; ValueError when it finds none."""
    from forensic.features import pose
    from forensic.features.faces import FaceFinder

    finder = finder or FaceFinder(upsample=1)
    faces = finder.faces(image_bgr)
    if not faces:
        raise ValueError(f"dlib finds no face in {source or name}")
    face = faces[0]
    L = face.landmarks
    ih, iw = image_bgr.shape[:2]
    photo_pose = pose.yaw_pitch(face.six, iw, ih)

    # scale the photo so the outer eye corners are CANON_EYE_PX apart
    eye = float(np.linalg.norm(L[45] - L[36]))
    k = CANON_EYE_PX / eye
    L = L * k
    # face frame: "right" along the eyes, "down" perpendicular (keeps the photo's roll)
    right = (L[45] - L[36]) / np.linalg.norm(L[45] - L[36])
    down = np.array([-right[1], right[0]])
    nose = L[33]
    unit = CANON_EYE_PX / MODEL_EYE  # crop pixels per MODEL_POINTS unit

    def to_face(p):  # crop px -> face units (x right, y down, relative to the nose)
        d = p - nose
        return np.stack([d @ right, d @ down], axis=-1) / unit

    def to_img(f):
        f = np.asarray(f, float) * unit
        return nose + f[..., :1] * right + f[..., 1:2] * down

    lf = to_face(L)
    brow_y = lf[17:27, 1].mean()
    chin_y = lf[8, 1]
    h = chin_y - brow_y  # brow to chin, units
    anchors = []
    # forehead (hairline) and top of the head above the eyebrows, and the crown
    for i in (17, 19, 21, 22, 24, 26):
        anchors.append((lf[i, 0] * 1.05, lf[i, 1] - 0.45 * h))
        anchors.append((lf[i, 0] * 1.15, lf[i, 1] - 0.85 * h))
    # sides of the head, cheeks and neck: the jaw contour pushed outward
    cx = lf[:17, 0].mean()
    cyc = lf[27:36, 1].mean()
    n_top = len(anchors)
    for i in range(17):  # just outside the face's edge (the mask's edge): rotates with the head
        d = lf[i] - (cx, cyc)
        anchors.append(tuple((cx, cyc) + d * 1.08))
    for i in range(17):  # further out (hair, ears, background): on the head's silhouette
        d = lf[i] - (cx, cyc)
        anchors.append(tuple((cx, cyc) + d * 1.25))
    for x in (-0.55, 0.0, 0.55):  # neck below the chin
        anchors.append((x * (lf[16, 0] - lf[0, 0]) / 2, chin_y + 0.35 * h))
    anchors = np.array(anchors)
    anchor_depth = _head_depth(anchors[:, 0], anchors[:, 1])
    inner = slice(n_top, n_top + 17)
    anchor_depth[inner] = np.maximum(anchor_depth[inner], GENERIC_DEPTH[:17] + 40.0)
    mask_pts = np.vstack([anchors[:n_top], anchors[inner], anchors[-3:] * (0.8, 1.0)])

    # crop: the fixed outer ring with a margin around every anchor
    all_img = to_img(np.vstack([lf, anchors]))
    mx, my = 0.45 * h * unit, 0.25 * h * unit  # room for the face to turn inside the crop
    x0, y0 = np.floor(all_img.min(axis=0) - (mx, my)).astype(int)
    x1, y1 = np.ceil(all_img.max(axis=0) + (mx, my)).astype(int)
    scaled = cv2.resize(
        image_bgr, (round(iw * k), round(ih * k)), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC
    )
    crop = _crop(scaled, x0, y0, x1, y1)
    ch, cw = crop.shape[:2]
    off = np.array([x0, y0], float)
    ring = []
    for t in np.linspace(0, 1, 5)[:-1]:
        ring += [(t * (cw - 1), 0), ((cw - 1), t * (ch - 1)), ((1 - t) * (cw - 1), ch - 1), (0, (1 - t) * (ch - 1))]
    ring = np.array(ring)

    pts2 = np.vstack([L - off, to_img(anchors) - off, ring])
    depth_units = np.concatenate([GENERIC_DEPTH, anchor_depth, np.full(len(ring), HEAD["cz"])])
    points = np.column_stack([pts2, depth_units * unit])
    fixed = np.zeros(len(points), bool)
    fixed[-len(ring) :] = True
    centre2 = to_img(np.array([0.0, HEAD["cy"]])) - off
    centre = np.array([centre2[0], centre2[1], HEAD["cz"] * unit])

    # head mask: the jaw, the head-side anchors and the crown, feathered
    hull_pts = to_img(mask_pts) - off
    alpha = np.zeros((ch, cw), np.uint8)
    cv2.fillConvexPoly(alpha, cv2.convexHull(hull_pts.astype(np.float32)).astype(np.int32), 255)
    feather = max(3, int(0.06 * h * unit) | 1)
    alpha = cv2.GaussianBlur(alpha, (feather, feather), 0).astype(np.float32) / 255.0

    tris = _delaunay(pts2, cw, ch)
    return FaceModel(name, source, crop, alpha, points, fixed, tris, centre, photo_pose, face.score)


def _crop(img: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    h, w = img.shape[:2]
    pad = max(0, -x0, -y0, x1 - w, y1 - h)
    if pad:
        img = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    return img[y0 + pad : y1 + pad, x0 + pad : x1 + pad].copy()


def project(model: FaceModel, yaw: float, pitch: float) -> tuple[np.ndarray, np.ndarray]:
    """(xy N x 2, depth N) of the model's points turned by yaw and pitch (orthographic)."""
    r = rotation(yaw, pitch)
    p = model.points - model.centre
    q = p @ r.T + model.centre
    q[model.fixed] = model.points[model.fixed]
    return q[:, :2], q[:, 2]


def _facing(p3: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """z of each triangle's unit normal (not re-oriented: same vertex order, same side)."""
    a, b, c = p3[tris[:, 0]], p3[tris[:, 1]], p3[tris[:, 2]]
    n = np.cross(b - a, c - a)
    return n[:, 2] / (np.linalg.norm(n, axis=1) + 1e-9)


def _render(model: FaceModel, yaw: float, pitch: float, shading: float) -> Rendered:
    w, h = model.size
    dst, depth = project(model, yaw, pitch)
    src = model.points[:, :2]
    tris = model.triangles
    # far triangles first, so near ones (the nose) cover them
    order = np.argsort(-depth[tris].mean(axis=1), kind="stable")
    ids = np.zeros((h, w), np.int32)
    for t in order:
        cv2.fillConvexPoly(ids, np.round(dst[tris[t]]).astype(np.int32), int(t) + 1)
    # inverse affine per triangle: output pixel -> photo pixel
    inv = np.zeros((len(tris) + 1, 2, 3), np.float32)
    inv[0] = [[1, 0, 0], [0, 1, 0]]
    for t, tri in enumerate(tris):
        inv[t + 1] = cv2.getAffineTransform(dst[tri].astype(np.float32), src[tri].astype(np.float32))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    m = inv[ids]
    mapx = m[..., 0, 0] * xx + m[..., 0, 1] * yy + m[..., 0, 2]
    mapy = m[..., 1, 0] * xx + m[..., 1, 1] * yy + m[..., 1, 2]
    image = cv2.remap(model.image, mapx, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.remap(model.alpha, mapx, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if shading > 0 and (yaw or pitch):
        # Lambertian term, light from the camera: brightness ratio of each triangle turned / as photographed
        f0 = _facing(model.points, tris)
        side = -np.sign(f0 + 1e-12)  # toward the camera (-z) in the photo
        n0 = f0 * side
        n1 = _facing(np.column_stack([dst, depth]), tris) * side
        ratio = np.clip(n1 / np.maximum(n0, 0.2), 0.4, 1.15)
        gain = np.concatenate([[1.0], 1.0 + shading * (ratio - 1.0)]).astype(np.float32)
        g = cv2.GaussianBlur(gain[ids], (0, 0), max(1.0, w / 60))
        image = np.clip(image.astype(np.float32) * g[..., None], 0, 255).astype(np.uint8)
    return Rendered(image, alpha, dst[:68].copy(), yaw, pitch)


def detectable_yaw_range(
    model: FaceModel,
    finder=None,
    face_width: float = 60.0,
    pitches=(0.0, 4.0),
    min_score: float = 0.45,
    step: float = 4.0,
    limit: float = 36.0,
    floor: float = 16.0,
) -> tuple[float, float]:
    """The yaw range (lo, hi) around 0 over which dlib's HOG detector (upsample 1) finds the
    re-posed face ``face_width`` pixels wide with a score of at least ``min_score`` at every one
    of ``pitches``, on a plain background; at most +-``limit``, at least +-``floor``."""
    from forensic.features.faces import FaceFinder

    finder = finder or FaceFinder(upsample=1)
    k = face_width / model.face_width
    out = []
    for sign in (-1, 1):
        ok = 0.0
        y = step
        while y <= limit + 1e-9:
            good = True
            for p in pitches:
                r = model.render(sign * y, p)
                img = cv2.resize(r.image, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
                al = cv2.resize(r.alpha, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)[..., None]
                canvas = np.full((img.shape[0] + 40, img.shape[1] + 40, 3), 110, np.uint8)
                roi = canvas[20 : 20 + img.shape[0], 20 : 20 + img.shape[1]]
                roi[:] = (img * al + roi * (1 - al) + 0.5).astype(np.uint8)
                _rects, scores, _ = finder.detector.run(np.ascontiguousarray(canvas[:, :, ::-1]), finder.upsample, 0.0)
                if not len(scores) or max(scores) < min_score:
                    good = False
                    break
            if not good:
                break
            ok = y
            y += step
        out.append(sign * max(ok, floor))
    return out[0], out[1]


# ------------------------------------------------------------------ face photos


IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def default_face_sources(folder: str) -> dict[str, str]:
    """The face photos that ship with the installed packages (astronaut, grace_hopper)."""
    from forensic.synth.photos import face_images

    return face_images(folder)


def load_models(
    faces_dir: str | None = None, include_default: bool = True, mirrored: bool = False, finder=None
) -> list[FaceModel]:
    """The default faces (scikit-image's astronaut, matplotlib's grace_hopper) plus every picture
    in ``faces_dir`` in which dlib finds a face, in that order (user pictures sorted by file name).
    ``mirrored``: also each photo flipped left-right (named ``NAME~mirrored``), which dlib must
    find too. ValueError when ``faces_dir`` is given but holds no usable face, or when no face at
    all is left."""
    import tempfile

    from forensic.features.faces import FaceFinder

    finder = finder or FaceFinder(upsample=1)
    user = load_user_faces(faces_dir, finder) if faces_dir is not None else []  # fails fast
    models = []
    if include_default:
        with tempfile.TemporaryDirectory() as tmp:
            for name, path in sorted(default_face_sources(tmp).items()):
                models.append(fit(cv2.imread(path), name, f"package:{name}", finder))
    models += user
    if not models:
        raise ValueError("no face photos: the default faces are off and no --faces folder was given")
    if mirrored:
        flipped = []
        for m in models:
            try:
                flipped.append(fit(m.image[:, ::-1].copy(), m.name + "~mirrored", m.source, finder))
            except ValueError:
                pass  # dlib does not find the mirrored face: keep the original only
        models += flipped
    return models


def load_user_faces(faces_dir: str, finder=None) -> list[FaceModel]:
    """Every picture in ``faces_dir`` with a face dlib finds (ValueError when there is none)."""
    if not os.path.isdir(faces_dir):
        raise ValueError(f"--faces {faces_dir}: no such folder")
    names = sorted(n for n in os.listdir(faces_dir) if n.lower().endswith(IMAGE_EXTENSIONS))
    out, rejected = [], []
    for n in names:
        path = os.path.join(faces_dir, n)
        img = cv2.imread(path)
        if img is None:
            rejected.append(f"{n} (not a readable picture)")
            continue
        try:
            model = fit(img, "user:" + os.path.splitext(n)[0], os.path.abspath(path), finder)
        except ValueError:
            rejected.append(f"{n} (dlib finds no face)")
            continue
        if np.linalg.norm(model.landmarks[45] - model.landmarks[36]) <= 0:
            rejected.append(f"{n} (degenerate landmarks)")
            continue
        out.append(model)
    if not out:
        why = "; ".join(rejected) if rejected else f"no pictures ({', '.join(IMAGE_EXTENSIONS)})"
        raise ValueError(f"--faces {faces_dir}: no face dlib can find: {why}")
    return out
