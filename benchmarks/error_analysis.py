"""Where does a trained run lose PCK? Prints JSON (not a test).

Breaks the validation PCK@0.2 of ``RUN/model.keras`` down by keypoint, visibility flag, pose
category and camera yaw (facing / side / back), and measures left/right confusion three ways:

* ``pck_if_mirror_allowed``: each person's prediction may be mirrored as a whole;
* ``pck_side_agnostic``: each left/right pair of a person may swap its two predictions (the
  PCK if the model only mixed up labels; it cannot recover a pair whose two predictions sit on
  the same limb);
* ``collapsed_pairs``: left/right pairs whose truths are over half a torso apart but whose two
  predictions are within 0.2 torso of each other (both channels on one limb);
* ``pck_pair_decode``: PCK of :func:`pair_decode`, an experimental decoder that takes both peaks
  of each pair and assigns sides from which way the person faces: the truth's facing
  (``oracle_facing``) or the model's training-only ``facing`` output (``facing_head``).
Pose category and camera come from the synthetic generator's annotations; other datasets get the
keypoint and flag breakdown only.

Usage: .venv/bin/python benchmarks/error_analysis.py RUN [--split val|train] [--limit N]
"""

import argparse
import json

import numpy as np


def _two_peaks(s, frac=0.5):
    """The highest local maximum of map ``s`` and the next one at least 2 cells away holding
    ``frac`` of its height (or None), as (row, col)."""
    import scipy.ndimage as nd

    pk = np.argwhere(s == nd.maximum_filter(s, size=3))
    v = s[pk[:, 0], pk[:, 1]]
    order = np.argsort(-v)
    first = pk[order[0]]
    for j in order[1:]:
        if np.abs(pk[j] - first).max() >= 2 and v[j] >= frac * v[order[0]]:
            return first, pk[j]
    return first, None


