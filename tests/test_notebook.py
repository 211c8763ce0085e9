"""The training notebook runs top to bottom (tiny configuration) so it cannot rot."""

from pathlib import Path

import pytest

NOTEBOOK = (
    Path(__file__).resolve().parents[1] / "training" / "notebooks" / "train_posenet_mobile.ipynb"
)


@pytest.mark.slow
def test_notebook_runs_top_to_bottom(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    monkeypatch.setenv("POSENET_NOTEBOOK_TINY", "1")
    monkeypatch.setenv("POSENET_NOTEBOOK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    assert (tmp_path / "work" / "posenet_int8.tflite").exists()
    assert (tmp_path / "work" / "validate.html").exists()
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
