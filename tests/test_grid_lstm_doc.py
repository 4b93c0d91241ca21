"""docs/grid_lstm.md: its snippets run as written and assert their claims."""

import pathlib
import re

import pytest

DOC = pathlib.Path(__file__).parents[1] / "docs" / "grid_lstm.md"

pytestmark = pytest.mark.tensorflow_only  # the measured numbers are TF's


def test_the_snippets_run():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) == 2
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), {})
