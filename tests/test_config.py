import pytest

from posenet_mobile.config import ModelConfig, load_yaml, model_config_from_yaml, overlay
from posenet_mobile.errors import ConfigError


def test_overlay_applies_values_and_rejects_unknown_keys_by_name():
    cfg = overlay(ModelConfig(), {"width": 1, "input_size": [128, 96], "head": "integral"})
    assert cfg.width == 1.0 and cfg.input_size == (128, 96) and cfg.head == "integral"
    with pytest.raises(ConfigError, match="model.widht: unknown key"):
        overlay(ModelConfig(), {"widht": 0.5}, where="model")


@pytest.mark.parametrize(
    "values, field",
    [
        ({"head": "segmentation"}, "head"),
        ({"input_size": [100, 100]}, "input_size"),
        ({"output_stride": 2}, "output_stride"),
        ({"width": "big"}, "width"),
        ({"head": "integral", "global_context": True}, "global_context"),
        ({"facing_channels": -1}, "facing_channels"),
    ],
)
def test_bad_values_name_the_field(values, field):
    with pytest.raises(ConfigError, match=field):
        overlay(ModelConfig(), values)


@pytest.mark.parametrize("preset", ["quickstart", "mobile", "accurate"])
def test_presets_load(preset):
    cfg = model_config_from_yaml(preset)
    assert isinstance(cfg, ModelConfig)


def test_missing_preset_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="no such config"):
        load_yaml("does-not-exist")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  width: 0.5\n  colour: red\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: model.colour: unknown key"):
        model_config_from_yaml(bad)


@pytest.mark.parametrize("preset", ["quickstart", "mobile", "accurate"])
def test_presets_load_as_experiments(preset):
    from posenet_mobile.train.config import load_config

    cfg = load_config(preset)
    assert cfg.name == preset and cfg.train.epochs > 0
    assert len(cfg.fingerprint()) == 12
    assert load_config(preset, ["train.epochs=2"]).fingerprint() != cfg.fingerprint()


def test_exponent_floats_without_a_dot_are_numbers(tmp_path):
    """YAML 1.1 (PyYAML) reads ``3e-4`` as a string; a float field takes it as 0.0003."""
    from posenet_mobile.train.config import load_config

    cfg = load_config("quickstart", ["compress.fine_tune_lr=5e-4", "train.learning_rate=1E-2"])
    assert cfg.compress.fine_tune_lr == 5e-4 and cfg.train.learning_rate == 0.01
    yml = tmp_path / "c.yaml"
    yml.write_text("train:\n  learning_rate: 5e-3\n")
    assert load_config(str(yml)).train.learning_rate == 0.005
    with pytest.raises(ConfigError, match="fine_tune_lr: expected float"):
        load_config("quickstart", ["compress.fine_tune_lr=fast"])
    with pytest.raises(ConfigError, match="epochs: expected int"):
        load_config("quickstart", ["train.epochs=1e2"])


def test_block_size_is_two_positive_integers():
    from posenet_mobile.train.config import load_config

    assert load_config("quickstart").compress.block_size == (1, 1)
    assert load_config("quickstart", ["compress.block_size=[4,1]"]).compress.block_size == (4, 1)
    for bad in ("[4]", "[0,1]", "four", "[4,1,1]"):
        with pytest.raises(
            ConfigError, match="compress.block_size: expected two positive integers"
        ):
            load_config("quickstart", [f"compress.block_size={bad}"])
