import json
import subprocess
import sys

from posenet_mobile import cli


def test_profile_prints_params_and_macs(capsys):
    assert (
        cli.main(["profile", "--input-size", "64", "--width", "0.35", "--head", "regression"]) == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["head"] == "regression"
    assert rows[0]["export"]["macs"] < rows[0]["train"]["macs"]


def test_console_entry_point_user_error_is_one_line_and_nonzero():
    out = subprocess.run(
        [sys.executable, "-m", "posenet_mobile", "info", "--schema", "hands"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown schema name 'hands'" in lines[0]
    assert "Traceback" not in out.stderr


def test_synth_command_writes_dataset_and_preview(tmp_path, capsys):
    out = tmp_path / "ds"
    assert (
        cli.main(
            [
                "synth",
                "--out",
                str(out),
                "--num-images",
                "16",
                "--image-size",
                "96",
                "--workers",
                "1",
                "--preview",
                "--quiet",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["images"] == 16 and summary["images_per_second"] > 0
    assert (out / "annotations.json").is_file() and (out / "preview.png").stat().st_size > 1000
    assert len(list((out / "images").glob("*.jpg"))) == 16


def test_synth_bad_argument_is_a_one_line_error(capsys):
    assert cli.main(["synth", "--out", "/tmp/x", "--num-images", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--num-images" in err[0]
