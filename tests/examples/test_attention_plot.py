import numpy as np
import pytest

from keras_gated.examples.attention_plot import alignment_maps
from keras_gated.examples.attention_plot import attention_figure
from keras_gated.examples.attention_plot import overlay_figure
from keras_gated.examples.attention_plot import plot_attention
from keras_gated.examples.attention_plot import upsample


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


def test_alignment_maps_undo_the_row_by_row_flattening():
    # Position i of a 2×3 grid is (i // 3, i % 3).
    alignments = np.eye(6)[[0, 4, 5]]
    maps = alignment_maps(alignments, 2, 3)
    assert maps.shape == (3, 2, 3)
    for step, position in enumerate([0, 4, 5]):
        row, column = divmod(position, 3)
        assert maps[step, row, column] == 1.0
        assert maps[step].sum() == 1.0
    batched = alignment_maps(np.stack([alignments, alignments]), 2, 3)
    np.testing.assert_array_equal(batched, np.stack([maps, maps]))


def test_alignment_maps_leave_masked_positions_out():
    alignments = np.array([[0.5, 0.5, 0.0, 0.0], [0.25, 0.75, 0.0, 0.0]])
    mask = np.array([True, True, False, False])
    maps = alignment_maps(alignments, 2, 2, memory_mask=mask)
    assert np.isnan(maps[:, 1]).all()
    np.testing.assert_array_equal(maps[:, 0], alignments[:, :2])
    with pytest.raises(ValueError, match="non-zero weight at masked"):
        alignment_maps(alignments[:, ::-1], 2, 2, memory_mask=mask)
    with pytest.raises(ValueError, match="memory_mask of shape"):
        alignment_maps(alignments, 2, 2, memory_mask=mask[:3])


def test_alignment_maps_refuse_a_grid_of_another_size():
    with pytest.raises(ValueError, match=r"\(\.\.\., steps, 6\)"):
        alignment_maps(np.ones((2, 4)), 2, 3)


def test_upsample_is_bilinear_with_half_pixel_centres():
    maps = np.array([[[0.0, 1.0], [2.0, 3.0]]])
    # A 2×2 map to 4×4: output pixel y samples (y + 0.5) / 2 - 0.5, i.e.
    # -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
    weights = np.array([0.0, 0.25, 0.75, 1.0])
    expected = 2.0 * weights[:, None] + weights[None, :]
    np.testing.assert_allclose(upsample(maps, 4, 4)[0], expected)
    constant = np.full((3, 8, 8), 0.5)
    np.testing.assert_allclose(upsample(constant, 64, 64), 0.5)
    assert upsample(constant, 64, 32).shape == (3, 64, 32)


def test_overlay_figure_has_the_image_and_one_panel_per_word(tmp_path):
    image = np.zeros((64, 64, 3), dtype=np.uint8)
    words = ["a", "red", "circle", "<end>"]
    maps = alignment_maps(np.eye(64)[[0, 9, 18, 27]], 8, 8)
    figure = overlay_figure(image, words, maps, columns=3)
    visible = [ax for ax in figure.axes if ax.axison]
    assert [ax.get_title() for ax in visible] == ["image", *words]
    # Each word's panel: the image and its upsampled map.
    assert [len(ax.get_images()) for ax in visible] == [1, 2, 2, 2, 2]
    assert visible[1].get_images()[1].get_array().shape == (64, 64)
    path = tmp_path / "overlay.png"
    figure.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="one map per word"):
        overlay_figure(image, words[:3], maps)
    with pytest.raises(ValueError, match="expected \\(height, width, 3\\)"):
        overlay_figure(image[..., 0], words, maps)
