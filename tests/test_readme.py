import pathlib
import re

import keras

import keras_gated as kg

ROOT = pathlib.Path(__file__).parents[1]


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"^(pip install -e \"\.\[test\]\" && pytest.*)$", readme, re.M)
    assert match, "README.md must state the test command"
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert match.group(1) in ci_lines


def test_ci_runs_the_readme_jax_command_verbatim():
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"^(pip install \"jax\[cpu\].*\" && KERAS_BACKEND=jax .*)$", readme, re.M)
    assert match, "README.md must state the JAX test command"
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert match.group(1) in ci_lines


def test_the_readme_python_examples_run():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks
    for block in blocks:
        if "tensorflow" in block and keras.backend.backend() != "tensorflow":
            continue  # SavedModel export needs TensorFlow (docs/backends.md).
        exec(compile(block, "README.md", "exec"), {})


def test_the_readme_table_lists_every_public_name():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## What is in the box")[1].split("\n#")[0]
    rows = re.findall(r"^\| `kg\.(\w+)` \|", table, re.M)
    public = sorted(name for name in kg.__all__ if name != "__version__")
    assert sorted(rows) == public
