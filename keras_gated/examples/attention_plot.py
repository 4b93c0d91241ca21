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
