"""Attention heatmaps: output characters against source characters.

Needs matplotlib (`pip install -e ".[examples]"`). The figures are plain
`matplotlib.figure.Figure`s, made without pyplot, so they save from a
script without a display and show in a notebook with `display(figure)`.
"""


def plot_attention(ax, alignments, source, output):
    """Draws one heatmap on the matplotlib axes `ax`.

    Args:
        ax: A matplotlib `Axes`.
        alignments: `(len(output) + 1, len(source))` attention weights,
            e.g. from `DateTranslator.alignments`; the last row is the end
            token.
        source: The source string (the columns, one per character).
        output: The output string (the rows, one per character).

    Returns:
        The image drawn (for a colour bar).
    """
    rows, columns = len(output) + 1, len(source)
    if tuple(alignments.shape) != (rows, columns):
        raise ValueError(
            "Received alignments of shape "
            f"{tuple(alignments.shape)}, expected (len(output) + 1, "
            f"len(source)) = {(rows, columns)}."
        )
    image = ax.imshow(
        alignments, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto"
    )
    ax.set_xticks(range(columns), [c if c != " " else "␣" for c in source])
    ax.set_yticks(range(rows), list(output) + ["<end>"])
    ax.tick_params(labelsize=8)
    ax.set_xlabel("source character")
    ax.set_ylabel("output character")
    return image


def attention_figure(examples, columns=2):
    """A figure of heatmaps, one per `(source, output, alignments)`.

    Args:
        examples: A list of `(source, output, alignments)` triples.
        columns: The number of heatmaps per row. Default: 2.

    Returns:
        A `matplotlib.figure.Figure`; save it with `figure.savefig(path)`.
    """
    from matplotlib.figure import Figure

    if not examples:
        raise ValueError(
            "Received no examples, expected at least one "
            "(source, output, alignments) triple."
        )
    columns = min(columns, len(examples))
    rows = -(-len(examples) // columns)
    figure = Figure(figsize=(5.5 * columns, 3.4 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, (source, output, alignments) in zip(axes, examples):
        image = plot_attention(ax, alignments, source, output)
        ax.set_title(f"{source!r} → {output}", fontsize=10)
    for ax in axes[len(examples) :]:
        ax.set_axis_off()
    figure.colorbar(image, ax=axes.tolist(), shrink=0.6, label="attention")
    return figure


def alignment_maps(alignments, height, width, memory_mask=None):
    """Alignments over a flattened `height × width` grid, as 2-D maps.

    An image captioner attends over a CNN's feature grid flattened row by
    row (`(batch, height * width, channels)`, position `i = row * width +
    column`); this undoes the flattening.

    Args:
        alignments: `(..., steps, height * width)` attention weights, e.g.
            one caption's rows from `ShapesCaptioner.alignments`.
        height: The grid's number of rows.
        width: The grid's number of columns.
        memory_mask: Optional boolean `(..., height * width)`, False at
            memory positions that were masked (padding). They become NaN,
            which matplotlib leaves transparent; their weights must be 0.

    Returns:
        A float array `(..., steps, height, width)`.
    """
    import numpy as np

    alignments = np.asarray(alignments, dtype=float)
    height, width = int(height), int(width)
    if alignments.ndim < 2 or alignments.shape[-1] != height * width:
        raise ValueError(
            f"Received alignments of shape {alignments.shape}, expected "
            f"(..., steps, height * width) = (..., steps, {height * width})."
        )
    maps = alignments.reshape(*alignments.shape[:-1], height, width)
    if memory_mask is None:
        return maps
    memory_mask = np.asarray(memory_mask, dtype=bool)
    try:
        keep = np.broadcast_to(
            memory_mask[..., None, :], alignments.shape
        ).reshape(maps.shape)
    except ValueError:
        raise ValueError(
            f"Received memory_mask of shape {memory_mask.shape}, expected "
            f"(..., {height * width}) to match alignments of shape "
            f"{alignments.shape}."
        ) from None
    if np.any(maps[~keep] != 0):
        raise ValueError(
            "Received alignments with non-zero weight at masked memory "
            "positions; the attention never looks there."
        )
    return np.where(keep, maps, np.nan)


def upsample(maps, height, width):
    """Bilinear upsampling of `(..., h, w)` maps to `(..., height, width)`.

    Pixel centres are aligned as in `tf.image.resize` (`half_pixel`): the
    output pixel `y` samples the map at `(y + 0.5) · h / height − 0.5`,
    clamped to the map's edge. NaN (masked) cells stay NaN around them.
    """
    import numpy as np

    maps = np.asarray(maps, dtype=float)
    if maps.ndim < 2:
        raise ValueError(
            f"Received maps of shape {maps.shape}, expected (..., h, w)."
        )

    def axis(size, target):
        position = (np.arange(target) + 0.5) * size / target - 0.5
        position = np.clip(position, 0, size - 1)
        low = np.floor(position).astype(int)
        high = np.minimum(low + 1, size - 1)
        return low, high, position - low

    y0, y1, fy = axis(maps.shape[-2], int(height))
    x0, x1, fx = axis(maps.shape[-1], int(width))
    rows = maps[..., y0, :] * (1 - fy)[:, None] + maps[..., y1, :] * fy[:, None]
    return rows[..., x0] * (1 - fx) + rows[..., x1] * fx


def overlay_figure(image, words, maps, columns=5, alpha=0.6):
    """Show, Attend and Tell's figure: the image, then one panel per word.

    Each panel shows the image with the attention map of that word,
    upsampled (`upsample`) to the image's size and overlaid.

    Args:
        image: `(height, width, 3)` uint8 image.
        words: The generated words, e.g. `caption.split() + ["<end>"]`.
        maps: `(len(words), h, w)` attention maps, e.g. from
            `alignment_maps`.
        columns: Panels per row. Default: 5.
        alpha: The opacity of the maps. Default: 0.6.

    Returns:
        A `matplotlib.figure.Figure`.
    """
    import numpy as np
    from matplotlib.figure import Figure

    image = np.asarray(image)
    maps = np.asarray(maps, dtype=float)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(
            f"Received an image of shape {image.shape}, expected "
            "(height, width, 3)."
        )
    if maps.ndim != 3 or len(maps) != len(words):
        raise ValueError(
            f"Received maps of shape {maps.shape} for {len(words)} words, "
            f"expected ({len(words)}, h, w): one map per word."
        )
    panels = len(words) + 1
    columns = min(columns, panels)
    rows = -(-panels // columns)
    figure = Figure(figsize=(2.0 * columns, 2.2 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    axes[0].imshow(image)
    axes[0].set_title("image", fontsize=10)
    height, width = image.shape[:2]
    upsampled = upsample(maps, height, width)
    for ax, word, weights in zip(axes[1:], words, upsampled):
        ax.imshow(image)
        ax.imshow(weights, cmap="gray", alpha=alpha, vmin=0.0,
                  vmax=max(np.nanmax(weights), 1e-6))  # fmt: skip
        ax.set_title(word, fontsize=10)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[panels:]:
        ax.set_axis_off()
    return figure
