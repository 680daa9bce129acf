"""What the report says about the method: the model card (its facts, test figures and limits), the
tools that ran (dependencies), the case folder's records and the configuration. Plain functions of
the manifest, or of the model card it records, for the report's "How sure", "Limits" and Appendix.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from forensic.records import Finding
from forensic.report.views import STALKING

# the packages worth naming in the method section (every one is in the appendix)
KEY_DEPENDENCIES = (
    "forensic",
    "numpy",
    "opencv-python",
    "opencv-contrib-python-headless",
    "dlib-bin",
    "face-recognition-models",
    "face_recognition_models",
    "scenedetect",
    "av",
    "tensorflow-cpu",
    "tensorflow_cpu",
    "keras",
    "tf_keras",
    "pixellib",
    "ray",
    "pandas",
    "pyarrow",
    "matplotlib",
    "jinja2",
    "weasyprint",
    "scikit-image",
)


# the model card's facts shown in the method section, (label, dotted path), when present
CARD_FACTS = (
    ("card format", "format"),
    ("created (UTC)", "created_utc"),
    ("paper", "paper.title"),
    ("architecture", "architecture.name"),
    ("architecture, in words", "architecture.description"),
    ("parameters", "architecture.parameters"),
    ("segmenter trained with", "segmenter.name"),
    ("training data: clips", "data.clips"),
    ("training data: SHA-256", "data.dataset_sha256"),
    ("training data", "training_data"),
    ("split", "split.rule"),
    ("epochs run", "training.epochs_run"),
    ("best epoch", "training.best_epoch"),
    ("seed", "training.seed"),
    ("card SHA-256", "card_sha256"),
)
CARD_SKIP = {"metrics", "limits", "choices", "name", "threshold"}


def dig(d: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            return None
        d = d[part]
    return d


CASE_RECORDS = (
    (
        "evidence.csv",
        "every input: path, SHA-256 before and after, size, container, codec, frame rates, clocks, status",
    ),
    ("segments.csv", "every segment: times in every clock, sample frames, flags"),
    ("findings.parquet", "every segment's result: status, score, label, people found, model and configuration hashes"),
    ("findings.csv", "the same, as text"),
    ("problems.jsonl", "every warning and error of the scan, as it happened"),
    ("features/", "per segment: features.csv (5 x 29 numbers), keyframes/ (annotated), stills/ (as decoded)"),
    ("timelines/", "per file: every decoded frame's index and timestamps"),
    ("segments/", "per file: scene cuts and segments (resume cache)"),
)

NO_LIMITS_WORDS = (
    "The model card does not state the model's limits in words. A model of this kind is only as good as "
    "the clips it was trained on; unless those clips are known to be real, labelled footage like the "
    "footage of this case, take it that the model has never been validated on real stalking: its "
    "scores on real footage may mean little."
)


def _words(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v.strip()] if v.strip() else []
    if isinstance(v, (list, tuple)):
        return [w for x in v for w in _words(x)]
    if isinstance(v, dict):
        return [
            f"{k}: {x}" if not isinstance(x, (dict, list)) else f"{k}: {json.dumps(x, ensure_ascii=False)}"
            for k, x in v.items()
        ]
    return [] if v is None else [str(v)]


def model_limits(card: dict[str, Any] | None) -> list[str]:
    if not card:
        return [
            "No model card is recorded: nothing is known here about what the model was trained on or how well "
            "it does; treat every score as unvalidated."
        ]
    stated = _words(card.get("limits")) + _words(card.get("training_data"))
    if stated:
        return stated
    data = card.get("data") if isinstance(card.get("data"), dict) else {}
    clips = data.get("clips") if isinstance(data.get("clips"), dict) else {}
    seg = dig(card, "segmenter.name")
    parts = []
    if clips:
        parts.append(
            f"The model was trained on {sum(int(n) for n in clips.values() if isinstance(n, int))} clips ("
            + ", ".join(f"{n} {k}" for k, n in clips.items())
            + ")"
            + (f", with the {seg} people segmenter" if seg else "")
            + "."
        )
    return parts + [NO_LIMITS_WORDS]


def test_metrics(card: dict[str, Any] | None) -> dict[str, Any] | None:
    """The model card's test-split figures, in a few numbers (None when the card has none)."""
    test = dig(card or {}, "metrics.test")
    if not isinstance(test, dict):
        return None
    per = test.get("per_class") if isinstance(test.get("per_class"), dict) else {}
    st = per.get(STALKING) if isinstance(per.get(STALKING), dict) else {}
    return {
        "n": test.get("n", test.get("clips")),
        "accuracy": test.get("accuracy"),
        "precision": st.get("precision"),
        "recall": st.get("recall"),
        "macro_f1": dig(test, "macro.f1") if dig(test, "macro.f1") is not None else test.get("f1"),
        "confusion": test.get("confusion"),
        "confusion_axes": test.get("confusion_axes"),
    }