def pair_decode(heatmaps, facing, flip, torso, stride):
    """Experimental decoder for left/right collapse: keypoints ``(N, K, 2)`` input pixels at cell
    centres (``(j + 0.5) * stride``, as the codec; no offsets).

    For each pair, the two strongest peaks of left + right are both limbs; the one further to the
    image's right of the torso axis (shoulder centre -> hip centre) is the person's left when
    ``facing > 0`` (they face the camera), else their right. Pairs with one peak keep the argmax.
    """
    n, h, w, k = heatmaps.shape
    ls, rs, lh, rh = torso
    pairs = [(i, int(j)) for i, j in enumerate(flip) if i < j]
    out = np.zeros((n, k, 2))
    for i in range(n):
        hm = heatmaps[i]
        for c in range(k):
            r, q = np.unravel_index(np.argmax(hm[..., c]), (h, w))
            out[i, c] = (q + 0.5) * stride, (r + 0.5) * stride
        centre = {}
        for a, b in ((ls, rs), (lh, rh)):
            p1, p2 = _two_peaks(hm[..., a] + hm[..., b])
            centre[a] = (p1 if p2 is None else 0.5 * (p1 + p2))[::-1].astype(float)
        down = centre[lh] - centre[ls]
        if np.linalg.norm(down) < 1e-6:
            continue
        down /= np.linalg.norm(down)
        right = np.array([down[1], -down[0]])  # image-right of the torso axis
        mid = 0.5 * (centre[ls] + centre[lh])
        for a, b in pairs:
            p1, p2 = _two_peaks(hm[..., a] + hm[..., b])
            if p2 is None:
                continue
            q1, q2 = p1[::-1].astype(float), p2[::-1].astype(float)
            if facing is None:  # sides from the maps themselves: the assignment they score higher
                keep = hm[p1[0], p1[1], a] + hm[p2[0], p2[1], b] >= hm[p2[0], p2[1], a] + hm[p1[0], p1[1], b]
                pl, pr = (q1, q2) if keep else (q2, q1)
                out[i, a], out[i, b] = (pl + 0.5) * stride, (pr + 0.5) * stride
                continue
            on_right, on_left = (q1, q2) if (q1 - mid) @ right > (q2 - mid) @ right else (q2, q1)
            pl, pr = (on_right, on_left) if facing[i] > 0 else (on_left, on_right)
            out[i, a], out[i, b] = (pl + 0.5) * stride, (pr + 0.5) * stride
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--split", default="val")
    ap.add_argument("--limit", type=int, default=0)
    a = ap.parse_args()

    from posenet_mobile import metrics
    from posenet_mobile.data.pipeline import KeypointPipeline
    from posenet_mobile.io import read_json
    from posenet_mobile.models.build import output_names
    from posenet_mobile.runs import load_run
    from posenet_mobile.codec import decode_outputs
    from posenet_mobile.losses import facing_target, torso_indices
    from posenet_mobile.train.evaluate import keypoints_to_image

    run = load_run(a.run)
    model = run.load_float()
    data = run.datasets(a.split)
    if a.limit:
        data.samples = data.samples[: a.limit]
    names = output_names(model)
    pipe = KeypointPipeline(data, run.codec, names, training=False, padding=run.cfg.data.padding)
    raw, crops = {n: [] for n in names}, []
    for x, _, meta in pipe.dataset(64, with_crops=True):
        for n, v in zip(names, model(x, training=False)):
            raw[n].append(np.asarray(v))
        crops.append(meta.numpy())
    raw, crops = {n: np.concatenate(v) for n, v in raw.items()}, np.concatenate(crops)
    idx = crops[:, 6].astype(int)
    to_image = lambda k: keypoints_to_image(k, crops, run.codec.input_size)  # noqa: E731
    kp_in, sc = decode_outputs(raw, run.codec)
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
        cross = ((np.linalg.norm(kp[:, a_] - gt[:, b_], axis=-1) <= tol[:, 0]) & lab[:, b_]).astype(int) + \
            ((np.linalg.norm(kp[:, b_] - gt[:, a_], axis=-1) <= tol[:, 0]) & lab[:, a_])  # fmt: skip
        better = cross > same
        either[better, a_] = (np.linalg.norm(kp[better, b_] - gt[better, a_], axis=-1) <= tol[better, 0]) & lab[better, a_]
        either[better, b_] = (np.linalg.norm(kp[better, a_] - gt[better, b_], axis=-1) <= tol[better, 0]) & lab[better, b_]
        m = lab[:, a_] & lab[:, b_] & (np.linalg.norm(gt[:, a_] - gt[:, b_], axis=-1) > 0.5 * size)
        apart += int(m.sum())
        collapsed += int((m & (np.linalg.norm(kp[:, a_] - kp[:, b_], axis=-1) < 0.2 * size)).sum())

    def frac(h, m):
        return round(float(h[m].sum() / max(m.sum(), 1)), 4)

    out = {"run": a.run, "split": a.split, "people": len(samples), "pck": frac(hit, lab),
           "pck_if_mirror_allowed": frac(best, lab),
           "people_better_mirrored": int((hit_sw.sum(1) > hit.sum(1)).sum()),
           "pck_side_agnostic": frac(either, lab),
           "collapsed_pairs": {"collapsed": collapsed, "apart": apart, "fraction": round(collapsed / max(apart, 1), 4)},
           "median_error_over_torso": round(float(np.nanmedian((err / size[:, None])[lab])), 4),
           "by_flag": {str(f): frac(hit, vis == f) for f in (1, 2)},
           "flag_share": {str(f): round(float((vis == f).sum() / lab.sum()), 3) for f in (1, 2)},
           "by_keypoint": {n: frac(hit[:, k], lab[:, k]) for k, n in enumerate(schema.names)}}  # fmt: skip
    if "heatmaps" in raw:  # experimental: decode each left/right pair as two limbs, sides by facing
        torso = torso_indices(schema.names)
        target, weight = facing_target(gt, vis, torso)
        pck_of = lambda k: frac((np.linalg.norm(to_image(k) - gt, axis=-1) <= tol) & lab, lab)  # noqa: E731
        res = {"oracle_facing": pck_of(pair_decode(raw["heatmaps"], np.where(target > 0.5, 1.0, -1.0), flip, torso,
                                                   run.codec.stride)),
               "heatmap_sides": pck_of(pair_decode(raw["heatmaps"], None, flip, torso, run.codec.stride))}  # fmt: skip
        if "facing" in raw:
            logit = raw["facing"][:, 0]
            res["facing_head"] = pck_of(pair_decode(raw["heatmaps"], logit, flip, torso, run.codec.stride))
            out["facing_accuracy"] = {"accuracy": round(float((((logit > 0) == (target > 0.5)) * weight).sum() / max(weight.sum(), 1)), 4),
                                      "people_with_target": int(weight.sum())}  # fmt: skip
        out["pck_pair_decode"] = res
    ann = read_json(data.annotation_file)
    by_id = {x["id"]: x for x in ann["annotations"]}
    extra = [by_id.get(s.ann_id, {}) for s in samples]
    if extra and "pose_category" in extra[0]:
        cats = np.array([e["pose_category"] for e in extra])
        out["by_category"] = {c: frac(hit, lab & (cats == c)[:, None]) for c in sorted(set(cats))}
        yaw = np.abs(np.array([e["camera"]["yaw"] for e in extra]))
        roll = np.abs(np.array([e["camera"]["roll"] for e in extra]))
        buckets = {"facing(<45deg)": yaw < np.pi / 4, "side": (yaw >= np.pi / 4) & (yaw < 3 * np.pi / 4),
                   "back(>135deg)": yaw >= 3 * np.pi / 4}  # fmt: skip
        out["by_yaw"] = {k: frac(hit, lab & m[:, None]) for k, m in buckets.items()}
        out["mirror_better_by_yaw"] = {k: int(((hit_sw.sum(1) > hit.sum(1)) & m).sum()) for k, m in buckets.items()}
        out["by_roll"] = {"upright(<0.3)": frac(hit, lab & (roll < 0.31)[:, None]),
                          "rolled": frac(hit, lab & (roll >= 0.31)[:, None])}  # fmt: skip
        small = size < np.nanpercentile(size, 25)
        out["by_torso_size"] = {"smallest_quarter": frac(hit, lab & small[:, None]),
                                "rest": frac(hit, lab & ~small[:, None])}  # fmt: skip
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
