import numpy as np
import pytest

from keras_gated.examples import expression_trees as et


def test_the_docstring_example():
    expression = ("+", 3, ("*", 4, 2))
    assert et.to_text(expression) == "(3+(4*2))"
    assert et.evaluate(expression) == 1
    assert et.evaluate(expression, modulus=5) == 1
    assert et.depth(expression) == 2
    assert et.size(expression) == 5


def test_subtraction_is_taken_modulo():
    assert et.evaluate(("-", 2, 7)) == 5
    assert et.evaluate(("-", ("*", 3, 3), 9), modulus=5) == 0


def test_random_expressions_have_the_exact_depth():
    rng = np.random.default_rng(0)
    for d in range(6):
        for _ in range(20):
            assert et.depth(et.random_expression(rng, d)) == d


def test_trees_are_in_preorder_with_ordered_children():
    tokens, children = et.to_tree(("-", ("+", 1, 2), 3))
    assert [et.TOKENS[t] for t in tokens] == ["-", "+", "1", "2", "3"]
    assert children == [[1, 4], [2, 3], [-1, -1], [-1, -1], [-1, -1]]


def _evaluate_tree(tokens, children, node, modulus):
    token = et.TOKENS[tokens[node]]
    if children[node][0] == -1:
        return int(token) % modulus
    a = _evaluate_tree(tokens, children, children[node][0], modulus)
    b = _evaluate_tree(tokens, children, children[node][1], modulus)
    return {"+": a + b, "-": a - b, "*": a * b}[token] % modulus


def test_the_dataset_agrees_with_itself_both_ways():
    data = et.make_dataset(50, depths=[0, 1, 3], seed=1, modulus=7)
    assert data.node_tokens.shape == (50, et.max_nodes(3))
    assert data.text.shape == (50, et.max_length(3))
    for row, expression in enumerate(data.expressions):
        n = et.size(expression)
        assert data.node_mask[row].sum() == n
        assert not data.node_mask[row, n:].any()
        assert np.all(data.children[row, n:] == -1)
        assert data.depths[row] == et.depth(expression)
        text = "".join(et.TOKENS[t] for t in data.text[row] if t)
        assert text == et.to_text(expression)
        assert data.labels[row] == _evaluate_tree(
            data.node_tokens[row], data.children[row], 0, 7
        )
    assert set(data.depths) == {0, 1, 3}


def test_the_longest_text_fits():
    rng = np.random.default_rng(2)
    full = et.random_expression(rng, 0)
    for _ in range(4):
        full = ("+", full, full)
    assert len(et.to_text(full)) == et.max_length(4)
    assert et.size(full) == et.max_nodes(4)


def test_datasets_are_reproducible_from_the_seed():
    a = et.make_dataset(10, depths=[2], seed=3)
    b = et.make_dataset(10, depths=[2], seed=3)
    np.testing.assert_array_equal(a.text, b.text)
    np.testing.assert_array_equal(a.labels, b.labels)


@pytest.mark.parametrize(
    "options, argument",
    [
        ({"count": 0, "depths": [1]}, "count"),
        ({"count": 3, "depths": []}, "depths"),
        ({"count": 3, "depths": [3], "max_depth": 2}, "max_depth"),
    ],
)
def test_bad_arguments_are_refused(options, argument):
    with pytest.raises(ValueError, match=argument):
        et.make_dataset(seed=0, **options)
