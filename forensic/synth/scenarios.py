"""Scenario footage with ground truth: labelled 3-8 s clips for training and long multi-scene
archives for scoring a whole scan.

People are real face photographs (:mod:`forensic.synth.faces3d`, re-posed to a controlled yaw
and pitch every frame) on a drawn body, in front of a drawn or photographic backdrop. Everything
is decided by a seed: the same seed gives byte-identical frames (before encoding).

The world (a 2.5D pinhole model)
--------------------------------
Lengths are in head widths (hw, ~0.14 m, the jaw width dlib's points 1..17 span). The camera is
the one :mod:`forensic.features.pose` assumes: focal length = frame width W, principal point =
frame centre, at about eye height. A head at lateral X, depth Z (relative to the camera), eyes Yd
below the camera has face width ``fw = W / Z`` pixels and its nose at
``x = W/2 + X * fw``, ``y = H/2 + Yd * fw``. So the frame is Z head widths wide at that depth, and
with faces of 56..130 px (dlib's HOG detector, upsample 1, needs ~50) people stand 5..15 hw from
a 640..854 px camera. The camera may track sideways with the walkers (the backdrop, ~2-6 times
further, scrolls with parallax) or retreat in front of people walking toward it (the backdrop
shrinks). A handheld jitter of a few pixels is added to a third of the scenes.

Head pose ground truth is in camera coordinates, the convention of :mod:`forensic.features.pose`
(yaw > 0 toward the image's right, pitch > 0 up), so it is what ``pose.yaw_pitch`` should read:
a head off the image centre is drawn turned by the angle of its line of sight (a head that looks
at the camera looks frontal wherever it is). Yaw 0, pitch 0 is the face photo as photographed.
The drawn yaw (relative to the line of sight) is kept inside each face's dlib-detectable range
(:func:`forensic.synth.faces3d.detectable_yaw_range` less 4 degrees: -28..+32 at best for the
packaged faces, +-16 at least) and the drawn pitch within -25..+4 degrees (dlib loses turned
faces that tilt up; see docs/synth_contact_sheet.png), quantised to 0.5 degree; the ground truth
is what was drawn.

Gaze: every person follows a plan of gaze segments: ``other`` (the head turned toward the other
person, the geometric direction capped at the person's own 22..32 degree limit), ``ahead`` (the
walking direction, capped), ``camera``, ``away`` (turned 12..30 degrees away from the other
person), ``phone`` (head down 15..25 degrees) and ``around``; head turns are smoothed (time
constant 0.12..0.25 s); base pitch N(0, 3) degrees per person.

Heights: the first person's nose sits at U(0.33, 0.55) of the frame height (from the top); the
second person's eyes are N(0, 0.7) hw (about 10 cm) above or below the first's, as two adults
differ in height, kept so that the nose stays within 0.25..0.75 of the frame height; a head
looking at the other follows the vertical line between their eyes too. (Generator 1 kept the two
within N(0, 0.15) hw, about 2 cm, in every scene: a model trained on two seeds of it learnt that
and flagged a real clip of two people walking together whose faces are about a head width apart
in height, ``../shared/people``; README, "Two training seeds".)

Scenarios and their parameter distributions (U(a, b): uniform)
-------------------------------------------------------------
gap: distance between the two heads in hw (X and Z); image nose distance ~ gap * fw.

stalking (the paper: one person keeps a distance, follows along the other's path, head turned
toward them; the other faces away or does not look back):

* ``follow_lateral`` (40 %): both walk across the frame at U(3.5, 7) hw/s, the camera tracking
  them (U(0.75, 1) of their speed, less drift when the pair would leave the frame); the follower
  walks the target's own path (its position gap/speed seconds earlier) gap U(2, 6.5) hw behind
  (less when the frame is too narrow at that depth), U(0, 1.5) hw further back; the follower
  looks at the target ~88 % of the time (glances of 0.3..0.8 s elsewhere); the target looks
  ahead (away from the follower), at a phone, at the camera or away, and never turns more than
  8 degrees toward the follower's side.
* ``follow_toward`` (30 %): both walk toward a retreating camera (U(2.5, 5) hw/s, camera at
  U(0.8, 1) of it); the follower walks the target's path gap U(2, 5) hw behind in depth and
  U(1.2, 3) hw to the side, looking at the target; the target looks ahead/phone/camera/away.
* ``loiter_stare`` (30 %): the target stands or walks slowly (U(0.3, 0.9) hw/s, half the
  scenes) away from the follower, who keeps gap U(2.5, 7) hw (following when the target walks)
  and stares at the target ~90 % of the time; the target looks away, at a phone, at the camera.

non-stalking (two people together, close, facing each other or the same way, talking or walking
side by side), plus strangers at stalking distances so that distance alone does not decide:

* ``talk`` (25 %): standing gap U(1.3, 3) hw apart (depths within ~0.5 hw), facing each other
  ~72 % of the time, nodding (pitch U(1, 6) degrees at U(0.3, 1.2) Hz), sometimes looking at the
  camera, away or around; camera static or slowly panning.
* ``walk_side_by_side`` (20 %): walking across together (as follow_lateral's motion) gap
  U(1.1, 3) hw, depths differing by U(-1, 1.5) hw, in step (the same path at the same time, not
  one after the other), both looking ahead ~60 % and at each other ~40 % (so the front person
  looks back).
* ``walk_toward_together`` (20 %): abreast toward a retreating camera, gap U(1.3, 2.8) hw,
  looking ahead, at each other, at the camera.
* ``strangers_walk`` (15 %): walking the same way at different depths (U(1.5, 4) hw apart in
  depth, U(2.5, 6.5) hw apart sideways), each on their own path and pace, not looking at each
  other (the one behind looks at a phone, the camera or away, not ahead).
* ``strangers_wait`` (20 %): standing U(2.5, 7) hw apart, each looking at a phone, the camera,
  away or around, not at each other.

Resulting mean image nose distances in face widths (5th..95th percentile over 300 planned clips
of each class): follow_lateral 2.2..6.2, follow_toward 1.1..2.8 (the gap is in depth),
loiter_stare 2.9..6.7; talk 1.5..2.9, walk_side_by_side 1.2..2.9, walk_toward_together 1.4..2.7,
strangers_walk 3.3..6.7, strangers_wait 2.6..6.5. Stalking as a whole 1.5..6.4 (median 3.7),
non-stalking 1.4..6.0 (median 2.5): distance alone does not separate the classes.

For archives also ``single`` (one person walking across, toward the camera, or standing) and
``empty`` (the backdrop only, static or panning).

Look: frame sizes 640x360 (50 %), 640x480 (20 %), 480x360 (15 %), 854x480 (15 %) for clips;
24/25/30 fps; face widths 56..min(130, W/5) px; backdrops ``street``, ``indoor``, ``park`` (drawn,
with photographic textures from scikit-image: brick, grass, gravel) or ``photo`` (scikit-image's
rocket, coffee, stereo motorcycle, Hubble deep field, gravel pictures), blurred U(0, 1.8) px; lighting gain U(0.65, 1.25),
gamma U(0.8, 1.25), colour tint +-8 % per channel, vignette U(0, 0.45), a left-right light ramp
+-15 %, flicker in 15 % of scenes; grain sigma U(0, 7) (none in 20 %); shirt colours and patterns
random; each person's face tinted +-6 %. Clips are H.264 (CRF U{18..32}) in 80 % and MPEG-4
part 2 (q U{2..8}) in 20 %, all .mp4. Faces: the packaged astronaut and grace_hopper and their
mirror images (four faces, the two people of a clip always two different persons), plus every
face dlib finds in ``--faces DIR``.

Archives: files of U(1.5, 4) minutes (at least two), each in one of MP4/H.264 960x540 25 fps,
MKV/H.264 854x480 29.97 fps, MPEG-TS/MPEG-2 720x576 25 fps, AVI/MPEG-4 640x480 24 fps,
MOV/H.264 640x360 30 fps (each file another one); scenes back to back with hard cuts (a different backdrop kind every
time): empty 15 % (2-8 s), single 20 % (4-10 s), stalking 30 % (5-15 s), non-stalking 35 %
(5-15 s), scenarios within a class as for clips.

Ground truth files: one JSON per clip (beside it, same name: label, scenario, seed, the sampled
parameters, and per frame and person the nose position, face width, yaw, pitch, gaze, the six
points, the face photo), ``clips.csv`` (one row per clip), ``ground_truth.csv`` for an archive (one
row per scene interval; single-person and empty scenes are labelled non_stalking, their scenario
says which) with one JSON per archive file, and ``generator.json`` in every output folder (these
distributions, the faces and their yaw ranges).
"""

