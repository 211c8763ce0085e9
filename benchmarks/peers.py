"""Our exported models' latency beside MediaPipe's BlazePose landmark model (not a test).

The peer model ships inside the ``mediapipe==0.10.14`` wheel on PyPI
(``mediapipe/modules/pose_landmark/pose_landmark_full.tflite``; later 0.10.x wheels no longer
carry it). The wheel is fetched with ``pip download --no-deps`` (a registry package, never
installed: mediapipe conflicts with tfmot) into ``--cache`` and the .tflite is extracted.
Everything runs in one interleaved :func:`posenet_mobile.harness.bench.bench` call.

Writes the JSON it prints to ``--results`` (default ``benchmarks/results/peers.json``) with
the commit and the machine; ``docs/measured.md`` is generated from it.

Usage: .venv/bin/python benchmarks/peers.py --model A.tflite [--model B.tflite] [--threads 1 2]
"""

import argparse
import glob
import json
import subprocess
import sys
import zipfile
from pathlib import Path

PEER = "mediapipe/modules/pose_landmark/pose_landmark_full.tflite"
WHEEL = "mediapipe==0.10.14"


def peer_model(cache: Path):
    out = cache / "pose_landmark_full.tflite"
    if out.exists():
        return out, None
    cache.mkdir(parents=True, exist_ok=True)
    if not glob.glob(str(cache / "mediapipe-*.whl")):
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "-d",
            str(cache),
            WHEEL,
        ]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            return None, f"pip download {WHEEL} failed: {res.stderr.strip().splitlines()[-1:]}"
    with zipfile.ZipFile(glob.glob(str(cache / "mediapipe-*.whl"))[0]) as z:
        if PEER not in z.namelist():
            return None, f"{PEER} not in the wheel"
        out.write_bytes(z.read(PEER))
    return out, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", action="append", required=True)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--cache", default="benchmarks/.cache")
    ap.add_argument(
        "--results",
        default=str(Path(__file__).resolve().parent / "results" / "peers.json"),
        help="also write the JSON here",
    )
    a = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from posenet_mobile.harness.bench import bench
    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_json_atomic

    peer, why = peer_model(Path(a.cache))
    models = list(a.model) + ([str(peer)] if peer else [])
    res = bench(models, a.threads, runs=a.runs, warmup=10)
    rows = res["results"]
    if peer:
        for r in rows:
            p = next(x for x in rows if x["model"] == str(peer) and x["threads"] == r["threads"])
            r["latency_vs_blazepose_full"] = round(r["median_ms"] / p["median_ms"], 3)
    doc = {
        "benchmark": "peers",
        "peer": Path(peer).name if peer else None,
        "peer_unavailable": why,
        "runs": a.runs,
        "results": [{**r, "file": Path(r["model"]).name} for r in rows],
        "provenance": provenance(),
    }
    write_json_atomic(Path(a.results), doc, indent=1)
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
