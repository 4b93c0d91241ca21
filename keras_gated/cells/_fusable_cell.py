"""What a cell offers so that a fused layer can hoist and fuse it (private).

The protocol of docs/design/0001, as a small base class. A fused layer
(`keras_gated.layers._fused_rnn.FusedRNN`) relies on these members of its
cell, and on nothing else: no private attribute.
"""

import keras
from keras import ops

from keras_gated import _checks


class FusableCell(keras.layers.Layer):
    """A recurrent cell split into an input projection and a step.

    A cell's work is split in two, so that a layer can hoist the first half
    out of the time loop:

    - `project(inputs, training)` maps inputs, one step `(batch, features)`
      or a whole sequence `(batch, time, features)`, to everything that
      depends on the inputs alone (input dropout, `x W`, its layer norm,
      the bias). It must be row-wise in time: projecting a sequence equals
      projecting each of its steps.
    - `step(projection, states, training)` runs one time step of the
      recurrence from one step of that projection, and returns
      `(output, new_states)` with `output` the first state.

    `call` composes the two, so the cell inside `keras.layers.RNN` computes
    its docstring's equations, and a fused layer may call `project` once
    on the whole sequence before its loop. Besides these two methods, a
    cell declares:

    - `state_size`, a list of ints, as every Keras RNN cell;
    - `state_names`, the names of the states in that order (e.g.
      `("h", "c")`), which error messages quote.

    Subclasses implement `project`, `step`, `build` and `get_config`.
    """

    state_names = ("h", "c")

    def call(self, inputs, states, training=False):
        _checks.states("states", states, self.state_size, self.state_layout)
        _checks.same_batch(
            "states", states, inputs.shape[0], "the batch of the inputs"
        )
        projection = self.project(inputs, training=training)
        return self.step(projection, states, training=training)

    @property
    def state_layout(self):
        """The state names as a list for messages, e.g. `"[h, c]"`."""
        return "[" + ", ".join(self.state_names) + "]"

    def project(self, inputs, training=False):
        raise NotImplementedError(
            f"{type(self).__name__} must implement `project`."
        )

    def step(self, projection, states, training=False):
        raise NotImplementedError(
            f"{type(self).__name__} must implement `step`."
        )

    def get_initial_state(self, batch_size=None):
        return [
            ops.zeros((batch_size, size), dtype=self.compute_dtype)
            for size in self.state_size
        ]
