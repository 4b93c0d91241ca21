"""Hypothesis strategies for the property tests: shapes, masks, options.

An example is a `Case`: sizes, a mask of per-row patterns, the loop flags
and a seed from which the inputs, initial states and weights are drawn.
Inputs and weights come from NumPy with that seed rather than from
element-wise hypothesis strategies: the properties are about shapes, masks
and flags, and this keeps an example cheap.
"""

import dataclasses

import numpy as np
from hypothesis import strategies as st

from tests import registry

MAX_BATCH, MAX_STEPS, MAX_FEATURES, MAX_UNITS = 4, 6, 5, 5

MASK_ROWS = ("full", "right_padding", "left_padding", "holes", "empty")


@dataclasses.dataclass(frozen=True)
class Case:
    batch: int
    steps: int
    features: int
    units: int
    mask: object  # (batch, steps) bool array, or None
    mask_rows: tuple  # the pattern of each row, for the report
    random_initial_state: bool
    go_backwards: bool
    return_sequences: bool
    return_state: bool
    zero_output_for_mask: bool
    unroll: bool
    seed: int

    def inputs(self, scale=1.0):
        rng = np.random.default_rng(self.seed)
        x = rng.normal(size=(self.batch, self.steps, self.features))
        return (scale * x).astype("float32")

    def initial_states(self, state_size):
        """float32 states, or `None` (the layer's zeros)."""
        if not self.random_initial_state:
            return None
        rng = np.random.default_rng(self.seed + 1)
        return [
            rng.normal(scale=0.5, size=(self.batch, size)).astype("float32")
            for size in state_size
        ]


@st.composite
def mask_row(draw, steps):
    """One row of a mask and its pattern name."""
    kind = draw(st.sampled_from(MASK_ROWS))
    t = np.arange(steps)
    if kind == "full":
        row = np.ones(steps, bool)
    elif kind == "empty":
        row = np.zeros(steps, bool)
    elif kind == "right_padding":
        row = t < draw(st.integers(1, steps))
    elif kind == "left_padding":
        row = t >= draw(st.integers(0, steps - 1))
    else:
        row = np.array(
            draw(st.lists(st.booleans(), min_size=steps, max_size=steps))
        )
    return row, kind


@st.composite
def cases(draw, unroll=True, max_steps=MAX_STEPS):
    """A `Case`; `unroll=False` never unrolls."""
    batch = draw(st.integers(1, MAX_BATCH))
    steps = draw(st.integers(1, max_steps))
    features = draw(st.integers(1, MAX_FEATURES))
    units = draw(st.integers(1, MAX_UNITS))
    if draw(st.booleans()):
        rows = [draw(mask_row(steps)) for _ in range(batch)]
        mask = np.stack([row for row, _ in rows])
        mask_rows = tuple(kind for _, kind in rows)
    else:
        mask, mask_rows = None, ()
    return Case(
        batch=batch,
        steps=steps,
        features=features,
        units=units,
        mask=mask,
        mask_rows=mask_rows,
        random_initial_state=draw(st.booleans()),
        go_backwards=draw(st.booleans()),
        return_sequences=draw(st.booleans()),
        return_state=draw(st.booleans()),
        zero_output_for_mask=draw(st.booleans()),
        unroll=draw(st.booleans()) if unroll else False,
        seed=draw(st.integers(0, 2**31 - 1)),
    )


# The options of each cell that change its equations, from the registry.
CELL_OPTIONS = {entry.name: entry.options for entry in registry.RNN_CELLS}
