"""The output contract: one declaration that the models, the exporter and the metadata follow."""

import pytest

from posenet_mobile.contract import INFERENCE_OUTPUTS, OUTPUTS, TRAINING_OUTPUTS, expected_shapes
from posenet_mobile.errors import ConfigError


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
