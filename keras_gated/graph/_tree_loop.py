"""The level-by-level loop shared by the two Tree-LSTMs (private).

`TreeLSTMBase` holds what `ChildSumTreeLSTM` and `NaryTreeLSTM` share: the
Keras constructor arguments, the structure inputs and their checks, the
input projection (with its optional layer norm), and the loop over levels.
A subclass creates its recurrent weights and writes one level's update,
`node_update`, for every node at once; the loop keeps the new states of
the nodes of the current level only.
"""

import keras
import numpy as np
from keras import ops

from keras_gated import _checks
from keras_gated._layer_norm import add_layer_norm_weights
from keras_gated._layer_norm import layer_norm
from keras_gated._layer_norm import layer_norm_of_projection
from keras_gated._ops import sequence_matmul
from keras_gated._ops import static_loop
from keras_gated.graph import _tree_structure


class TreeLSTMBase(keras.layers.Layer):
    """Constructor arguments, structure inputs and the level loop."""

    # The number of gates of `x W`: [i, f, u, o].
    _INPUT_GATES = 4

    def __init__(
        self,
        units,
        max_depth,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        use_layer_norm=False,
        norm_gamma_initializer="ones",
        norm_beta_initializer="zeros",
        norm_epsilon=1e-3,
        return_state=False,
        **kwargs,
    ):
        units = _checks.positive_int("units", units)
        max_depth = _checks.non_negative_int("max_depth", max_depth)
        use_bias = _checks.boolean("use_bias", use_bias)
        unit_forget_bias = _checks.boolean("unit_forget_bias", unit_forget_bias)
        use_layer_norm = _checks.boolean("use_layer_norm", use_layer_norm)
        norm_epsilon = _checks.positive_float("norm_epsilon", norm_epsilon)
        return_state = _checks.boolean("return_state", return_state)
        if use_layer_norm and units == 1:
            raise ValueError(
                "Received an invalid value for argument `units`, expected an "
                f"integer of at least 2 for {type(self).__name__} with "
                "`use_layer_norm=True`, got 1. Layer norm over one value "
                "always returns its offset `β`."
            )
        super().__init__(**kwargs)
        self.units = units
        self.max_depth = max_depth
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(
            recurrent_initializer
        )
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(
            recurrent_regularizer
        )
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.recurrent_constraint = keras.constraints.get(recurrent_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.use_layer_norm = use_layer_norm
        self.norm_gamma_initializer = keras.initializers.get(
            norm_gamma_initializer
        )
        self.norm_beta_initializer = keras.initializers.get(
            norm_beta_initializer
        )
        self.norm_epsilon = norm_epsilon
        self.return_state = return_state

    # --- weights ----------------------------------------------------------

    def _norm(self, name, size):
        return add_layer_norm_weights(
            self,
            name,
            size,
            self.norm_gamma_initializer,
            self.norm_beta_initializer,
        )

    def build(
        self,
        inputs_shape,
        parents_shape=None,
        children_shape=None,
        node_mask_shape=None,
    ):
        inputs_shape = tuple(inputs_shape)
        if len(inputs_shape) != 3 or inputs_shape[-1] is None:
            raise ValueError(
                "Received an invalid value for argument `inputs`, expected "
                "node features of shape `(batch, nodes, features)` with a "
                f"known number of features; got shape {inputs_shape}."
            )
        units = self.units
        self.input_dim = inputs_shape[-1]
        self.kernel = self.add_weight(
            shape=(self.input_dim, 4 * units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.build_recurrent_weights()
        if self.use_bias:
            initializer = self.bias_initializer
            if self.unit_forget_bias:
                base = self.bias_initializer

                def initializer(shape, dtype=None):
                    forget = ops.concatenate(
                        [
                            ops.zeros((units,), dtype=dtype),
                            ops.ones((units,), dtype=dtype),
                            ops.zeros((2 * units,), dtype=dtype),
                        ]
                    )
                    return base(shape, dtype=dtype) + forget

            self.bias = self.add_weight(
                shape=(4 * units,),
                name="bias",
                initializer=initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        if self.use_layer_norm:
            self.kernel_norm_gamma, self.kernel_norm_beta = self._norm(
                "kernel_norm", 4 * units
            )
            self.build_recurrent_norms()
            self.state_norm_gamma, self.state_norm_beta = self._norm(
                "state_norm", units
            )
        self.built = True

    def _recurrent_weight(self, name, shape):
        return self.add_weight(
            shape=shape,
            name=name,
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )

    # --- equations shared by both layers ---------------------------------

    def project(self, inputs):
        """`x W` (layer-normalized over its 4u values when asked) `+ b`."""
        if self.use_layer_norm:
            projection = layer_norm_of_projection(
                inputs,
                self.kernel,
                self.kernel_norm_gamma,
                self.kernel_norm_beta,
                self.norm_epsilon,
            )
        else:
            projection = sequence_matmul(inputs, self.kernel)
        if self.use_bias:
            projection = projection + self.bias
        return projection

    def normalize(self, values, name):
        """`LN(values)` with the norm `name`'s weights, or `values`."""
        if not self.use_layer_norm:
            return values
        return layer_norm(
            values,
            getattr(self, f"{name}_gamma"),
            getattr(self, f"{name}_beta"),
            self.norm_epsilon,
        )

    def cell_output(self, output_gate, cell):
        """`h = σ(o) ⊙ tanh(c)`, with `LN(c)` when layer-normalized."""
        return self.recurrent_activation(output_gate) * self.activation(
            self.normalize(cell, "state_norm")
        )

    # --- the call ---------------------------------------------------------

    def _structure_inputs(self, inputs, parents, children, node_mask):
        name = type(self).__name__
        if (parents is None) == (children is None):
            raise ValueError(
                f"{name} takes the tree as exactly one of `parents` "
                "`(batch, nodes)` or `children` `(batch, nodes, "
                f"max_children)`; got parents={parents!r} and "
                f"children={children!r}."
            )
        shape = tuple(inputs.shape)
        if len(shape) != 3:
            raise ValueError(
                "Received an invalid value for argument `inputs`, expected "
                "node features of shape `(batch, nodes, features)`; got "
                f"shape {shape}."
            )
        batch, nodes = shape[0], shape[1]
        if parents is not None:
            _checks.shape_of(
                "parents",
                parents,
                (batch, nodes),
                "`(batch, nodes)`, each node's parent index, -1 for the root",
            )
        else:
            _checks.shape_of(
                "children",
                children,
                (batch, nodes, None),
                "`(batch, nodes, max_children)`, each node's children "
                "indices, -1 for none",
            )
        if node_mask is None:
            node_mask = ops.ones(ops.shape(inputs)[:2], dtype="bool")
        else:
            node_mask = _checks.mask(
                "node_mask",
                node_mask,
                (batch, nodes),
                "`(batch, nodes)`, True for the nodes of the tree",
            )
        self._check_concrete(parents, children, node_mask)
        if nodes is None:  # Padded size unknown while tracing.
            nodes = ops.shape(inputs)[1]
        return nodes, ops.cast(node_mask, "bool")

    def _check_concrete(self, parents, children, node_mask):
        values = [
            _tree_structure.concrete(v) for v in (parents, children, node_mask)
        ]
        structure = values[0] if parents is not None else values[1]
        if structure is None or values[2] is None:
            return  # Traced: see the class docstring.
        _tree_structure.check_tree(
            values[0],
            values[1],
            values[2].astype(bool),
            self.max_depth,
            getattr(self, "arity", None),
            type(self).__name__,
        )

    def __call__(self, *args, **kwargs):
        # Nested lists of indices, as in the docstring examples, become
        # integer arrays before Keras converts the arguments.
        for name in ("parents", "children", "node_mask"):
            value = kwargs.get(name)
            if isinstance(value, (list, tuple)) and not any(
                hasattr(v, "shape") for v in keras.tree.flatten(value)
            ):
                kwargs[name] = np.asarray(value)
        return super().__call__(*args, **kwargs)

    def call(self, inputs, parents=None, children=None, node_mask=None):
        nodes, valid = self._structure_inputs(
            inputs, parents, children, node_mask
        )
        dtype = self.compute_dtype
        inputs = ops.cast(inputs, dtype)
        adjacency = _tree_structure.child_adjacency(
            parents, children, valid, nodes, dtype
        )
        structure = self.structure(parents, children, valid, nodes, adjacency)
        projection = self.project(inputs)
        precomputed = self.precompute(projection, structure)
        has_child = adjacency > 0

        def level(t, height, h, c):
            # After round t + 1, `height` is min(true height, t + 1): the
            # nodes of height exactly t are final, and are the level.
            height = ops.max(
                ops.where(has_child, ops.expand_dims(height, 1) + 1, 0),
                axis=2,
            )
            new_h, new_c = self.node_update(precomputed, structure, h, c)
            update = ops.expand_dims(
                ops.logical_and(valid, ops.equal(height, t)), -1
            )
            return (
                t + 1,
                height,
                ops.where(update, new_h, h),
                ops.where(update, new_c, c),
            )

        zeros = ops.zeros(
            (ops.shape(inputs)[0], nodes, self.units), dtype=dtype
        )
        _, _, h, c = static_loop(
            lambda _, *state: level(*state),
            (
                ops.convert_to_tensor(0, "int32"),
                ops.zeros(ops.shape(inputs)[:2], dtype="int32"),
                zeros,
                zeros,
            ),
            self.max_depth + 1,
        )
        # The root: a node of the tree that is no node's child.
        root = ops.logical_and(valid, ops.logical_not(ops.any(has_child, 1)))
        root = ops.expand_dims(ops.cast(root, dtype), -1)
        root_h = ops.sum(root * h, axis=1)
        if not self.return_state:
            return h, root_h
        return h, root_h, c, ops.sum(root * c, axis=1)

    def compute_output_spec(
        self, inputs, parents=None, children=None, node_mask=None
    ):
        batch, nodes = inputs.shape[0], inputs.shape[1]
        dtype = self.compute_dtype
        every = keras.KerasTensor((batch, nodes, self.units), dtype=dtype)
        root = keras.KerasTensor((batch, self.units), dtype=dtype)
        if not self.return_state:
            return every, root
        return every, root, every, root

    def get_config(self):
        config = {
            "units": self.units,
            "max_depth": self.max_depth,
            "activation": keras.activations.serialize(self.activation),
            "recurrent_activation": keras.activations.serialize(
                self.recurrent_activation
            ),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer
            ),
            "recurrent_initializer": keras.initializers.serialize(
                self.recurrent_initializer
            ),
            "bias_initializer": keras.initializers.serialize(
                self.bias_initializer
            ),
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_regularizer": keras.regularizers.serialize(
                self.kernel_regularizer
            ),
            "recurrent_regularizer": keras.regularizers.serialize(
                self.recurrent_regularizer
            ),
            "bias_regularizer": keras.regularizers.serialize(
                self.bias_regularizer
            ),
            "kernel_constraint": keras.constraints.serialize(
                self.kernel_constraint
            ),
            "recurrent_constraint": keras.constraints.serialize(
                self.recurrent_constraint
            ),
            "bias_constraint": keras.constraints.serialize(
                self.bias_constraint
            ),
            "use_layer_norm": self.use_layer_norm,
            "norm_gamma_initializer": keras.initializers.serialize(
                self.norm_gamma_initializer
            ),
            "norm_beta_initializer": keras.initializers.serialize(
                self.norm_beta_initializer
            ),
            "norm_epsilon": self.norm_epsilon,
            "return_state": self.return_state,
        }
        return {**super().get_config(), **config}
