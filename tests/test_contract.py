"""The output contract: one declaration that the models, the exporter and the metadata follow."""

import copy
import json
import re

import pytest

from posenet_mobile import metadata as M
from posenet_mobile.contract import INFERENCE_OUTPUTS, OUTPUTS, TRAINING_OUTPUTS, expected_shapes
from posenet_mobile.errors import ConfigError, ModelError


def test_every_head_trains_and_exports_declared_outputs():
    assert set(TRAINING_OUTPUTS) == set(INFERENCE_OUTPUTS)
    for head, names in INFERENCE_OUTPUTS.items():
        assert set(names) <= set(TRAINING_OUTPUTS[head]) and all(
            OUTPUTS[n].exported for n in names
        ), head
    assert not OUTPUTS["coords_dist"].exported  # training-only: the exporter never meets it
    shapes = expected_shapes(17, (32, 24), (192, 256))
    assert (
        shapes["offsets"] == (1, 32, 24, 34)
        and shapes["simcc_y"] == (1, 17, 256)
        and "coords_dist" not in shapes
    )
    assert "simcc_x" not in expected_shapes(17, (32, 24))  # a size not given: not expected
    with pytest.raises(ConfigError, match="simcc_x"):
        OUTPUTS["simcc_x"].resolve(17)


@pytest.mark.parametrize("head", ["heatmap", "regression", "simcc"])
def test_built_models_have_the_declared_shapes(head):
    from posenet_mobile.models.build import build_model, inference_model, output_names
    from posenet_mobile.simcc import SimCCCodec
    from posenet_mobile.train.config import load_config

    cfg = load_config(
        "quickstart",
        [
            "model.input_size=[64,64]",
            "model.depth=0.25",
            "model.decoder_channels=16",
            "model.regression_channels=16",
            f"model.head={head}",
            "model.coord_loss=laplace" if head == "regression" else "model.width=0.35",
        ],
    )
    model = build_model(cfg.model)
    stride = 8 if head == "simcc" else cfg.model.output_stride
    bins = SimCCCodec.for_model(cfg.model).bins if head == "simcc" else None
    for name, t in zip(output_names(model), model.outputs):
        assert tuple(t.shape) == OUTPUTS[name].resolve(
            17, (64 // stride, 64 // stride), bins, batch=None
        ), name
    assert tuple(output_names(model))[: len(TRAINING_OUTPUTS[head])] == TRAINING_OUTPUTS[head]
    exported = inference_model(model, head)
    assert tuple(output_names(exported))[: len(INFERENCE_OUTPUTS[head])] == INFERENCE_OUTPUTS[head]


# --- the metadata document's JSON Schema (posenet_mobile/spec) ---------------------------------

EXAMPLE = M.SCHEMA_FILE.with_name("metadata.example.json")


def _example():
    return json.loads(EXAMPLE.read_text())


def _required_paths(node, doc, path=()):
    """Every field path the schema requires of ``doc`` (following ``if``/``then`` branches
    that apply to it and the first entry of each list)."""
    root = M.schema()
    if "$ref" in node:
        node = root["$defs"][node["$ref"].split("/")[-1]]
    branches = [node] + [
        b["then"]
        for b in node.get("allOf", ())
        if "then" in b and M.schema_errors(doc, b["if"], "", root) is None
    ]
    for b in branches:
        if isinstance(doc, dict):
            for key in b.get("required", ()):
                yield path + (key,)
            for key, sub in b.get("properties", {}).items():
                if key in doc:
                    yield from _required_paths(sub, doc[key], path + (key,))
        if isinstance(doc, list) and doc and "items" in b:
            yield from _required_paths(b["items"], doc[0], path + (0,))


def _dotted(path):
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def test_the_example_document_satisfies_the_schema():
    assert M.check(_example(), EXAMPLE)["decode"]["method"] == "heatmap_offset_sides"


def test_the_schema_lists_are_the_packages_own():
    from posenet_mobile.config import HEAD_TYPES
    from posenet_mobile.export.tflite import FORMATS

    props = M.schema()["properties"]
    assert props["head"]["enum"] == list(HEAD_TYPES)
    assert props["format"]["enum"] == list(FORMATS)
    assert props["schema_version"]["const"] == M.SCHEMA_VERSION


def test_every_required_field_is_enforced_by_name():
    doc = _example()
    paths = sorted(set(_required_paths(M.schema(), doc)), key=str)
    assert ("decode", "sides", "min_cells") in paths and ("outputs", 0, "index") in paths
    for path in paths:
        bad = copy.deepcopy(doc)
        cur = bad
        for p in path[:-1]:
            cur = cur[p]
        del cur[path[-1]]
        with pytest.raises(ModelError, match=re.escape(f"field {_dotted(path)!r}: missing")):
            M.check(bad, "m.tflite")


@pytest.mark.parametrize(
    "path, value, field, says",
    [
        (("head",), "transformer", "head", "expected one of"),
        (("decode", "stride"), 0, "decode.stride", "expected > 0"),
        (("outputs", 0, "index"), "0", "outputs[0].index", "expected integer"),
        (("input", "size_hw"), [128], "input.size_hw", "expected at least 2"),
        (("decode", "sides", "torso"), [5, 6, 11], "decode.sides.torso", "expected at least 4"),
        (("keypoints", "flip_index"), [True] * 17, "keypoints.flip_index[0]", "expected integer"),
    ],
)
def test_wrong_values_name_their_field(path, value, field, says):
    bad = _example()
    cur = bad
    for p in path[:-1]:
        cur = cur[p]
    cur[path[-1]] = value
    with pytest.raises(ModelError, match=re.escape(f"field {field!r}: {says}")):
        M.check(bad, "m.tflite")


def test_the_video_settings_travel_with_the_model():
    from posenet_mobile.runtime.tracking import from_metadata

    doc = _example()
    assert doc["tracking"] == M.Tracking().to_json()  # what the exporter writes
    doc["tracking"] = {
        "roi": {"min_score": 0.5, "min_keypoints": 6},
        "smoothing": {"filter": "one_euro", "min_cutoff": 2.0, "beta": 0.1, "d_cutoff": 1.5},
    }
    tracker, smoother = from_metadata(M.ModelMetadata.from_json(doc, "m.tflite"))
    assert (tracker.min_score, tracker.min_keypoints) == (0.5, 6)
    assert (smoother.min_cutoff, smoother.beta, smoother.d_cutoff) == (2.0, 0.1, 1.5)
    tracker, _ = from_metadata(None)  # a foreign model without metadata: the package's settings
    assert tracker.min_keypoints == M.Tracking().roi.min_keypoints


def test_the_typed_document_gives_back_what_it_read():
    doc = _example()
    doc["decode"]["a_later_field"] = {"x": [1, 2]}  # a newer exporter's field passes through
    doc["outputs"][0]["note"] = "kept"
    meta = M.ModelMetadata.from_json(doc, "m.tflite")
    assert meta.to_json() == doc
    assert M.ModelMetadata.from_json(meta.to_json(), "again") == meta
    assert meta.input.size_hw == tuple(doc["input"]["size_hw"])
    assert meta.input.crop.crop_padding == doc["input"]["crop"]["crop_padding"]
    assert meta.keypoints.names == tuple(doc["keypoints"]["names"])
    assert [o.name for o in meta.outputs] == [o["name"] for o in doc["outputs"]]
    assert meta.decode.method == doc["decode"]["method"] and meta.decode.get("a_later_field")
    assert meta.get("training") == doc["training"]
    del doc["input"]["crop"]
    with pytest.raises(ModelError, match=r"input\.crop'?: missing"):
        M.ModelMetadata.from_json(doc, "m.tflite")