def card_facts(card: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """The model card's main facts (those present), for the method section."""
    card = card or {}
    rows = []
    used = set()
    for label, path in CARD_FACTS:
        v = dig(card, path)
        if v is not None and v != {} and v != []:
            rows.append((label, v))
            used.add(path.split(".")[0])
    for k, v in card.items():  # any other plain value
        if k not in used and k not in CARD_SKIP and isinstance(v, (str, int, float, bool)):
            rows.append((str(k), v))
    return rows


def card_metrics(card: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """The model card's metrics as (dotted key, value) rows, the test split first."""
    metrics = (card or {}).get("metrics")
    if not isinstance(metrics, dict):
        return []
    rows: list[tuple[str, Any]] = []

    def walk(v: Any, key: str) -> None:
        if isinstance(v, dict) and v:
            for k, x in v.items():
                walk(x, f"{key}.{k}" if key else str(k))
        else:
            rows.append((key, v))

    walk(metrics, "")
    order = {"test": 0, "val": 1, "validation": 1, "train": 2}
    return sorted(rows, key=lambda r: order.get(r[0].split(".")[0], 3 if "." in r[0] else -1))


def card_choices(card: dict[str, Any] | None) -> list[dict[str, Any]]:
    ch = (card or {}).get("choices")
    return [c for c in ch if isinstance(c, dict)] if isinstance(ch, list) else []


def case_records(manifest: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    """(name, recorded SHA-256 or a count, what it holds) of the case folder's records."""
    rec = manifest.get("outputs_sha256")
    rec = rec if isinstance(rec, dict) else {}
    out = []
    for name, what in CASE_RECORDS:
        if name.endswith("/"):
            n = sum(1 for k in rec if k.startswith(name))
            if n:
                out.append((name, f"{n} files, each hashed in manifest.json", what))
        elif name in rec:
            out.append((name, rec[name], what))
    return out


def key_dependencies(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    deps = manifest.get("dependencies") or {}
    return [(k, deps[k]) for k in KEY_DEPENDENCIES if k in deps]


def all_dependencies(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    deps = manifest.get("dependencies") or {}
    return sorted((str(k), str(v)) for k, v in deps.items())


def config_hash(config: Any) -> str:
    """As forensic.config.ScanConfig.hash: SHA-256 of the canonical JSON."""
    blob = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def check_config(manifest: dict[str, Any], findings: list[Finding]) -> str:
    cfg, recorded = manifest.get("config"), manifest.get("config_sha256")
    if cfg is None or not recorded:
        return "the configuration or its hash is not recorded"
    text = (
        "matches the configuration shown"
        if config_hash(cfg) == recorded
        else f"DOES NOT MATCH the configuration shown (which hashes to {config_hash(cfg)})"
    )
    others = sorted({f.config_sha256 for f in findings if f.config_sha256 and f.config_sha256 != recorded})
    if others:
        text += f"; {len(others)} other configuration hash(es) appear in the findings: " + ", ".join(others)
    return text
