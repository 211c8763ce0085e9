"""Where does a trained run lose PCK? Prints JSON (not a test).

Breaks the validation PCK@0.2 of ``RUN/model.keras`` down by keypoint, visibility flag, pose
category and camera yaw (facing / side / back), and measures left/right confusion three ways:

* ``pck_if_mirror_allowed``: each person's prediction may be mirrored as a whole;
* ``pck_side_agnostic``: each left/right pair of a person may swap its two predictions (the
  PCK if the model only mixed up labels; it cannot recover a pair whose two predictions sit on
  the same limb);
* ``collapsed_pairs``: left/right pairs whose truths are over half a torso apart but whose two
  predictions are within 0.2 torso of each other (both channels on one limb);
* ``pck_side_decode``: PCK of :func:`posenet_mobile.codec.decode_sides` (heatmap heads: each
  left/right pair decoded as two limbs, sides from which way the person faces) or of
  :func:`posenet_mobile.codec.order_sides` (simcc: each pair's two points take their sides from
  the facing) with the truth's facing (``oracle_facing``); for models with a ``facing`` output,
  their own decode (``facing_head``, the same as ``pck`` where the exported decoder reads it) and
  the per-keypoint decode they would get without it (``per_channel_argmax``).
Pose category and camera come from the synthetic generator's annotations; other datasets get the
keypoint and flag breakdown only.

``--data FOLDER`` scores another COCO folder instead of the run's split, for example hard poses
at any roll (``posenet-mobile synth --out F --pose-mix uniform --roll-prob 0.5``); synthetic data
is then also broken down by camera roll (upright, tilted, inverted).

Usage: .venv/bin/python benchmarks/error_analysis.py RUN [--split val|train] [--data FOLDER] [--limit N] [--results FILE.json]
"""

