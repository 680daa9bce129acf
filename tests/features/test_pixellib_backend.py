"""PixelLib Mask R-CNN backend: weights really load, bad files are refused, frames are not touched.

Every test runs its code in a subprocess: importing PixelLib switches TensorFlow's eager
execution off for the whole process, which would break the other tests of this pytest run.
The scripts print one ``RESULT {json}`` line; the assertions are made here, on those numbers.

The real COCO weights (``mask_rcnn_coco.h5``) are not needed: the tests write seeded random
weights for the same architecture (``save_random_weights``) and check that what is loaded is
what the network computes with.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

_MISSING = [m for m in ("tensorflow", "tf_keras", "pixellib", "h5py", "skimage") if importlib.util.find_spec(m) is None]
pytestmark = pytest.mark.skipif(
    bool(_MISSING),
    reason=f"PixelLib backend needs {', '.join(_MISSING)} (not installed; `make setup` installs pixellib and tf-keras)",
)

REPO = Path(__file__).resolve().parents[2]


def run_script(tmp_path: Path, name: str, code: str, timeout: float = 400) -> dict:
    """Run ``code`` in a fresh Python; returns the dict it printed as ``RESULT {json}``."""
    script = tmp_path / f"{name}.py"
    script.write_text(textwrap.dedent(code))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    r = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=tmp_path,
        env=env,
    )
    out = [line for line in r.stdout.splitlines() if line.startswith("RESULT ")]
    assert r.returncode == 0 and out, (
        f"{name} failed (exit {r.returncode})\n--- stdout ---\n{r.stdout[-4000:]}\n--- stderr ---\n{r.stderr[-6000:]}"
    )
    return json.loads(out[-1][len("RESULT ") :])


def test_importing_the_module_imports_neither_tensorflow_nor_pixellib(tmp_path):
    res = run_script(
        tmp_path,
        "lazy",
        """
        import json, sys
        import forensic.features.pixellib_backend as pb
        print("RESULT " + json.dumps({
            "tensorflow": "tensorflow" in sys.modules,
            "pixellib": "pixellib" in sys.modules,
            "name": pb.PixelLibSegmenter.name,
            "url": pb.COCO_WEIGHTS_URL,
            "sha": pb.COCO_WEIGHTS_SHA256,
        }))
        """,
    )
    assert res["tensorflow"] is False and res["pixellib"] is False
    assert res["name"] == "pixellib-maskrcnn-coco"
    assert res["url"] == "https://github.com/ayoolaolafenwa/PixelLib/releases/download/1.2/mask_rcnn_coco.h5"
    assert res["sha"] is None  # not known offline; never invented


def test_missing_or_unreadable_weights_are_refused_before_tensorflow_is_loaded(tmp_path):
    res = run_script(
        tmp_path,
        "missing",
        """
        import json, sys
        from pathlib import Path
        from forensic.features.pixellib_backend import PixelLibSegmenter
        tmp = Path(sys.argv[1])
        out = {}
        def attempt(key, *args, **kw):
            try:
                PixelLibSegmenter(*args, **kw)
                out[key] = ["no error", ""]
            except Exception as exc:
                out[key] = [type(exc).__name__, str(exc)]
        attempt("missing", str(tmp / "models" / "mask_rcnn_coco.h5"))
        attempt("directory", str(tmp))
        (tmp / "junk.h5").write_bytes(b"this is not an HDF5 file" * 10)
        attempt("not_hdf5", str(tmp / "junk.h5"))
        attempt("bad_dim", str(tmp / "junk.h5"), image_max_dim=500)
        attempt("bad_score", str(tmp / "junk.h5"), min_score=1.5)
        out["tensorflow_imported"] = "tensorflow" in sys.modules
        out["pixellib_imported"] = "pixellib" in sys.modules
        print("RESULT " + json.dumps(out))
        """,
    )
    kind, msg = res["missing"]
    assert kind == "FileNotFoundError"
    for needed in ("models fetch", "--maskrcnn-weights", "models/mask_rcnn_coco.h5", "mask_rcnn_coco.h5"):
        assert needed in msg, (needed, msg)
    assert res["directory"][0] == "FileNotFoundError" and "directory" in res["directory"][1]
    assert res["not_hdf5"][0] == "ValueError" and "not an HDF5 file" in res["not_hdf5"][1]
    assert res["bad_dim"][0] == "ValueError" and "multiple of 64" in res["bad_dim"][1]
    assert res["bad_score"][0] == "ValueError" and "min_score" in res["bad_score"][1]
    # all of this is decided without building the network
    assert res["tensorflow_imported"] is False and res["pixellib_imported"] is False


def test_fetch_fails_fast_and_cleanly_offline_and_checks_what_it_downloads(tmp_path):
    res = run_script(
        tmp_path,
        "fetch",
        """
        import hashlib, http.server, json, os, sys, threading, time
        from pathlib import Path
        import h5py, numpy as np
        from forensic.features import pixellib_backend as pb
        tmp = Path(sys.argv[1])
        out = {}

        # 1. The real URL, on this offline machine: RuntimeError within the timeout.
        dest = tmp / "offline" / "mask_rcnn_coco.h5"
        t0 = time.monotonic()
        try:
            pb.fetch_coco_weights(str(dest), timeout=5)
            out["offline"] = ["no error", ""]
        except Exception as exc:
            out["offline"] = [type(exc).__name__, str(exc)]
        out["offline_s"] = time.monotonic() - t0
        out["offline_left"] = sorted(os.listdir(dest.parent)) if dest.parent.exists() else []

        # 2. A local server, to check what is done with a download.
        served = tmp / "served"
        served.mkdir()
        with h5py.File(served / "good.h5", "w") as f:   # Keras HDF5 weights layout
            f.attrs["layer_names"] = np.array([b"conv1"])
            g = f.create_group("conv1")
            g.attrs["weight_names"] = np.array([b"conv1/kernel:0"])
            g.create_dataset("conv1/kernel:0", data=np.arange(12, dtype=np.float32).reshape(2, 2, 3, 1))
        (served / "bad.h5").write_bytes(b"<html>not weights</html>")
        good_sha = hashlib.sha256((served / "good.h5").read_bytes()).hexdigest()

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=str(served), **kw)
            def log_message(self, *a):
                pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}/"

        def fetch(key, name, **kw):
            d = tmp / key / "mask_rcnn_coco.h5"
            try:
                got = pb.fetch_coco_weights(str(d), timeout=5, url=base + name, **kw)
                ok = Path(got).read_bytes() == (served / name).read_bytes()
                out[key] = ["ok", got == os.path.abspath(d) and ok]
            except Exception as exc:
                out[key] = [type(exc).__name__, str(exc)]
            out[key + "_left"] = sorted(os.listdir(d.parent))
        fetch("good", "good.h5")
        fetch("good_hash", "good.h5", expected_sha256=good_sha)
        fetch("wrong_hash", "good.h5", expected_sha256="0" * 64)
        fetch("not_weights", "bad.h5")
        fetch("not_found", "nothing-here.h5")
        server.shutdown()

        # 3. A server that takes the connection and never answers: the timeout still holds.
        import socket
        mute = socket.socket()
        mute.bind(("127.0.0.1", 0))
        mute.listen(4)
        t0 = time.monotonic()
        try:
            pb.fetch_coco_weights(str(tmp / "mute" / "w.h5"), timeout=1, url=f"http://127.0.0.1:{mute.getsockname()[1]}/w.h5")
            out["mute"] = ["no error", ""]
        except Exception as exc:
            out["mute"] = [type(exc).__name__, str(exc)]
        out["mute_s"] = time.monotonic() - t0
        mute.close()
        out["fingerprint_ok"] = pb.weights_fingerprint(str(served / "good.h5")) == good_sha
        print("RESULT " + json.dumps(out))
        """,
        timeout=120,
    )
    kind, msg = res["offline"]
    assert kind == "RuntimeError", res["offline"]
    assert res["offline_s"] < 5 + 2, f"took {res['offline_s']:.1f} s with timeout=5"
    assert "offline" in msg and "could not download" in msg.lower()
    assert "--maskrcnn-weights" in msg and "mask_rcnn_coco.h5" in msg  # how to place it by hand
    assert res["offline_left"] == []  # no partial file left behind

    assert res["good"] == ["ok", True] and res["good_left"] == ["mask_rcnn_coco.h5"]
    assert res["good_hash"] == ["ok", True] and res["good_hash_left"] == ["mask_rcnn_coco.h5"]
    assert res["wrong_hash"][0] == "RuntimeError" and "sha256" in res["wrong_hash"][1]
    assert res["wrong_hash_left"] == []
    assert res["not_weights"][0] == "RuntimeError" and "not Keras weights" in res["not_weights"][1]
    assert res["not_weights_left"] == []
    assert res["not_found"][0] == "RuntimeError" and "404" in res["not_found"][1]
    assert res["not_found_left"] == []
    assert res["mute"][0] == "RuntimeError" and res["mute_s"] < 1 + 2, (res["mute"], res["mute_s"])
    assert res["fingerprint_ok"] is True


def test_people_from_detections_keeps_confident_people_only(tmp_path):
    res = run_script(
        tmp_path,
        "convert",
        """
        import json
        import numpy as np
        from forensic.features.pixellib_backend import people_from_detections, PERSON_CLASS_ID
        h, w = 40, 60
        rois = np.array([[5, 10, 20, 30], [0, 0, 10, 10], [30, 50, 45, 70], [1, 1, 3, 3]])  # (y1, x1, y2, x2)
        class_ids = np.array([1, 3, 1, 1])  # person, car, person, person
        scores = np.array([0.9, 0.99, 0.6, 0.4])
        masks = np.zeros((h, w, 4), bool)
        masks[5:20, 10:30, 0] = True
        masks[0:10, 0:10, 1] = True
        masks[30:40, 50:60, 2] = True
        masks[1:3, 1:3, 3] = True
        pm = people_from_detections(rois, class_ids, scores, masks, (h, w, 3), 0.5, "seg")
        expected = masks[:, :, 0] | masks[:, :, 2]
        empty = people_from_detections(np.zeros((0, 4)), np.zeros(0), np.zeros(0), np.zeros((h, w, 0), bool), (h, w, 3), 0.5)
        print("RESULT " + json.dumps({
            "person_id": PERSON_CLASS_ID,
            "boxes": pm.boxes, "scores": pm.scores, "count": pm.count, "segmenter": pm.segmenter,
            "mask_ok": bool(np.array_equal(pm.mask, expected)), "dtype": str(pm.mask.dtype), "shape": list(pm.mask.shape),
            "empty": [empty.count, list(empty.mask.shape), str(empty.mask.dtype), bool(empty.mask.any())],
        }))
        """,
    )
    assert res["person_id"] == 1
    # (x0, y0, x1, y1); the second person's box is clipped to the 60 x 40 image; car and the 0.4 person dropped
    assert res["boxes"] == [[10, 5, 30, 20], [50, 30, 60, 40]]
    assert res["scores"] == pytest.approx([0.9, 0.6]) and res["count"] == 2 and res["segmenter"] == "seg"
    assert res["mask_ok"] is True and res["dtype"] == "bool" and res["shape"] == [40, 60]
    assert res["empty"] == [0, [40, 60], "bool", False]


def test_weights_really_load_and_people_leaves_the_frame_alone(tmp_path):
    """(a) seed-A weights give A's outputs again, seed B and an unloaded net do not; (d) people()."""
    res = run_script(
        tmp_path,
        "load",
        """
        import json, sys, time
        from pathlib import Path
        import h5py
        import numpy as np
        from skimage import data
        from forensic.features import pixellib_backend as pb
        tmp = Path(sys.argv[1])
        out = {"times": {}}
        def timed(key, fn, *a, **kw):
            t = time.monotonic(); r = fn(*a, **kw); out["times"][key] = round(time.monotonic() - t, 2); return r

        bgr = np.ascontiguousarray(data.astronaut()[:, :, ::-1])  # 512 x 512 x 3, fixed
        frozen = bgr.copy()
        A, B = str(tmp / "seed_a.h5"), str(tmp / "seed_b.h5")
        timed("save_a", pb.save_random_weights, A, image_max_dim=256, seed=11)
        timed("save_b", pb.save_random_weights, B, image_max_dim=256, seed=22)

        def fingerprint(o):
            f = lambda a: np.asarray(a, np.float64)
            return [f(o["detections"]).sum(), (f(o["mrcnn_class"]) ** 2).sum(), f(o["mrcnn_bbox"]).sum(),
                    f(o["mrcnn_mask"]).sum(), f(o["rpn_class"])[..., 1].sum(), f(o["rpn_bbox"]).sum()]

        seg_a = timed("build_load_a", pb.PixelLibSegmenter, A, min_score=0.5, image_max_dim=256)
        out["loaded"] = [seg_a.layers_loaded, seg_a.layers_total]
        out["fp_a"] = fingerprint(timed("first_run_a", seg_a.network_outputs, bgr))
        out["fp_a_same_segmenter"] = fingerprint(timed("second_run_a", seg_a.network_outputs, bgr))
        seg_b = timed("build_load_b", pb.PixelLibSegmenter, B, min_score=0.5, image_max_dim=256)
        out["fp_b"] = fingerprint(seg_b.network_outputs(bgr))
        seg_a2 = pb.PixelLibSegmenter(A, min_score=0.5, image_max_dim=256)
        out["fp_a_again"] = fingerprint(seg_a2.network_outputs(bgr))

        # A network built the same way but never loaded: Keras' own random initialisation.
        tf = pb._import_pixellib()["tf"]
        tf.keras.utils.set_random_seed(1234)
        fresh = pb.build_maskrcnn(256, 0.5)
        out["fp_unloaded"] = fingerprint(pb.network_outputs(fresh, bgr[:, :, ::-1].copy()))

        # The values inside the networks are the file's (one head layer, checked here directly).
        def head_kernel(seg):
            with pb.model_scope(seg.model):
                return seg.keras_model.get_layer("mrcnn_class_logits").get_weights()[0]
        with h5py.File(A, "r") as f:
            file_a = np.asarray(f["mrcnn_class_logits"][f["mrcnn_class_logits"].attrs["weight_names"][0]])
        out["head_a_is_file"] = bool(np.array_equal(head_kernel(seg_a), file_a))
        out["head_a2_is_file"] = bool(np.array_equal(head_kernel(seg_a2), file_a))
        out["head_b_is_file_a"] = bool(np.array_equal(head_kernel(seg_b), file_a))

        # (d) people(): random nets find no person, so make seg_a2's classifier say "person"
        # everywhere; then people() must agree with PixelLib's own detect() on the same pixels.
        with pb.model_scope(seg_a2.model):
            layer = seg_a2.keras_model.get_layer("mrcnn_class_logits")
            kernel, bias = layer.get_weights()
            bias[pb.PERSON_CLASS_ID] = 1e6
            layer.set_weights([kernel, bias])
        pm = timed("people", seg_a2.people, bgr)
        out["unchanged"] = bool(np.array_equal(bgr, frozen))
        with pb.model_scope(seg_a2.model):
            r = seg_a2.model.detect([frozen[:, :, ::-1].copy()])[0]
        keep = (r["class_ids"] == 1) & (r["scores"] >= 0.5)
        out["detect_count"] = int(keep.sum())
        out["mask_matches_detect"] = bool(np.array_equal(pm.mask, r["masks"][:, :, keep].any(axis=2)))
        out["boxes_match_detect"] = [list(map(int, (b[1], b[0], b[3], b[2]))) for b in r["rois"][keep]] == [list(b) for b in pm.boxes]
        out["people"] = {"count": pm.count, "shape": list(pm.mask.shape), "dtype": str(pm.mask.dtype),
                         "any": bool(pm.mask.any()), "min_score": min(pm.scores) if pm.scores else None,
                         "segmenter": pm.segmenter,
                         "in_image": all(0 <= x0 < x1 <= 512 and 0 <= y0 < y1 <= 512 for x0, y0, x1, y1 in pm.boxes)}

        # A non-square, read-only, non-contiguous frame: shape kept, nothing written.
        view = bgr[100:400, ::-1][:, :450]  # 300 x 450, negative stride
        view.flags.writeable = False
        before = view.copy()
        pm2 = seg_a2.people(view)
        out["view"] = {"shape": list(pm2.mask.shape), "dtype": str(pm2.mask.dtype), "count": pm2.count,
                       "unchanged": bool(np.array_equal(view, before)),
                       "in_image": all(0 <= x0 < x1 <= 450 and 0 <= y0 < y1 <= 300 for x0, y0, x1, y1 in pm2.boxes)}
        # The unmodified seed-A net finds nobody: an empty mask of the right shape.
        pm0 = seg_a.people(bgr)
        out["nobody"] = [pm0.count, list(pm0.mask.shape), str(pm0.mask.dtype), bool(pm0.mask.any())]
        out["sha_property"] = seg_a.weights_sha256 == pb.weights_fingerprint(A)
        print("RESULT " + json.dumps(out, default=float))
        """,
    )
    print("timings (s):", res["times"])
    loaded, total = res["loaded"]
    assert loaded == total and total > 200, res["loaded"]  # every weighted layer matched by name

    fp_a = res["fp_a"]
    assert all(abs(v) < float("inf") for v in fp_a)
    assert res["fp_a_same_segmenter"] == pytest.approx(fp_a, rel=1e-6)
    assert res["fp_a_again"] == pytest.approx(fp_a, rel=1e-5)  # same file, new network: same output
    assert res["fp_b"] != pytest.approx(fp_a, rel=1e-3)  # other weights: other output
    assert res["fp_unloaded"] != pytest.approx(fp_a, rel=1e-3)  # not loading is not the same as loading A
    assert res["head_a_is_file"] and res["head_a2_is_file"] and not res["head_b_is_file_a"]

    assert res["unchanged"] is True  # people() never draws on the frame
    p = res["people"]
    assert p["shape"] == [512, 512] and p["dtype"] == "bool" and p["segmenter"] == "pixellib-maskrcnn-coco"
    assert p["count"] == res["detect_count"] > 0 and p["any"] and p["min_score"] >= 0.5 and p["in_image"]
    assert res["mask_matches_detect"] is True and res["boxes_match_detect"] is True
    v = res["view"]
    assert v["shape"] == [300, 450] and v["dtype"] == "bool" and v["unchanged"] and v["in_image"] and v["count"] > 0
    assert res["nobody"] == [0, [512, 512], "bool", False]
    assert res["sha_property"] is True


