import numpy as np
import pytest

from keras_gated.examples.attention_plot import attention_figure
from keras_gated.examples.attention_plot import plot_attention


def example(source, output):
    weights = np.random.default_rng(0).random((len(output) + 1, len(source)))
    return source, output, weights / weights.sum(-1, keepdims=True)


def test_plot_attention_labels_every_character():
    figure = attention_figure([example("3 May 1998", "1998-05-03")])
    (ax, _colorbar) = figure.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == list("3␣May␣1998")
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        *"1998-05-03",
        "<end>",
    ]


def test_attention_figure_lays_out_a_grid_and_saves_a_png(tmp_path):
    examples = [example("05/03/98", "1998-05-03")] * 3
    figure = attention_figure(examples, columns=2)
    visible = [ax for ax in figure.axes if ax.axison]
    assert len(visible) == 3 + 1  # Three heatmaps and the colour bar.
    path = tmp_path / "attention.png"
    figure.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_refuses_mismatched_alignments_and_no_examples():
    source, output, weights = example("3.5.1998", "1998-05-03")
    figure = attention_figure([(source, output, weights)])
    with pytest.raises(ValueError, match=r"\(11, 7\)"):
        plot_attention(figure.axes[0], weights[:, 1:], source, output)
    with pytest.raises(ValueError, match="no examples"):
        attention_figure([])