from __future__ import annotations

GENERATOR = "forensic.synth.scenes/2"  # 2: people of different heights, noses 0.33..0.55 (1: one height)
FW_MIN = 56.0  # smallest face width drawn, pixels
FW_MAX = 130.0  # largest, pixels (and at most W / 5)
NOSE_HEIGHT = (0.33, 0.55)  # the first person's nose, share of the frame height from the top
HEIGHT_SD = 0.7  # hw: the second person's eyes N(0, HEIGHT_SD) above or below the first's
SECOND_NOSE = (0.25, 0.75)  # the second person's nose kept within this share of the frame height
YAW_LIMIT = 36.0  # drawn (apparent) yaw limit, degrees (each face has its own, narrower: FacePool)
PITCH_RANGE = (-25.0, 4.0)  # drawn pitch limits, degrees
YAW_MARGIN = 4.0  # degrees inside each face's dlib-detectable yaw range
ANGLE_STEP = 0.5  # drawn angles are quantised to this (so re-posed heads can be cached)

STALKING = {"follow_lateral": 0.4, "follow_toward": 0.3, "loiter_stare": 0.3}
NON_STALKING = {
    "talk": 0.25,
    "walk_side_by_side": 0.2,
    "walk_toward_together": 0.2,
    "strangers_walk": 0.15,
    "strangers_wait": 0.2,
}
OTHER = ("single", "empty")
LABELS = ("stalking", "non_stalking")
CLIP_SIZES = (((640, 360), 0.5), ((640, 480), 0.2), ((480, 360), 0.15), ((854, 480), 0.15))
CLIP_FPS = (24, 25, 30)
CLIP_SECONDS = (3.0, 8.0)

POSE_CONVENTION = (
    "camera coordinates as forensic.features.pose: x right, y down, z away; yaw > 0 turns "
    "toward the image's right, pitch > 0 tilts up; degrees; 0, 0 = the face photo as "
    "photographed; pinhole camera, focal = frame width, principal point = frame centre"
)


def label_of(scenario: str) -> str:
    return "stalking" if scenario in STALKING else "non_stalking"


# archives: the scene kinds and their lengths
ARCHIVE_SCENES = {"empty": 0.15, "single": 0.2, "stalking": 0.3, "non_stalking": 0.35}
ARCHIVE_SECONDS = {"empty": (2.0, 8.0), "single": (4.0, 10.0), "stalking": (5.0, 15.0), "non_stalking": (5.0, 15.0)}
