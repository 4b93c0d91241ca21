"""Random binary images labelled by whether a white path crosses them.

The notebook `04_two_dimensional_lstm.ipynb` uses them. Each pixel is
white with probability `density`; `make` keeps as many positive images as
negative ones. Two tasks:

- `"left_to_right"`: a path of white pixels, moving up, down, left or
  right, joins the left edge to the right edge (`connects_left_to_right`).
  Near the site-percolation threshold of the square lattice (about 0.593)
  both labels are common.
- `"monotone"`: a path of white pixels moving only right or down joins
  the top-left pixel to the bottom-right pixel
  (`monotone_path_to_corner`); `make` sets both corner pixels white, so
  that the label is never read off one pixel. Directed site percolation:
  whether the bottom-right pixel is reached is exactly the recurrence
  `reach(y, x) = white(y, x) and (reach(y - 1, x) or reach(y, x - 1))`,
  the scan order of a top-left 2-D LSTM. Near its threshold (about 0.705
  on the square lattice) both labels are common.

In both, the answer depends on the whole image, which a small
convolutional network's bounded receptive field cannot see at once.
Generated locally with NumPy: no download.
"""

import numpy as np


def _white(images):
    white = np.asarray(images) > 0.5
    if white.ndim != 3:
        raise ValueError(
            "Received an invalid value for argument `images`, expected "
            f"shape (n, height, width), got shape {white.shape}."
        )
    return white


def connects_left_to_right(images):
    """Whether each binary image `(n, H, W)` has a 4-connected white path
    from its first column to its last; boolean `(n,)`.

    A flood fill from the white pixels of the first column, vectorized
    over the batch, repeated until it stops growing.
    """
    white = _white(images)
    reached = np.zeros_like(white)
    reached[:, :, 0] = white[:, :, 0]
    while True:
        grown = reached.copy()
        grown[:, 1:] |= reached[:, :-1]
        grown[:, :-1] |= reached[:, 1:]
        grown[:, :, 1:] |= reached[:, :, :-1]
        grown[:, :, :-1] |= reached[:, :, 1:]
        grown &= white
        if np.array_equal(grown, reached):
            return reached[:, :, -1].any(axis=1)
        reached = grown


def monotone_path_to_corner(images):
    """Whether each binary image `(n, H, W)` has a white path from its
    top-left pixel to its bottom-right pixel that moves only right or
    down; boolean `(n,)`.

    The recurrence `reach(y, x) = white(y, x) and (reach(y - 1, x) or
    reach(y, x - 1))`, with `reach(0, 0) = white(0, 0)`, one row at a time
    and vectorized over the batch and the row: along a row, a pixel is
    reached when it is reached from above or a run of white pixels joins
    it to one reached from above on its left.
    """
    white = _white(images)
    height, width = white.shape[1:]
    columns = np.arange(width)
    above = np.zeros(white.shape[::2], bool)
    above[:, 0] = True  # the top-left pixel is entered from "above"
    for y in range(height):
        row = white[:, y]
        # The last black pixel at or left of each column (-1 for none) and
        # the last pixel entered from above there: a pixel is reached when
        # such an entry lies after the last black pixel.
        black = np.maximum.accumulate(np.where(row, -1, columns), axis=1)
        entry = np.maximum.accumulate(
            np.where(row & above, columns, -1), axis=1
        )
        above = row & (entry > black)
    return above[:, -1]


# `make`'s tasks and their labellers.
LABELLERS = {
    "left_to_right": connects_left_to_right,
    "monotone": monotone_path_to_corner,
}


def make(count, size=12, density=0.6, seed=0, task="left_to_right"):
    """`count` images `(count, size, size, 1)` in {0, 1} (float32) and their
    labels `(count,)` (int32), half of them positive.

    `task` is `"left_to_right"` (labels from `connects_left_to_right`) or
    `"monotone"` (labels from `monotone_path_to_corner`, with the top-left
    and bottom-right pixels always white).
    """
    if count < 2 or count % 2:
        raise ValueError(
            "Received an invalid value for argument `count`, expected an "
            f"even integer of at least 2, got {count!r}."
        )
    if task not in LABELLERS:
        raise ValueError(
            "Received an invalid value for argument `task`, expected one "
            f"of {tuple(LABELLERS)}, got {task!r}."
        )
    label = LABELLERS[task]
    rng = np.random.default_rng(seed)
    kept = {True: [], False: []}
    while min(len(v) for v in kept.values()) < count // 2:
        images = rng.random((4 * count, size, size)) < density
        if task == "monotone":
            images[:, 0, 0] = images[:, -1, -1] = True
        for image, positive in zip(images, label(images)):
            if len(kept[bool(positive)]) < count // 2:
                kept[bool(positive)].append(image)
    images = np.stack(kept[True] + kept[False]).astype("float32")
    labels = np.array([1] * (count // 2) + [0] * (count // 2), "int32")
    order = rng.permutation(count)
    return images[order, :, :, None], labels[order]
