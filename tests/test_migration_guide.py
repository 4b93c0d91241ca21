"""docs/migrating_from_tfa.md: its keras_gated snippets run as written.

The guide fences keras_gated code as ```python and the TensorFlow Addons code
it replaces as ```py (Addons needs TensorFlow <= 2.15 and Keras 2).
"""

import pathlib
import re

GUIDE = pathlib.Path(__file__).parents[1] / "docs" / "migrating_from_tfa.md"


def test_the_keras_gated_snippets_run():
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)
    assert len(blocks) >= 3
    for block in blocks:
        exec(compile(block, str(GUIDE), "exec"), {})


def test_the_addons_names_are_all_covered():
    guide = GUIDE.read_text()
    for name in [
        "LayerNormLSTMCell",
        "AttentionWrapper",
        "BahdanauAttention",
        "LuongAttention",
        "BasicDecoder",
        "BeamSearchDecoder",
        "tile_batch",
        "sequence_loss",
        "carry_normalized_cell",
        "PeepholeLSTMCell",
    ]:
        assert name in guide, name
