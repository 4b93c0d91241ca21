"""The path images: labels checked against a breadth-first search and a
depth-first search of monotone paths."""

import collections

import numpy as np
import pytest

from keras_gated.examples import path_images


def _bfs_connects(image):
    height, width = image.shape
    queue = collections.deque((y, 0) for y in range(height) if image[y, 0])
    seen = set(queue)
    while queue:
        y, x = queue.popleft()
        if x == width - 1:
            return True
        for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            n = (y + dy, x + dx)
            if (
                0 <= n[0] < height
                and 0 <= n[1] < width
                and image[n]
                and n not in seen
            ):
                seen.add(n)
                queue.append(n)
    return False


def test_labels_match_a_breadth_first_search():
    rng = np.random.default_rng(0)
    images = rng.random((200, 7, 9)) < 0.6
    want = [_bfs_connects(image) for image in images]
    np.testing.assert_array_equal(
        path_images.connects_left_to_right(images), want
    )


def test_a_winding_path_connects_and_a_cut_does_not():
    image = np.zeros((1, 5, 5))
    image[0, 0, :3] = image[0, :, 2] = image[0, 4, 2:] = 1  # an S
    assert path_images.connects_left_to_right(image)[0]
    image[0, 2, 2] = 0
    assert not path_images.connects_left_to_right(image)[0]


def test_make_is_balanced_labelled_and_reproducible():
    images, labels = path_images.make(40, size=8, seed=3)
    assert images.shape == (40, 8, 8, 1) and images.dtype == np.float32
    assert set(np.unique(images)) <= {0.0, 1.0}
    assert labels.sum() == 20
    np.testing.assert_array_equal(
        path_images.connects_left_to_right(images[..., 0]), labels
    )
    again, _ = path_images.make(40, size=8, seed=3)
    np.testing.assert_array_equal(images, again)


def _dfs_monotone(image):
    height, width = image.shape
    stack, seen = ([(0, 0)] if image[0, 0] else []), set()
    while stack:
        y, x = stack.pop()
        if (y, x) == (height - 1, width - 1):
            return True
        for n in ((y + 1, x), (y, x + 1)):
            if n[0] < height and n[1] < width and image[n] and n not in seen:
                seen.add(n)
                stack.append(n)
    return False


@pytest.mark.parametrize("shape", [(1, 1), (1, 6), (6, 1), (7, 9), (9, 7)])
def test_monotone_labels_match_a_depth_first_search(shape):
    rng = np.random.default_rng(1)
    images = rng.random((300, *shape)) < 0.7
    want = [_dfs_monotone(image) for image in images]
    np.testing.assert_array_equal(
        path_images.monotone_path_to_corner(images), want
    )


def test_a_staircase_is_monotone_and_a_path_that_turns_back_is_not():
    image = np.array(
        [
            [1, 1, 1, 0],
            [0, 0, 1, 0],
            [0, 1, 1, 0],
            [0, 1, 0, 0],
            [0, 1, 1, 1],
        ]
    )[None]
    # Joined corner to corner by a 4-connected path, which steps left.
    assert _bfs_connects(image[0]) and _dfs_monotone(image[0]) is False
    assert not path_images.monotone_path_to_corner(image)[0]
    image[0, 3, 2] = 1  # now down, right, down, down, down, right
    assert path_images.monotone_path_to_corner(image)[0]


def test_make_monotone_is_balanced_and_has_white_corners():
    images, labels = path_images.make(
        40, size=8, density=0.7, seed=3, task="monotone"
    )
    assert images.shape == (40, 8, 8, 1) and labels.sum() == 20
    assert images[:, 0, 0].min() == images[:, -1, -1].min() == 1.0
    np.testing.assert_array_equal(
        path_images.monotone_path_to_corner(images[..., 0]), labels
    )


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="`count`"):
        path_images.make(3)
    with pytest.raises(ValueError, match="`task`.*'diagonal'"):
        path_images.make(4, task="diagonal")
    with pytest.raises(ValueError, match="`images`"):
        path_images.connects_left_to_right(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="`images`"):
        path_images.monotone_path_to_corner(np.zeros((4, 4)))
