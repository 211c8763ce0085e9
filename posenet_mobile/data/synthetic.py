"""The embedded default dataset: synthetic people written as a COCO person-keypoints dataset.

``synthesize(out_dir, num_images, seed)`` writes ``out_dir/images/*.jpg`` and
``out_dir/annotations.json``. Each image is a pure function of ``(seed, index)``, so the same
seed gives the same bytes whatever the number of worker processes. Keypoints are in image pixels
with pixel ``i`` centred on ``i + 0.5``; visibility follows COCO (2 visible, 1 labelled but
occluded, 0 outside the image, written as ``[0, 0, 0]``).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass

import cv2
import numpy as np

from ..io import check_output_dir, sweep_temps, temp_path, write_bytes_atomic, write_json_atomic
from .. import geometry as G
from ..schema import COCO17, torso_indices
from . import appearance as A
from . import body as B
from . import figure as F
from . import backgrounds as BG
from . import camera as C
from . import capsules as CAP
from . import effects as E
from . import scene as S

PERSON_ID_BASE = 1
TORSO = torso_indices(COCO17.names)


STYLES = ("human", "capsule")
PURPOSES = ("pose", "detection")
#: The least chance of background clutter in detection frames: limb-like shapes that are not
#: people are what a detector must learn to ignore.
DETECTION_CLUTTER = 0.5
#: With ``scene_exposure``: the range of a person's mean shade, around the level 1 at which the
#: scene is drawn (a person a little darker or brighter than the scene, as lit from behind or
#: from the front).
SCENE_EXPOSURE = (0.8, 1.2)


@dataclass(frozen=True)
class SynthConfig:
    """Synthetic dataset settings. image_size: square side, pixels.

    style: ``human`` (the default: shaped bodies, clothing, hands, faces, scenes;
    :mod:`posenet_mobile.data.figure`, :mod:`posenet_mobile.data.scene`) or ``capsule`` (the
    first generator: shaded capsules over noise or photographs, kept to compare against; it
    ignores the switches below and draws its poses uniformly, see :meth:`capsule`).
    pose_mix: ``coco`` (mostly upright people, the hard poses still present;
    :data:`posenet_mobile.data.body.COCO_POSE_MIX`) or ``uniform`` (every category alike).
    distractor_prob: chance of one or two more people beside the main one, partly inside its
    crop (all people are labelled, as in COCO). The switches ``textures``, ``faces`` (real faces
    from the bundled LFW sample; off: drawn eyes and mouth), ``hands`` (palm, fingers and thumb;
    off: a plain tube), ``hair``, ``scenes`` (indoor and outdoor scenes with furniture; off: the
    capsule generator's backgrounds), ``shadows`` and ``camera_effects`` (defocus, motion blur,
    noise, white balance, vignetting; off: the capsule generator's lighting change) exist to
    measure what each contributes (docs/data.md). ``smooth_joints`` shades each limb and the
    torso as one surface instead of one per part (no crease at elbows, knees and waist).
    ``scene_exposure``: people exposed like the scene they stand in. A scene is drawn at its own
    colours, as if lit at exposure 1, while a person's shade (ambient plus diffuse light, each
    below 1, and a dark rim) averages well below 1, so without it every person is darker and
    flatter than its own clothes' colours and than everything around it. With it, each person's
    shading is scaled so that its mean over the person is a level drawn around 1
    (:data:`SCENE_EXPOSURE`), as a camera that meters the scene would show them.
    ``camera_tone``: the processing a camera applies after the sensor: levels stretched towards
    the full range, an S-shaped tone curve and sharpening
    (:func:`posenet_mobile.data.scene.camera_tone`).
    ``clutter``: the chance that dead-leaves shapes (some limb-shaped) cover the background
    (:func:`posenet_mobile.data.scene.clutter`).
    ``person_scale``: ``[low, high]``, the main person's extent as a fraction of the image side,
    drawn uniformly (people cut by the image edge, ``truncation_prob``, are drawn larger). A
    person who fills the image leaves a padded crop with black margins framing them, a cue that
    photographs, with scene around the person, do not give.
    ``purpose``: ``pose`` (one main person to crop, the default) or ``detection``: frames for a
    person detector, with 0 to ``max_people`` people anywhere (cut by the edges too), each
    ``detection_scale`` (``[low, high]``, fraction of the image side) tall, and background clutter
    with probability ``clutter`` (at least :data:`DETECTION_CLUTTER`). Every annotation carries
    the person's ``alignment`` (:func:`posenet_mobile.geometry.alignment_from_keypoints` of all
    17 projected keypoints, inside the image or not): ``[hip x, hip y, radius, angle]``.
    """

    image_size: int = 256
    max_people: int = 1
    style: str = "human"
    occluder_prob: float = 0.3
    truncation_prob: float = 0.15
    full_roll_prob: float = 0.03
    pose_mix: str = "coco"
    distractor_prob: float = 0.3
    textures: bool = True
    faces: bool = True
    hands: bool = True
    hair: bool = True
    scenes: bool = True
    shadows: bool = True
    camera_effects: bool = True
    smooth_joints: bool = True
    scene_exposure: bool = False
    camera_tone: bool = False
    clutter: float = 0.0
    person_scale: tuple = (0.55, 0.95)
    purpose: str = "pose"
    detection_scale: tuple = (0.1, 0.9)

    def __post_init__(self):
        from ..config import COUNT, PROBABILITY, between, check_bools, check_fields, low_high
        from ..errors import ConfigError

        object.__setattr__(
            self, "person_scale", low_high(self.person_scale, "synth.person_scale", 0.05, 2.0)
        )
        object.__setattr__(
            self,
            "detection_scale",
            low_high(self.detection_scale, "synth.detection_scale", 0.02, 2.0),
        )
        if self.purpose not in PURPOSES:
            raise ConfigError(f"synth.purpose: expected one of {PURPOSES}, got {self.purpose!r}")

        check_fields(
            self,
            "synth",
            {
                "image_size": between(64, 4096, integer=True),
                "max_people": COUNT,
                "occluder_prob": PROBABILITY,
                "truncation_prob": PROBABILITY,
                "full_roll_prob": PROBABILITY,
                "distractor_prob": PROBABILITY,
                "clutter": PROBABILITY,
            },
        )
        check_bools(
            self,
            "synth",
            (
                "textures",
                "faces",
                "hands",
                "hair",
                "scenes",
                "shadows",
                "camera_effects",
                "smooth_joints",
                "scene_exposure",
                "camera_tone",
            ),
        )
        if self.style not in STYLES:
            raise ConfigError(f"synth.style: expected one of {STYLES}, got {self.style!r}")
        if self.pose_mix not in ("coco", "uniform"):
            raise ConfigError(
                f"synth.pose_mix: expected 'coco' or 'uniform', got {self.pose_mix!r}"
            )

    @classmethod
    def capsule(cls, **kw) -> "SynthConfig":
        """The first generator with its own settings (to reproduce datasets made with it)."""
        base = {
            "style": "capsule",
            "occluder_prob": 0.35,
            "truncation_prob": 0.15,
            "full_roll_prob": 0.08,
            "pose_mix": "uniform",
            "distractor_prob": 0.0,
        }
        return cls(**{**base, **kw})


def render_sample(seed: int, index: int, cfg: SynthConfig = SynthConfig()):
    """Render image ``index`` of dataset ``seed``.

    Returns ``(image (S, S, 3) uint8 RGB, people)`` where each person is a dict with
    ``keypoints (17, 3)`` [x, y, v] image pixels, ``bbox`` [x, y, w, h], ``area`` (visible
    silhouette pixels), ``category`` (the pose prior's category) and ``camera`` (yaw, pitch, roll
    in radians, distance in metres); the human style adds ``face_drawn`` and ``scene``.
    """
    if cfg.style == "capsule":
        return _render_capsules(np.random.default_rng([int(seed), int(index)]), cfg)
    # one stream per concern, so a renderer switch changes its own pixels and nothing else
    # (a fifth stream leaves the first four unchanged: a SeedSequence child depends on its index)
    streams = np.random.SeedSequence([int(seed), int(index), 2]).spawn(5)
    return _render_humans(*[np.random.default_rng(s) for s in streams], cfg)


def _render_capsules(rng, cfg):
    s = int(cfg.image_size)
    img = BG.make_background(rng, s, s)
    n_people = 1 if cfg.max_people <= 1 else int(rng.integers(1, cfg.max_people + 1))
    people = []
    for i in range(n_people):
        prop = B.sample_proportions(rng)
        pose = B.sample_pose(rng)
        fk = B.forward_kinematics(prop, pose)
        if i == 0:
            scale = rng.uniform(0.55, 0.95)
            spread = 0.45 if rng.random() < cfg.truncation_prob else 0.12
            if spread > 0.2:
                scale = rng.uniform(0.8, 1.3)
            centre = s * (0.5 + rng.uniform(-spread, spread, 2))
        else:
            scale = rng.uniform(0.3, 0.7)
            centre = rng.uniform(0.1, 0.9, 2) * s
        cam = C.camera_for(fk, rng, (s, s), scale, centre, rng.random() < cfg.full_roll_prob)
        people.append(
            {
                "id": PERSON_ID_BASE + i,
                "proportions": prop,
                "pose": pose,
                "fk": fk,
                "look": CAP.sample_appearance(rng),
                "cam": cam,
            }
        )
    people.sort(key=lambda p: -p["cam"]["distance"])  # far to near
    ang = rng.uniform(0, 2 * np.pi)
    light = (np.cos(ang), np.sin(ang))
    mask = np.zeros((s, s), np.uint8)
    for p in people:
        p["xy"], _, p["surface"] = CAP.render_person(img, mask, rng, p["cam"], p, light)
    occ = np.zeros((s, s), bool)
    if rng.random() < cfg.occluder_prob:
        occ = E.add_occluders(img, rng, int(rng.integers(1, 4)))
        mask[occ] = 0
    img = E.photometric(img, rng)
    return img, _annotate(people, mask, occ, s)


def _annotate(people, mask, occ, s, extra=()):
    """COCO keypoints, boxes and areas of the rendered ``people`` (in id order)."""
    out = []
    for p in sorted(people, key=lambda p: p["id"]):
        xy = p["xy"]
        inside = (
            np.all(np.isfinite(xy), -1)
            & (xy[:, 0] >= 0)
            & (xy[:, 0] < s)
            & (xy[:, 1] >= 0)
            & (xy[:, 1] < s)
        )
        ix = np.clip(np.floor(np.nan_to_num(xy)).astype(int), 0, s - 1)
        front = mask[ix[:, 1], ix[:, 0]]
        covered = occ[ix[:, 1], ix[:, 0]] | ((front != p["id"]) & (front != 0))
        vis = np.where(inside, np.where(p["surface"] & ~covered, 2, 1), 0)
        kps = np.concatenate([np.where(inside[:, None], xy, 0.0), vis[:, None]], -1)
        if not (vis > 0).any():
            continue
        sil = mask == p["id"]
        area = int(sil.sum())
        if area > 0:
            x0, y0, w, h = cv2.boundingRect(sil.astype(np.uint8))
        else:
            lab = xy[vis > 0]
            x0, y0 = lab.min(0)
            w, h = np.maximum(lab.max(0) - lab.min(0), 1.0)
            area = int(w * h)
        cam = p["cam"]
        al = G.alignment_from_keypoints(xy, np.ones(len(xy), bool), TORSO)
        rec = {
            "keypoints": kps,
            "bbox": [float(x0), float(y0), float(w), float(h)],
            "area": float(area),
            "category": p["pose"]["category"],
            "camera": {k: float(cam[k]) for k in ("yaw", "pitch", "roll", "distance")},
            "alignment": None if al is None else al.as_array().tolist(),
        }
        for key in extra:
            if key in p:
                rec[key] = p[key]
        out.append(rec)
    return out


UPRIGHT = {"standing", "walking", "running", "arms_raised", "reaching", "kicking", "bending"}


def _yaw(rng):
    """Which way a person faces the camera: mostly towards it, as in photographs of people."""
    r = rng.random()
    mag = (
        rng.uniform(0, 1.05)
        if r < 0.6
        else (rng.uniform(1.05, 2.1) if r < 0.85 else rng.uniform(2.1, np.pi))
    )
    return float(mag * (1 if rng.random() < 0.5 else -1))


def _human(rng, cfg, pid):
    prop = B.sample_body(rng)
    pose = B.sample_pose(rng, B.sample_category(rng, cfg.pose_mix))
    fk = B.forward_kinematics(prop, pose)
    look = A.sample_look(rng, textures=cfg.textures)
    for side in ("l", "r"):
        prop[f"_twist_{side}"] = float(rng.uniform(-1.6, 2.6))
        prop[f"_curl_{side}"] = float(rng.uniform(0.0, 1.3))
    parts = F.build_parts(prop, fk, look, hands=cfg.hands, hair=cfg.hair)
    return {"id": pid, "proportions": prop, "pose": pose, "fk": fk, "look": look, "parts": parts}


def _render_humans(rng, rng_scene, rng_light, rng_fx, rng_clutter, cfg):
    """People (bodies, looks, cameras) from ``rng``; the scene, furniture and occluders from
    ``rng_scene``; the light and shadows from ``rng_light``; camera effects from ``rng_fx``;
    background clutter from ``rng_clutter``."""
    s = int(cfg.image_size)
    place = _detection_people if cfg.purpose == "detection" else _pose_people
    return _draw_frame(place(rng, cfg, s), rng_scene, rng_light, rng_fx, rng_clutter, cfg)


def _pose_people(rng, cfg, s: int) -> list:
    """One main person near the centre at ``person_scale``, and distractors beside it (or, with
    ``max_people`` > 1, anywhere); cameras placed. The main person is first."""
    people = [_human(rng, cfg, PERSON_ID_BASE)]
    if cfg.max_people > 1:
        extra = int(rng.integers(0, cfg.max_people))
    else:
        extra = (1 + int(rng.random() < 0.3)) if rng.random() < cfg.distractor_prob else 0
    people += [_human(rng, cfg, PERSON_ID_BASE + 1 + i) for i in range(extra)]
    main = people[0]
    scale = rng.uniform(*cfg.person_scale)
    spread = 0.45 if rng.random() < cfg.truncation_prob else 0.12
    if spread > 0.2:
        scale = rng.uniform(0.8, 1.3)
    centre = s * (0.5 + rng.uniform(-spread, spread, 2))
    for i, p in enumerate(people):
        pitch = (
            float(np.clip(rng.normal(0, 0.18), -0.5, 0.5))
            if rng.random() < 0.92
            else float(rng.uniform(-1.1, 1.1))
        )
        roll = (
            float(rng.uniform(-np.pi, np.pi))
            if rng.random() < cfg.full_roll_prob
            else float(rng.normal(0, 0.08))
        )
        dist = float(rng.uniform(2.2, 9.0))
        if i == 0:
            sc, ctr = scale, centre
        elif cfg.max_people > 1:
            sc, ctr = rng.uniform(0.3, 0.7), rng.uniform(0.1, 0.9, 2) * s
        else:  # beside the main person, partly inside its crop
            sc = scale * rng.uniform(0.7, 1.15)
            ctr = (
                centre
                + np.array([rng.choice([-1, 1]) * rng.uniform(0.3, 0.75), rng.uniform(-0.1, 0.1)])
                * scale
                * s
            )
            dist = main["cam"]["distance"] + rng.uniform(-1.0, 1.5)
        p["cam"] = C.camera_at(p["fk"], _yaw(rng), pitch, roll, max(dist, 1.5), (s, s), sc, ctr)
    return people


def _detection_people(rng, cfg, s: int) -> list:
    """0 to ``max_people`` people anywhere in the frame (cut by its edges too), each
    ``detection_scale`` of the image side; the largest is first (the scene is laid out around
    it), ids in that order."""
    n = int(rng.integers(0, cfg.max_people + 1))
    people = [_human(rng, cfg, PERSON_ID_BASE + i) for i in range(n)]
    scales = np.sort(rng.uniform(*cfg.detection_scale, n))[::-1]
    for p, sc in zip(people, scales):
        pitch = float(np.clip(rng.normal(0, 0.18), -0.5, 0.5))
        roll = (
            float(rng.uniform(-np.pi, np.pi))
            if rng.random() < cfg.full_roll_prob
            else float(rng.normal(0, 0.08))
        )
        ctr = rng.uniform(-0.05, 1.05, 2) * s
        dist = float(rng.uniform(2.2, 9.0))
        p["cam"] = C.camera_at(p["fk"], _yaw(rng), pitch, roll, dist, (s, s), float(sc), ctr)
    return people


def _draw_frame(people, rng_scene, rng_light, rng_fx, rng_clutter, cfg):
    """The scene laid out around the first person (the horizon above their feet; a random one
    when there is nobody), furniture, light, shadows, the people far to near, occluders and
    camera effects; returns ``(image, annotations)``."""
    s = int(cfg.image_size)
    # the scene: the horizon sits above the main person's feet, as for a camera at eye height
    if people:
        main = people[0]
        cam = main["cam"]
        feet = np.array([C.project(cam, main["fk"]["joints"][k]) for k in ("l_ankle", "r_ankle")])
        head = C.project(cam, main["fk"]["joints"]["head"])
        height_px = float(np.linalg.norm(feet.mean(0) - head))
        upright = main["pose"]["category"] in UPRIGHT and abs(cam["roll"]) < 0.5
    else:
        feet, height_px, upright = None, 0.3 * s, False
    ground_y = float(feet[:, 1].max()) if upright else float(rng_scene.uniform(0.5, 1.0) * s)
    horizon = ground_y - rng_scene.uniform(0.35, 1.3) * max(height_px, 0.2 * s)
    if cfg.scenes:
        img, kind = S.make_scene(rng_scene, s, s, horizon)
    else:
        img, kind = BG.make_background(rng_scene, s, s), "capsule_background"
    clutter = max(cfg.clutter, DETECTION_CLUTTER) if cfg.purpose == "detection" else cfg.clutter
    if clutter and rng_clutter.random() < clutter:
        img = S.clutter(img, rng_clutter)
    occ = np.zeros((s, s), bool)
    behind, front = rng_scene.random(), rng_scene.random()
    if cfg.scenes and kind in ("indoor", "outdoor") and behind < 0.5:  # furniture behind the people
        S.furniture(
            img, rng_scene, ground_y - rng_scene.uniform(0.0, 0.3) * height_px * 0.3, height_px
        )
    rng = rng_light
    ang = rng.uniform(-np.pi, np.pi)
    ld = np.array(
        [np.sin(ang) * rng.uniform(0.3, 1.0), rng.uniform(0.2, 1.0), rng.uniform(0.2, 1.0)]
    )
    light = {
        "dir": ld / np.linalg.norm(ld),
        "ambient": float(rng.uniform(0.35, 0.6)),
        "diffuse": float(rng.uniform(0.35, 0.7)),
        "colour": rng.normal(1.0, 0.05, 3).clip(0.85, 1.15),
    }
    if cfg.scene_exposure:  # drawn only when on, so the switch leaves the other streams alone
        light["exposure"] = float(rng.uniform(*SCENE_EXPOSURE))
    if cfg.shadows and upright and kind != "photo":
        for p in people:
            c = p["cam"]
            fp = np.array(
                [
                    C.project(c, p["fk"]["joints"][k])
                    for k in ("l_ankle", "r_ankle", "l_toe", "r_toe")
                ]
            )
            width = float(np.ptp(fp[:, 0])) + 0.25 * height_px
            S.ground_shadow(
                img,
                (fp[:, 0].mean(), fp[:, 1].max()),
                width,
                light["dir"],
                float(rng.uniform(0.25, 0.55)),
            )
    ids = np.zeros((s, s), np.uint8)
    for p in sorted(people, key=lambda p: -p["cam"]["distance"]):  # far to near
        p["xy"], _, p["surface"], info = F.render_figure(
            img, ids, p, p["cam"], light, faces=cfg.faces, smooth_joints=cfg.smooth_joints
        )
        p["face_drawn"], p["scene"] = bool(info["face_drawn"]), kind
    if front < cfg.occluder_prob:
        if cfg.scenes and kind in ("indoor", "outdoor") and rng_scene.random() < 0.6:
            S.furniture(
                img,
                rng_scene,
                min(s * 1.05, ground_y + rng_scene.uniform(0.0, 0.25) * height_px),
                height_px,
                occ,
            )
        else:
            occ = E.add_occluders(img, rng_scene, int(rng_scene.integers(1, 3)))
        ids[occ] = 0
    img = S.camera_effects(img, rng_fx) if cfg.camera_effects else E.photometric(img, rng_fx)
    if cfg.camera_tone:  # the last draws of rng_fx: off, every other stream stays as it was
        img = S.camera_tone(img, rng_fx)
    return img, _annotate(people, ids, occ, s, extra=("face_drawn", "scene"))


def _encode_jpeg(img_rgb, rng_q):
    quality = int(rng_q.integers(30, 60)) if rng_q.random() < 0.15 else int(rng_q.integers(60, 96))
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(img_rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()


def _work(args):
    """Render, encode and write one image (runs in a worker process)."""
    seed, index, cfg, img_dir = args
    img, people = render_sample(seed, index, cfg)
    data = _encode_jpeg(img, np.random.default_rng([int(seed), int(index), 7]))
    name = f"{index:06d}.jpg"
    write_bytes_atomic(os.path.join(img_dir, name), data)
    return index, name, people


#: Images per claimed chunk: small enough that the processes finish together, large enough
#: that claiming (one file created per chunk) costs nothing beside the rendering.
CHUNK = 4


def _render_chunks(seed, num_images, cfg, img_dir, claims, done) -> None:
    """Render every chunk of :data:`CHUNK` images that no other process has claimed, calling
    ``done(result)`` per image. A chunk is claimed by creating its file in ``claims`` (an
    exclusive create: exactly one process gets it), so each image is rendered once, by
    whichever process is free; an image's pixels depend only on ``(seed, index)``."""
    for c in range(-(-num_images // CHUNK)):
        try:
            os.close(os.open(os.path.join(claims, str(c)), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            continue
        for i in range(c * CHUNK, min(num_images, (c + 1) * CHUNK)):
            done(_work((seed, i, cfg, img_dir)))


def _run_workers(seed, num_images, cfg, img_dir, workers, bar):
    """Render in this process and ``workers - 1`` subprocesses
    (``python -m posenet_mobile.data.synthetic``), which claim chunks of images as they go
    (:func:`_render_chunks`): this process starts at once, while the others are still
    importing, and none waits on a slower one at the end.

    Subprocesses rather than multiprocessing: a spawn pool re-imports the caller's ``__main__``,
    which hangs scripts that lack an ``if __name__ == "__main__"`` guard. Their part files and
    the claims go to a temporary folder inside the dataset folder (removed on every exit; one
    left by a killed process is swept by the next run), and the workers are stopped if this
    process is.
    """
    import shutil
    import subprocess
    import sys
    import threading

    lock = threading.Lock()
    procs, parts, results = [], [], []
    tmpdir = str(temp_path(os.path.join(os.path.dirname(img_dir), "parts")))
    claims = os.path.join(tmpdir, "claims")
    os.makedirs(claims, exist_ok=True)

    def pump(proc):
        for _ in proc.stdout:
            with lock:
                bar.update()

    def done(result):
        results.append(result)
        with lock:
            bar.update()

    try:
        for w in range(1, workers):
            part = os.path.join(tmpdir, f"part{w}.json")
            job = {
                "seed": seed,
                "num_images": num_images,
                "cfg": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__},
                "img_dir": img_dir,
                "claims": claims,
                "out": part,
            }
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "posenet_mobile.data.synthetic", json.dumps(job)],
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
            parts.append(part)
        threads = [threading.Thread(target=pump, args=(p,), daemon=True) for p in procs]
        for t in threads:
            t.start()
        _render_chunks(seed, num_images, cfg, img_dir, claims, done)
        codes = [p.wait() for p in procs]
        for t in threads:
            t.join()
        if any(codes):
            raise RuntimeError(f"synthetic data worker failed (exit codes {codes})")
        for part in parts:
            with open(part) as fh:
                for index, name, people in json.load(fh):
                    for p in people:
                        p["keypoints"] = np.asarray(p["keypoints"], np.float64)
                    results.append((index, name, people))
        return sorted(results, key=lambda r: r[0])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait()
        shutil.rmtree(tmpdir, ignore_errors=True)


def _worker_main(job: dict) -> None:
    cfg = SynthConfig(**job["cfg"])
    out = []

    def done(result):
        index, name, people = result
        for p in people:
            p["keypoints"] = p["keypoints"].tolist()
        out.append((index, name, people))
        print(index, flush=True)

    _render_chunks(job["seed"], job["num_images"], cfg, job["img_dir"], job["claims"], done)
    write_json_atomic(job["out"], out)


def synthesize(
    out_dir,
    num_images: int,
    seed: int = 0,
    cfg: SynthConfig = SynthConfig(),
    workers: int | None = None,
    progress: bool = True,
) -> dict:
    """Write a COCO person-keypoints dataset of ``num_images`` synthetic images.

    Returns a summary ``{"images", "annotations", "seconds", "images_per_second", ...}``. The
    annotations file is written last, atomically, so a dataset without it is incomplete.
    """
    from tqdm import tqdm

    check_output_dir(out_dir, "--out")
    img_dir = os.path.join(out_dir, "images")
    os.makedirs(img_dir, exist_ok=True)
    sweep_temps(out_dir)
    sweep_temps(img_dir)
    workers = workers or min(os.cpu_count() or 1, 8)
    t0 = time.perf_counter()
    results = []
    bar = tqdm(total=num_images, desc="synth", unit="img", disable=not progress)
    if workers > 1 and num_images >= 8:
        results = _run_workers(seed, num_images, cfg, img_dir, workers, bar)
    else:
        for i in range(num_images):
            results.append(_work((seed, i, cfg, img_dir)))
            bar.update()
    bar.close()
    images, anns = [], []
    for index, name, people in results:
        images.append(
            {"id": index + 1, "file_name": name, "width": cfg.image_size, "height": cfg.image_size}
        )
        for p in people:
            kps = p["keypoints"]
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": index + 1,
                    "category_id": 1,
                    "iscrowd": 0,
                    "keypoints": [
                        round(float(v), 3) if j % 3 < 2 else int(v)
                        for j, v in enumerate(kps.ravel())
                    ],
                    "num_keypoints": int((kps[:, 2] > 0).sum()),
                    "bbox": [round(v, 2) for v in p["bbox"]],
                    "area": p["area"],
                    "pose_category": p["category"],
                    "camera": {k: round(v, 4) for k, v in p["camera"].items()},
                    "alignment": None
                    if p["alignment"] is None
                    else [round(v, 3) for v in p["alignment"]],
                    **{k: p[k] for k in ("face_drawn", "scene") if k in p},
                }
            )
    seconds = time.perf_counter() - t0
    coco = {
        "info": {
            "description": "posenet_mobile synthetic people",
            "seed": seed,
            "generator": "posenet_mobile.data.synthetic",
            "config": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__},
        },
        "images": images,
        "annotations": anns,
        "categories": [COCO17.to_coco_category()],
    }
    write_json_atomic(os.path.join(out_dir, "annotations.json"), coco)
    vis = np.array([a["keypoints"][2::3] for a in anns]) if anns else np.zeros((0, 17))
    return {
        "out": str(out_dir),
        "images": len(images),
        "annotations": len(anns),
        "seconds": round(seconds, 2),
        "images_per_second": round(len(images) / max(seconds, 1e-9), 1),
        "workers": workers,
        "visibility_fractions": {str(v): round(float((vis == v).mean()), 3) for v in (0, 1, 2)}
        if anns
        else {},
    }


if __name__ == "__main__":  # worker entry point of _run_workers
    import sys

    _worker_main(json.loads(sys.argv[1]))
