import json
import pathlib
import re

import keras
import pytest

import keras_gated as kg

ROOT = pathlib.Path(__file__).parents[1]


# Each command the README states is a line of `.ci/run`, verbatim.
README_COMMANDS = {
    "test": r"^(pip install -e \"\.\[test\]\" && pytest.*)$",
    "JAX test": r"^(pip install \"jax\[cpu\].*\" && KERAS_BACKEND=jax .*)$",
    "lint": r"^(pip install \"ruff==.*\" && ruff check .*)$",
}


@pytest.mark.parametrize(
    "pattern", README_COMMANDS.values(), ids=README_COMMANDS.keys()
)
def test_ci_runs_the_readme_command_verbatim(pattern):
    readme = (ROOT / "README.md").read_text()
    match = re.search(pattern, readme, re.M)
    assert match, f"README.md must state the command {pattern}"
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


def test_the_readme_quotes_the_committed_demo_report():
    # The README's demo figures must be those of a real run, with the
    # machine it ran on: docs/demo/report.json, written by the demo. (The
    # live demo test only has to clear an accuracy floor, since times and
    # the last digit of the accuracy depend on the CPU.)
    readme = " ".join((ROOT / "README.md").read_text().split())
    report = json.loads((ROOT / "docs" / "demo" / "report.json").read_text())
    quoted = re.search(
        r"Measured with the default flags on an? (.+?), (\d+) cores, "
        r"TensorFlow ([\d.]+), Keras ([\d.]+): \*\*([\d.]+)% exact match "
        r"with greedy decoding and ([\d.]+)% with beam search \(width "
        r"(\d+)\)\*\* on the ([\d,]+) held-out dates, in (\d+) s of wall "
        r"time \((\d+) s of it training\)",
        readme,
    )
    assert quoted, "README.md must quote the demo's figures"
    cpu, cores, tf_version, keras_version = quoted.groups()[:4]
    greedy, beam, width, test_size, seconds, train = quoted.groups()[4:]
    machine = report["machine"]
    assert cpu.startswith(machine["cpu"])
    assert int(cores) == machine["cores"]
    assert (tf_version, keras_version) == (
        machine["tensorflow"],
        machine["keras"],
    )
    assert greedy == f"{100 * report['greedy_exact_match']:.1f}"
    assert beam == f"{100 * report['beam_exact_match']:.1f}"
    assert int(width) == report["flags"]["beam_width"]
    assert int(test_size.replace(",", "")) == report["flags"]["test_size"]
    assert int(seconds) == round(report["total_seconds"])
    assert int(train) == round(report["train_seconds"])
    defaults = {"epochs": 5, "train_size": 8000, "units": 64, "seed": 0}
    assert {k: report["flags"][k] for k in defaults} == defaults
