"""Random binary images labelled by whether white connects left to right.

The notebook `04_two_dimensional_lstm.ipynb` uses them: a pixel is white
with probability `density`, and an image is positive when a path of
white pixels, moving up, down, left or right, joins the left edge to the
right edge. Near the site-percolation threshold of the square lattice
(about 0.593) both labels are common and the answer depends on the whole
image, which a small convolutional network's bounded receptive field
cannot see at once. Generated locally with NumPy: no download.
"""

import numpy as np


def connects_left_to_right(images):
    """Whether each binary image `(n, H, W)` has a 4-connected white path
    from its first column to its last; boolean `(n,)`.

    A flood fill from the white pixels of the first column, vectorized
    over the batch, repeated until it stops growing.
    """
    white = np.asarray(images) > 0.5
    if white.ndim != 3:
        raise ValueError(
            "Received an invalid value for argument `images`, expected "
            f"shape (n, height, width), got shape {white.shape}."
        )
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


def make(count, size=12, density=0.6, seed=0):
    """`count` images `(count, size, size, 1)` in {0, 1} (float32) and their
    labels `(count,)` (int32), half of them positive."""
    if count < 2 or count % 2:
        raise ValueError(
            "Received an invalid value for argument `count`, expected an "
            f"even integer of at least 2, got {count!r}."
        )
    rng = np.random.default_rng(seed)
    kept = {True: [], False: []}
    while min(len(v) for v in kept.values()) < count // 2:
        images = rng.random((4 * count, size, size)) < density
        for image, label in zip(images, connects_left_to_right(images)):
            if len(kept[bool(label)]) < count // 2:
                kept[bool(label)].append(image)
    images = np.stack(kept[True] + kept[False]).astype("float32")
    labels = np.array([1] * (count // 2) + [0] * (count // 2), "int32")
    order = rng.permutation(count)
    return images[order, :, :, None], labels[order]
