"""Runs every tutorial in `notebooks/` from top to bottom in a fresh kernel.

The notebooks are stored without outputs; CI executes them here, under the
README's test command. A notebook fails its test if any cell raises (the
notebooks assert what they claim, e.g. the translator's accuracy).
"""

import os
import pathlib

# jupyter_core warns on import unless the platformdirs choice is made.
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")

import nbformat  # noqa: E402
import pytest  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

ROOT = pathlib.Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_tutorials_are_there():
    assert [path.name for path in NOTEBOOKS] == [
        "01_gated_cells.ipynb",
        "02_seq2seq_attention.ipynb",
        "03_speed.ipynb",
        "04_two_dimensional_lstm.ipynb",
        "05_trees_and_graphs.ipynb",
        "06_image_captioning.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_and_shows_figures(path, monkeypatch):
    # The kernel imports this checkout even where it is not pip-installed.
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    )
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    images = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert images, f"{path.name} displayed no figure"