import argparse
import json

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--split", default="val")
    ap.add_argument("--data", default=None, help="a COCO folder to score instead of the split")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument(
        "--results",
        default=None,
        help="also write the JSON here, with the commit, machine and command",
    )
    a = ap.parse_args()

    from posenet_mobile import metrics
    from posenet_mobile.data.pipeline import KeypointPipeline
    from posenet_mobile.io import read_json
    from posenet_mobile.models.build import output_names
    from posenet_mobile.runs import load_run
    from posenet_mobile.codec import SideRule, decode_outputs, decode_sides, order_sides
    from posenet_mobile.targets import facing_target
    from posenet_mobile.geometry import keypoints_to_image

    run = load_run(a.run)
    model = run.load_float()
    if a.data:
        from posenet_mobile.data.coco import load_coco

        data = load_coco(a.data, min_box_area=run.cfg.data.min_box_area)
    else:
        data = run.datasets(a.split)
    if a.limit:
        data.samples = data.samples[: a.limit]
    names = output_names(model)
    pipe = KeypointPipeline(
        data,
        run.codec,
        names,
        training=False,
        padding=run.cfg.data.padding,
        crop_rule=run.cfg.data.crop_rule,
        simcc=run.simcc,
    )
    raw, crops = {n: [] for n in names}, []
    for x, _, meta in pipe.dataset(64, with_crops=True):
        for n, v in zip(names, model(x, training=False)):
            raw[n].append(np.asarray(v))
        crops.append(meta.numpy())
    raw, crops = {n: np.concatenate(v) for n, v in raw.items()}, np.concatenate(crops)
    idx = crops[:, 6].astype(int)
    to_image = lambda k: keypoints_to_image(k, crops, run.codec.input_size)  # noqa: E731
    kp_in, sc = decode_outputs(
        raw,
        run.codec,
        sides=SideRule.from_names(data.schema.names, data.schema.flip_index),
        simcc=run.simcc,
    )
    kp = to_image(kp_in)
    samples = [data.samples[i] for i in idx]
    gt = np.stack([s.keypoints for s in samples])
    vis = np.stack([s.visibility for s in samples])
    boxes = np.array([s.bbox for s in samples], np.float64)
    schema = data.schema
    size = metrics.torso_size(gt, vis, schema, boxes)
    lab = vis > 0
    err = np.linalg.norm(kp - gt, axis=-1)
    hit = (err <= 0.2 * size[:, None]) & lab
    flip = schema.flip_index
    err_sw = np.linalg.norm(kp[:, flip] - gt, axis=-1)
    hit_sw = (err_sw <= 0.2 * size[:, None]) & lab
    best = np.where((hit_sw.sum(1) > hit.sum(1))[:, None], hit_sw, hit)

    tol = 0.2 * size[:, None]
    either = hit.copy()  # per left/right pair, the better of the two assignments
    apart = collapsed = 0
    for a_, b_ in [(i, int(j)) for i, j in enumerate(flip) if i < j]:
        same = hit[:, a_].astype(int) + hit[:, b_]
        cross = ((np.linalg.norm(kp[:, a_] - gt[:, b_], axis=-1) <= tol[:, 0]) & lab[:, b_]).astype(
            int
        ) + ((np.linalg.norm(kp[:, b_] - gt[:, a_], axis=-1) <= tol[:, 0]) & lab[:, a_])
        better = cross > same
        either[better, a_] = (
            np.linalg.norm(kp[better, b_] - gt[better, a_], axis=-1) <= tol[better, 0]
        ) & lab[better, a_]
        either[better, b_] = (
            np.linalg.norm(kp[better, a_] - gt[better, b_], axis=-1) <= tol[better, 0]
        ) & lab[better, b_]
        m = lab[:, a_] & lab[:, b_] & (np.linalg.norm(gt[:, a_] - gt[:, b_], axis=-1) > 0.5 * size)
        apart += int(m.sum())
        collapsed += int((m & (np.linalg.norm(kp[:, a_] - kp[:, b_], axis=-1) < 0.2 * size)).sum())

    def frac(h, m):
        return round(float(h[m].sum() / max(m.sum(), 1)), 4)

    out = {
        "run": a.run,
        "split": a.split,
        "people": len(samples),
        "pck": frac(hit, lab),
        "pck_if_mirror_allowed": frac(best, lab),
        "people_better_mirrored": int((hit_sw.sum(1) > hit.sum(1)).sum()),
        "pck_side_agnostic": frac(either, lab),
        "collapsed_pairs": {
            "collapsed": collapsed,
            "apart": apart,
            "fraction": round(collapsed / max(apart, 1), 4),
        },
        "median_error_over_torso": round(float(np.nanmedian((err / size[:, None])[lab])), 4),
        "by_flag": {str(f): frac(hit, vis == f) for f in (1, 2)},
        "flag_share": {str(f): round(float((vis == f).sum() / lab.sum()), 3) for f in (1, 2)},
        "by_keypoint": {n: frac(hit[:, k], lab[:, k]) for k, n in enumerate(schema.names)},
    }
    if (
        "heatmaps" in raw or "simcc_x" in raw
    ):  # sides by facing (codec.decode_sides / codec.order_sides)
        rule = SideRule.from_names(schema.names, flip)
        target, weight = facing_target(gt, vis, rule.torso)
        pck_of = lambda k: frac((np.linalg.norm(to_image(k) - gt, axis=-1) <= tol) & lab, lab)  # noqa: E731
        if (
            "heatmaps" in raw and "simcc_x" not in raw
        ):  # a simcc_hm run's heatmaps are training-only
            side = lambda f: decode_sides(
                raw["heatmaps"], raw.get("offsets"), f, rule, run.codec.stride
            )[0]  # noqa: E731
            plain = lambda: run.codec.decode(raw["heatmaps"], raw.get("offsets"))  # noqa: E731
        else:
            plain = lambda: run.simcc.decode(raw["simcc_x"], raw["simcc_y"])  # noqa: E731
            side = lambda f: order_sides(*plain(), f, rule)[0]  # noqa: E731
        res = {"oracle_facing": pck_of(side(np.where(target > 0.5, 1.0, -1.0)))}
        if "facing" in raw:
            logit = raw["facing"][:, 0]
            res["facing_head"] = pck_of(side(logit))
            out["facing_accuracy"] = {
                "accuracy": round(
                    float((((logit > 0) == (target > 0.5)) * weight).sum() / max(weight.sum(), 1)),
                    4,
                ),
                "people_with_target": int(weight.sum()),
            }
            res["per_channel_argmax"] = pck_of(plain()[0])
        out["pck_side_decode"] = res
    ann = read_json(data.annotation_file)
    by_id = {x["id"]: x for x in ann["annotations"]}
    extra = [by_id.get(s.ann_id, {}) for s in samples]
    if extra and "pose_category" in extra[0]:
        cats = np.array([e["pose_category"] for e in extra])
        out["by_category"] = {c: frac(hit, lab & (cats == c)[:, None]) for c in sorted(set(cats))}
        yaw = np.abs(np.array([e["camera"]["yaw"] for e in extra]))
        roll = np.abs(np.array([e["camera"]["roll"] for e in extra]))
        buckets = {
            "facing(<45deg)": yaw < np.pi / 4,
            "side": (yaw >= np.pi / 4) & (yaw < 3 * np.pi / 4),
            "back(>135deg)": yaw >= 3 * np.pi / 4,
        }
        out["by_yaw"] = {k: frac(hit, lab & m[:, None]) for k, m in buckets.items()}
        rolls = {
            "upright(<30deg)": roll < np.pi / 6,
            "tilted(30-90deg)": (roll >= np.pi / 6) & (roll < np.pi / 2),
            "inverted(>90deg)": roll >= np.pi / 2,
        }
        out["by_roll"] = {k: frac(hit, lab & m[:, None]) for k, m in rolls.items()}
        out["people_by_roll"] = {k: int(m.sum()) for k, m in rolls.items()}
        out["people_by_category"] = {c: int((cats == c).sum()) for c in sorted(set(cats))}
        if "facing" in raw and "facing_accuracy" in out:  # which views the facing output misreads
            said, truly = raw["facing"][:, 0] > 0, target > 0.5
            share = lambda x, m: frac(x[:, None], ((weight > 0) & m)[:, None])  # noqa: E731
            out["facing_by_yaw"] = {
                k: {
                    "people_with_target": int((weight * m).sum()),
                    "accuracy": share(said == truly, m),
                    "target_facing_share": share(truly, m),
                    "said_facing_share": share(said, m),
                }
                for k, m in buckets.items()
            }
        out["mirror_better_by_yaw"] = {
            k: int(((hit_sw.sum(1) > hit.sum(1)) & m).sum()) for k, m in buckets.items()
        }
        small = size < np.nanpercentile(size, 25)
        out["by_torso_size"] = {
            "smallest_quarter": frac(hit, lab & small[:, None]),
            "rest": frac(hit, lab & ~small[:, None]),
        }
    if a.results:
        import sys

        from posenet_mobile.harness.provenance import provenance
        from posenet_mobile.io import write_json_atomic

        cfg = read_json(f"{a.run}/config.json")
        out.update(
            benchmark="error_analysis",
            command="python benchmarks/error_analysis.py " + " ".join(sys.argv[1:]),
            run_model=cfg["config"]["model"],
            provenance=provenance(),
        )
        write_json_atomic(a.results, out, indent=1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
