"""Arithmetic expression trees modulo 10, as trees and as written text.

Everything is generated locally. An expression is a digit `0`–`9` or an
operation `(a op b)` with `op` one of `+`, `-`, `*`, computed modulo
`MODULUS`:

>>> expression = ("+", 3, ("*", 4, 2))
>>> to_text(expression)
'(3+(4*2))'
>>> evaluate(expression)
1
>>> depth(expression)
2

(`(3 + (4 × 2)) mod 10 = 11 mod 10 = 1`.) `+`, `-` and `*` commute with
taking the remainder, so every node's value modulo 10 follows from its
children's: the label is a function of the tree computed bottom-up, which
a Tree-LSTM's structure fits and a sequence model has to discover.

`make_dataset` writes a batch both ways, with one vocabulary of tokens
(`TOKENS`) for both:

- as a tree: one node per digit or operation, in pre-order (the root is
  node 0), with the token of each node and the `(left, right)` children
  indices, -1 at the leaves and for padding nodes;
- as text: the token ids of `to_text`, left-aligned and padded with 0.
"""

from typing import NamedTuple

import numpy as np

MODULUS = 10
OPERATIONS = ("+", "-", "*")
# Token 0 is padding; the digits, the operations and the brackets follow.
TOKENS = ("<pad>", *"0123456789", *OPERATIONS, "(", ")")
TOKEN_ID = {token: index for index, token in enumerate(TOKENS)}


def evaluate(expression, modulus=MODULUS):
    """The value of `expression` modulo `modulus`."""
    if isinstance(expression, int):
        return expression % modulus
    op, left, right = expression
    a, b = evaluate(left, modulus), evaluate(right, modulus)
    value = {"+": a + b, "-": a - b, "*": a * b}[op]
    return value % modulus


def depth(expression):
    """Edges on the longest root-to-leaf path: 0 for a digit."""
    if isinstance(expression, int):
        return 0
    return 1 + max(depth(expression[1]), depth(expression[2]))


def size(expression):
    """The number of nodes (digits and operations)."""
    if isinstance(expression, int):
        return 1
    return 1 + size(expression[1]) + size(expression[2])


def to_text(expression):
    """The fully bracketed written form, e.g. `'(3+(4*2))'`."""
    if isinstance(expression, int):
        return str(expression)
    op, left, right = expression
    return f"({to_text(left)}{op}{to_text(right)})"


def random_expression(rng, exact_depth, operations=OPERATIONS):
    """A random expression of depth exactly `exact_depth`.

    One child of each operation continues to the full depth, on a random
    side; the other gets a depth drawn uniformly below it.
    """
    if exact_depth == 0:
        return int(rng.integers(10))
    op = operations[int(rng.integers(len(operations)))]
    deep = random_expression(rng, exact_depth - 1, operations)
    other = random_expression(rng, int(rng.integers(exact_depth)), operations)
    if rng.random() < 0.5:
        return (op, deep, other)
    return (op, other, deep)


def to_tree(expression):
    """`(tokens, children)` of the nodes in pre-order (root first)."""
    tokens, children = [], []

    def visit(node):
        index = len(tokens)
        tokens.append(TOKEN_ID[str(node) if isinstance(node, int) else node[0]])
        children.append([-1, -1])
        if not isinstance(node, int):
            children[index] = [visit(node[1]), visit(node[2])]
        return index

    visit(expression)
    return tokens, children


class Dataset(NamedTuple):
    """A batch of expressions, as trees and as text (NumPy arrays).

    Attributes:
        node_tokens: `(n, max_nodes)` int32, each node's token id.
        children: `(n, max_nodes, 2)` int32, left and right child, -1 none.
        node_mask: `(n, max_nodes)` bool, True for the nodes of the tree.
        text: `(n, max_length)` int32, the written expression, 0-padded.
        labels: `(n,)` int32, the value modulo the `modulus`.
        depths: `(n,)` int32, each tree's depth.
        expressions: The expressions themselves (nested tuples).
    """

    node_tokens: np.ndarray
    children: np.ndarray
    node_mask: np.ndarray
    text: np.ndarray
    labels: np.ndarray
    depths: np.ndarray
    expressions: list


def max_nodes(max_depth):
    """The most nodes of a binary expression of depth `max_depth`."""
    return 2 ** (max_depth + 1) - 1


def max_length(max_depth):
    """The longest text of an expression of depth `max_depth`."""
    operations = 2**max_depth - 1
    return max_nodes(max_depth) + 2 * operations


def make_dataset(
    count,
    depths,
    seed,
    operations=OPERATIONS,
    max_depth=None,
    modulus=MODULUS,
):
    """`count` expressions, their depths drawn uniformly from `depths`.

    Arrays are padded for `max_depth` (default: the largest of `depths`),
    so that datasets made with the same `max_depth` stack.
    """
    depths = list(depths)
    if not depths or min(depths) < 0:
        raise ValueError(
            "Received an invalid value for argument `depths`, expected a "
            f"non-empty list of non-negative integers; got {depths!r}."
        )
    if count <= 0:
        raise ValueError(
            "Received an invalid value for argument `count`, expected a "
            f"positive integer; got {count!r}."
        )
    max_depth = max(depths) if max_depth is None else max_depth
    if max_depth < max(depths):
        raise ValueError(
            f"Received max_depth={max_depth}, smaller than the deepest of "
            f"depths={depths}."
        )
    rng = np.random.default_rng(seed)
    nodes, length = max_nodes(max_depth), max_length(max_depth)
    node_tokens = np.zeros((count, nodes), np.int32)
    children = np.full((count, nodes, 2), -1, np.int32)
    node_mask = np.zeros((count, nodes), bool)
    text = np.zeros((count, length), np.int32)
    labels = np.zeros(count, np.int32)
    drawn = np.zeros(count, np.int32)
    expressions = []
    for row in range(count):
        d = depths[int(rng.integers(len(depths)))]
        expression = random_expression(rng, d, operations)
        tokens, kids = to_tree(expression)
        node_tokens[row, : len(tokens)] = tokens
        children[row, : len(kids)] = kids
        node_mask[row, : len(tokens)] = True
        written = [TOKEN_ID[ch] for ch in to_text(expression)]
        text[row, : len(written)] = written
        labels[row] = evaluate(expression, modulus)
        drawn[row] = d
        expressions.append(expression)
    return Dataset(
        node_tokens, children, node_mask, text, labels, drawn, expressions
    )
