import json
import subprocess
import sys

from posenet_mobile import cli


def test_profile_prints_params_and_macs(capsys):
    assert cli.main(["profile", "--input-size", "64", "--width", "0.35", "--head", "regression"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["head"] == "regression"
    assert rows[0]["export"]["macs"] < rows[0]["train"]["macs"]


def test_console_entry_point_user_error_is_one_line_and_nonzero():
    out = subprocess.run([sys.executable, "-m", "posenet_mobile", "info", "--schema", "hands"],
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown schema name 'hands'" in lines[0]
    assert "Traceback" not in out.stderr
