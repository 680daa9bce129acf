"""The Ray engine: a two-node cluster on this machine (two `ray start`), a worker killed mid-scan,
and the same findings as the in-process engine."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from forensic.synth.lavfi import Shot, make_clip, two_people_image
from tests.model.conftest import env as base_env

pytestmark = pytest.mark.skipif(
    shutil.which("ray", path=os.path.dirname(sys.executable)) is None, reason="ray is not installed"
)
SAME = [
    "key",
    "status",
    "score",
    "label",
    "people",
    "pair_frames",
    "features_dir",
    "keyframes",
    "flags",
    "start_s",
    "end_s",
    "start_pts",
    "end_pts",
    "model_sha256",
    "segmenter",
    "config_sha256",
]


_CLUSTER: dict[str, str] = {}  # the test cluster's own temp folder, token file and HOME


def env() -> dict[str, str]:
    """The environment of every Ray command and scan of this test: token auth with the test
    cluster's own token file (never ~/.ray/auth_token: HOME is a folder of the test's own)."""
    e = base_env()
    e["RAY_AUTH_MODE"] = "token"  # Ray 2.60: the head and every client agree on token auth
    e["RAY_USAGE_STATS_ENABLED"] = "0"
    e.pop("RAY_ADDRESS", None)
    e.pop("RAY_AUTH_TOKEN", None)
    if _CLUSTER:
        e["RAY_AUTH_TOKEN_PATH"] = _CLUSTER["token_path"]
        e["HOME"] = _CLUSTER["home"]
    return e


def ray_cli(*args: str) -> subprocess.CompletedProcess:
    ray = os.path.join(os.path.dirname(sys.executable), "ray")
    return subprocess.run([ray, *args], env=env(), capture_output=True, text=True, timeout=180)


def free_ports(n: int) -> list[int]:
    """``n`` distinct TCP ports free on this machine right now."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _ours(pid: str, marker: bytes) -> bool:
    """A process of this test's cluster: its command line or environment names our temp folder
    (Ray renames its workers' command lines, so the environment is what tells them apart)."""
    for name in ("cmdline", "environ"):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as f:
                if marker in f.read():
                    return True
        except OSError:
            pass
    return False


def cluster_pids(temp_dir: str, name: str = "") -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != os.getpid() and _ours(d, temp_dir.encode()):
            if name:
                try:
                    with open(f"/proc/{d}/cmdline", "rb") as f:
                        if name.encode() not in f.read():
                            continue
                except OSError:
                    continue
            out.append(int(d))
    return out