def test_weight_files_that_do_not_fit_are_refused(tmp_path):
    """(c) no layer matches by name -> ValueError; so does a partial or mis-shaped file."""
    res = run_script(
        tmp_path,
        "nomatch",
        """
        import json, sys
        from pathlib import Path
        import h5py
        import numpy as np
        from forensic.features import pixellib_backend as pb
        tmp = Path(sys.argv[1])

        def keras_h5(path, layers):
            # Keras' HDF5 weights layout, as save_weights writes it
            with h5py.File(path, "w") as f:
                f.attrs["layer_names"] = np.array([n.encode() for n in layers])
                f.attrs["backend"] = b"tensorflow"
                for name, weights in layers.items():
                    g = f.create_group(name)
                    g.attrs["weight_names"] = np.array([f"{name}/{w}:0".encode() for w in weights])
                    for w, value in weights.items():
                        g.create_dataset(f"{name}/{w}:0", data=value)
            return str(path)

        rng = np.random.default_rng(5)
        unrelated = keras_h5(tmp / "unrelated.h5", {
            "dense": {"kernel": rng.normal(size=(4, 2)).astype(np.float32), "bias": np.zeros(2, np.float32)},
            "dense_1": {"kernel": rng.normal(size=(2, 1)).astype(np.float32), "bias": np.zeros(1, np.float32)}})
        conv1 = {"kernel": rng.normal(size=(7, 7, 3, 64)).astype(np.float32), "bias": rng.normal(size=64).astype(np.float32)}
        partial = keras_h5(tmp / "partial.h5", {"conv1": conv1})
        misfit = keras_h5(tmp / "misfit.h5", {"conv1": {"kernel": np.zeros((3, 3, 3, 8), np.float32), "bias": np.zeros(8, np.float32)}})
        empty = tmp / "empty.h5"
        with h5py.File(empty, "w") as f:
            f.create_dataset("x", data=np.arange(3))

        out = {}
        def attempt(key, *args, **kw):
            try:
                seg = pb.PixelLibSegmenter(*args, image_max_dim=128, **kw)
                out[key] = ["no error", [seg.layers_loaded, seg.layers_total]]
                return seg
            except Exception as exc:
                out[key] = [type(exc).__name__, str(exc)]
        attempt("unrelated", unrelated)
        attempt("not_keras", str(empty))
        attempt("partial", partial)
        attempt("misfit", misfit, allow_partial=True)
        seg = attempt("partial_allowed", partial, allow_partial=True)
        with pb.model_scope(seg.model):
            k, b = seg.keras_model.get_layer("conv1").get_weights()
        out["partial_values"] = bool(np.array_equal(k, conv1["kernel"]) and np.array_equal(b, conv1["bias"]))
        print("RESULT " + json.dumps(out))
        """,
    )
    kind, msg = res["unrelated"]
    assert kind == "ValueError", res["unrelated"]
    assert "no weights for any layer" in msg and "0 of" in msg and "nothing would be loaded" in msg
    assert res["not_keras"][0] == "ValueError" and "not Keras weights" in res["not_keras"][1]
    assert res["partial"][0] == "ValueError" and "only 1 of the" in res["partial"][1]
    assert res["misfit"][0] == "ValueError" and "does not fit" in res["misfit"][1]
    assert res["partial_allowed"][0] == "no error" and res["partial_allowed"][1][0] == 1
    assert res["partial_values"] is True