def _stop(temp_dir: str) -> None:
    """Stop only the Ray processes of this test's cluster (never `ray stop`, which stops every Ray
    on the machine, a user's included)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = cluster_pids(temp_dir)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        if not pids:
            return
        time.sleep(2)


@pytest.fixture(scope="module")
def cluster():
    """A head node and a second node, each with one CPU, on this machine, in a Ray temp folder of
    their own (short: Ray's socket paths must stay under the Unix limit), with a token of their
    own and free ports."""
    import secrets
    import tempfile

    temp_dir = tempfile.mkdtemp(prefix="frt-", dir="/tmp")
    token_path = os.path.join(temp_dir, "auth_token")
    with open(os.open(token_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
        f.write(secrets.token_hex(32))
    home = os.path.join(temp_dir, "home")
    os.mkdir(home)
    _CLUSTER.update(temp_dir=temp_dir, token_path=token_path, home=home)
    port, client, agent1, agent2, agent_grpc1, agent_grpc2, metrics1, metrics2, rt1, rt2 = free_ports(10)
    common = ["--num-cpus=1", "--disable-usage-stats", f"--temp-dir={temp_dir}"]
    head = ray_cli(
        "start",
        "--head",
        f"--port={port}",
        "--include-dashboard=false",
        f"--ray-client-server-port={client}",
        f"--dashboard-agent-listen-port={agent1}",
        f"--dashboard-agent-grpc-port={agent_grpc1}",
        f"--metrics-export-port={metrics1}",
        f"--runtime-env-agent-port={rt1}",
        *common,
    )
    try:
        assert head.returncode == 0, head.stdout + head.stderr
        node = ray_cli(
            "start",
            f"--address=127.0.0.1:{port}",
            f"--dashboard-agent-listen-port={agent2}",
            f"--dashboard-agent-grpc-port={agent_grpc2}",
            f"--metrics-export-port={metrics2}",
            f"--runtime-env-agent-port={rt2}",
            *common,
        )
        assert node.returncode == 0, node.stdout + node.stderr
        yield f"127.0.0.1:{port}"
    finally:
        _stop(temp_dir)
        _CLUSTER.clear()
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def evidence(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ray")
    ev = root / "evidence"
    ev.mkdir()
    png = two_people_image(str(root))
    # one person approaching the other, not still: still pictures and pans over them are not classified
    # (forensic.features.motion)
    make_clip(str(ev / "a.mp4"), [Shot("approach:" + png, 250), Shot("testsrc2", 60)], fps=25, size=(480, 270))
    make_clip(str(ev / "b.mkv"), [Shot("smptebars", 100), Shot("approach:" + png, 260)], fps=25, size=(480, 270))
    return ev


def scan(evidence: Path, case: Path, model: Path, *extra: str, **popen) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "forensic",
        "scan",
        str(evidence),
        "--out",
        str(case),
        "--model",
        str(model),
        "--no-report",
        *extra,
    ]
    return subprocess.Popen(cmd, env=env(), text=True, **popen)


def test_two_node_cluster_survives_a_killed_worker_and_matches_local(cluster, evidence, tmp_path, tiny_model_dir):
    local_case = tmp_path / "local"
    p = scan(evidence, local_case, tiny_model_dir, "--engine", "local", "-q", stderr=subprocess.PIPE)
    _, err = p.communicate(timeout=900)
    assert p.returncode == 0, err[-3000:]

    ray_case = tmp_path / "ray"
    p = scan(
        evidence,
        ray_case,
        tiny_model_dir,
        "--engine",
        "ray",
        "--address",
        cluster,
        "--log-json",
        stderr=subprocess.PIPE,
    )
    killed = None
    lines = []
    for line in p.stderr:  # JSON progress lines; kill a segment worker once work is under way
        lines.append(line)
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if killed is None and event.get("event") == "segments_start":
            # as soon as a segment worker exists (loading its models or working), kill it
            deadline = time.monotonic() + 60
            while killed is None and time.monotonic() < deadline and p.poll() is None:
                pids = cluster_pids(_CLUSTER["temp_dir"], "_SegmentActor")
                if pids:
                    time.sleep(1.0)
                    killed = int(pids[0])
                    try:
                        os.kill(killed, signal.SIGKILL)
                    except ProcessLookupError:
                        killed = None
                else:
                    time.sleep(0.1)
    p.wait(timeout=900)
    log = "".join(lines)
    assert p.returncode == 0, log[-3000:]
    assert killed is not None, "no segment worker process was found to kill"

    m = json.loads((ray_case / "manifest.json").read_text())
    assert m["cluster"]["engine"] == "ray" and m["cluster"]["nodes"] == 2 and m["cluster"]["cpus"] == 2.0
    ray_f = pd.read_parquet(ray_case / "findings.parquet")
    local_f = pd.read_parquet(local_case / "findings.parquet")
    assert ray_f["key"].is_unique and len(ray_f) == len(local_f)
    assert set(ray_f["status"]) <= {"analysed", "insufficient_subjects", "short_shot"}  # none lost to the kill
    pd.testing.assert_frame_equal(ray_f[SAME].reset_index(drop=True), local_f[SAME].reset_index(drop=True))
    done = [json.loads(x) for x in lines if x.startswith("{")]
    assert any(e["event"] == "progress" and e["done"] == e["total"] for e in done)


def test_address_with_a_wrong_token_is_a_usage_error(cluster, evidence, tmp_path, tiny_model_dir):
    """Joining a token-authenticated cluster with another token: exit 2, a message that says how
    to supply the token, and nothing written."""
    e = env()
    e.pop("RAY_AUTH_TOKEN_PATH", None)
    e["RAY_AUTH_TOKEN"] = "0" * 64
    case = tmp_path / "case"
    cmd = [
        sys.executable,
        "-m",
        "forensic",
        "scan",
        str(evidence),
        "--out",
        str(case),
        "--model",
        str(tiny_model_dir),
        "--no-report",
        "-q",
        "--engine",
        "ray",
        "--address",
        cluster,
    ]
    p = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=600)
    assert p.returncode == 2, p.stderr[-3000:]
    assert "authentication failed" in p.stderr and "RAY_AUTH_TOKEN" in p.stderr, p.stderr[-3000:]
    assert "Traceback" not in p.stderr
    assert not case.exists()
