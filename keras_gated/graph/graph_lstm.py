import keras
from keras import ops

from keras_gated import _checks
from keras_gated._layer_norm import add_layer_norm_weights
from keras_gated._layer_norm import layer_norm
from keras_gated._ops import static_loop
from keras_gated.graph import _graph_structure as structure


@keras.saving.register_keras_serializable(package="keras_gated")
class GraphLSTM(keras.layers.Layer):
    """Graph LSTM (Liang et al., 2016): LSTM states propagated over a graph.

    Every node of a graph (e.g. a superpixel of an image) holds an LSTM
    state `(h_i, m_i)`. One call is one pass of the paper's Graph LSTM
    layer: the nodes are updated **one after another**, in an update order
    (highest confidence score first, as in the paper, or an explicit
    permutation), so a pass takes `nodes` sequential steps. A node's update
    reads its own features and state and its neighbours' states, with an
    adaptive forget gate per neighbour.

    With `u = units`, node features `f_i` of `d` features, `σ` the
    `recurrent_activation` (sigmoid), `tanh` the `activation`, `N(i)` the
    neighbours of node `i` and `(h_j, m_j)` the state of node `j` at the
    start of the pass (`initial_state`, zeros by default), node `i` is
    updated, at its turn in the order, as:

    ```
    h̃_j, m̃_j = h'_j, m'_j if j was updated earlier in this pass (q_j = 1)
               h_j,  m_j  otherwise (q_j = 0)        # the visit flag
    h̄_i  = Σ_{j∈N(i)} h̃_j / |N(i)|                 # 0 when N(i) is empty
    zi, zf, zg, zo = split(f_i W + b, 4)            # with layer norm:
    si, sf, sg, so = split(h_i U, 4)                #  LN(f_i W) + b, LN(h_i U)
    ni, nf, ng, no = split(N, 4)                    # blocks of N's columns
    i    = σ(zi + si + h̄_i ni)                      # input gate   g^u
    g    = tanh(zg + sg + h̄_i ng)                   # cell input   g^c
    o    = σ(zo + so + h̄_i no)                      # output gate  g^o
    g_i  = σ(zf + sf)                               # self forget  g^f_i
    g_ij = σ(zf + h_j nf),  j ∈ N(i)                # neighbour forget g^f_ij
    m'_i = Σ_{j∈N(i)} g_ij ⊙ m̃_j / |N(i)| + g_i ⊙ m_i + i ⊙ g
    h'_i = tanh(o ⊙ m'_i)
    ```

    Node `i` has not been updated yet when its turn comes, so `h_i` and
    `m_i` in its own terms are its state at the start of the pass. The
    layer returns every node's `h'` `(batch, nodes, units)`, and with
    `return_state=True` the tuple `(h', m')`.

    **An isolated node** (no neighbour) has `h̄_i = 0` and no neighbour
    term: `m'_i = σ(zf + sf) ⊙ m_i + σ(zi + si) ⊙ tanh(zg + sg)` is exactly
    the cell state `c_t` of `keras.layers.LSTMCell` with kernel `W`,
    recurrent kernel `U` and bias `b` (same gate order), and `h'_i =
    tanh(σ(zo + so) ⊙ m'_i)` (where an LSTM has `σ(o) ⊙ tanh(c_t)`).

    **Stacking.** As in the paper, a second layer takes the first layer's
    `h'` as its node features, and may start from the first layer's states
    (`initial_state=[h', m']`, as the paper's layer `t + 1` starts from the
    states of layer `t`).

    Weights (Keras' gate order `[i, f, g, o]` in every matrix; the paper's
    `[u, f, c, o]`):

    - `kernel` `W`, `(d, 4u)`: the paper's `W^u, W^f, W^c, W^o`. The forget
      block `W^f` (and `b^f`) is shared by the self and the neighbour forget
      gates, as in the paper;
    - `recurrent_kernel` `U`, `(u, 4u)`, on the node's own `h_i`: `U^u,
      U^f, U^c, U^o`;
    - `neighbor_kernel` `N`, `(u, 4u)`: blocks `i, g, o` act on the average
      `h̄_i` (the paper's `U^{un}, U^{cn}, U^{on}`), block `f` on each
      neighbour's `h_j` (`U^{fn}`);
    - `bias` `b`, `(4u,)` (when `use_bias`), forget block initialized to 1
      with `unit_forget_bias`;
    - with `use_layer_norm`: `kernel_norm_gamma`/`_beta` and
      `recurrent_norm_gamma`/`_beta`, `(4u,)` each, kept in float32 under
      mixed precision.

    Structure (call arguments, all batched and padded to `nodes`):

    - the graph: `adjacency`, `(batch, nodes, nodes)`, where a non-zero
      `adjacency[b, i, j]` makes `j` a neighbour of `i`; or `edges`,
      `(batch, E, 2)` ints, an edge `[i, j]` making `j` a neighbour of `i`,
      with an optional `edge_mask` `(batch, E)`. Give both directions of an
      undirected graph. The diagonal (self-loops) is ignored, duplicate
      edges count once, and weights are not used;
    - the update order: `scores`, `(batch, nodes)`, highest first (ties:
      lower index first); or `order`, `(batch, nodes)`, a permutation of
      the node indices (`order[b, k]` is updated at step `k`); neither:
      index order `0, 1, ...`;
    - `node_mask`, `(batch, nodes)`: padding nodes (False) are never
      updated, are nobody's neighbour, and output zeros in `h'` and `m'`.

    Notes:

    - `g_ij` reads the neighbour's hidden state at the start of the pass,
      `h_j`, as the paper writes it (`U^{fn} h_{j,t}`); the visit flag
      decides `h̄_i` and the memory `m̃_j` that `g_ij` gates.
    - Bad structure values (an `order` that is not a permutation, an edge
      index out of range, a non-finite score) raise a `ValueError` naming
      the argument when they are concrete, in eager calls. Under `jit`
      (`tf.function`, `fit`, `jax.jit`) they are traced and only their
      shapes are checked; the layer then computes, without error: for an
      index outside `[0, nodes)` in `order` or `edges`, nothing (that step
      is skipped, that edge ignored); for a repeated index in `order`, one
      more update of that node (the node's own terms still read its
      state at the start of the pass) while a missing node keeps its
      initial state. Check such inputs eagerly, once, before training.
    - The number of nodes must be static (it is the loop's trip count:
      `ops.while_loop(..., maximum_iterations=nodes)` on TensorFlow, which
      XLA differentiates, and `ops.fori_loop`, a `lax.scan`, elsewhere, so
      that `fit(jit_compile=True)` and `jax.jit` training work); the batch
      may be dynamic. On JAX every traced shape is concrete anyway. One
      SavedModel serves any graph of up to `nodes` nodes, padded with
      `node_mask`.
    - No dropout.

    Args:
        units: Positive integer, dimensionality of every node's state.
        activation: Activation of the cell input `g` and of `h'` (`tanh`
            above). Default: `"tanh"`.
        recurrent_activation: Activation of the gates (`σ` above).
            Default: `"sigmoid"`.
        use_bias: Whether to add `b`. Default: `True`.
        kernel_initializer: Initializer for `kernel`.
            Default: `"glorot_uniform"`.
        recurrent_initializer: Initializer for `recurrent_kernel` and
            `neighbor_kernel`. Default: `"orthogonal"`.
        bias_initializer: Initializer for `bias`. Default: `"zeros"`.
        unit_forget_bias: Add 1 to the forget bias at initialization.
            Default: `True`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Regularizers (the recurrent one also for `neighbor_kernel`).
        kernel_constraint, recurrent_constraint, bias_constraint:
            Constraints (the recurrent one also for `neighbor_kernel`).
        use_layer_norm: Normalize `f_i W` and `h_i U` (each over `4u`).
            Default: `False`.
        norm_epsilon: Positive float added to the variance. Default: 1e-3.
        return_state: Whether to return `(h', m')` instead of `h'`.
            Default: `False`.
        **kwargs: Base layer arguments, e.g. `name` and `dtype`.

    Call arguments:
        inputs: Node features `(batch, nodes, features)`.
        adjacency: Dense adjacency `(batch, nodes, nodes)`, or
        edges: `(batch, E, 2)` integer edge list, with
        edge_mask: optional `(batch, E)` booleans.
        scores: Optional `(batch, nodes)` confidence scores, or
        order: optional `(batch, nodes)` integer permutation.
        node_mask: Optional `(batch, nodes)` booleans, False at padding.
        initial_state: Optional `[h, m]`, each `(batch, nodes, units)`.

    Example:

    >>> layer = GraphLSTM(4)
    >>> x = keras.random.normal((2, 3, 5))
    >>> adjacency = keras.ops.array([[[0, 1, 0], [1, 0, 1], [0, 1, 0]]] * 2)
    >>> tuple(layer(x, adjacency=adjacency, scores=x[..., 0]).shape)
    (2, 3, 4)

    Reference:
        X. Liang, X. Shen, J. Feng, L. Lin, S. Yan. "Semantic Object
        Parsing with Graph LSTM", ECCV 2016, section 3.
        https://arxiv.org/abs/1603.07063
    """

    def __init__(
        self,
        units,
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
        norm_epsilon=1e-3,
        return_state=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = _checks.positive_int("units", units)
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.use_bias = _checks.boolean("use_bias", use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(
            recurrent_initializer
        )
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.unit_forget_bias = _checks.boolean(
            "unit_forget_bias", unit_forget_bias
        )
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(
            recurrent_regularizer
        )
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.recurrent_constraint = keras.constraints.get(recurrent_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.use_layer_norm = _checks.boolean("use_layer_norm", use_layer_norm)
        self.norm_epsilon = _checks.positive_float("norm_epsilon", norm_epsilon)
        self.return_state = _checks.boolean("return_state", return_state)

    def build(self, inputs_shape):
        inputs_shape = _check_inputs_shape(inputs_shape, static_nodes=False)
        features, units = inputs_shape[-1], self.units
        self.kernel = self.add_weight(
            shape=(features, 4 * units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(units, 4 * units),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.neighbor_kernel = self.add_weight(
            shape=(units, 4 * units),
            name="neighbor_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            if self.unit_forget_bias:
                base = self.bias_initializer

                def bias_initializer(shape, dtype=None):
                    return ops.concatenate(
                        [
                            base((units,), dtype=dtype),
                            keras.initializers.get("ones")(
                                (units,), dtype=dtype
                            ),
                            base((2 * units,), dtype=dtype),
                        ]
                    )

            else:
                bias_initializer = self.bias_initializer
            self.bias = self.add_weight(
                shape=(4 * units,),
                name="bias",
                initializer=bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        if self.use_layer_norm:
            self.kernel_norm_gamma, self.kernel_norm_beta = (
                add_layer_norm_weights(
                    self, "kernel_norm", 4 * units, "ones", "zeros"
                )
            )
            self.recurrent_norm_gamma, self.recurrent_norm_beta = (
                add_layer_norm_weights(
                    self, "recurrent_norm", 4 * units, "ones", "zeros"
                )
            )
        self.features = features

    def call(
        self,
        inputs,
        adjacency=None,
        edges=None,
        edge_mask=None,
        scores=None,
        order=None,
        node_mask=None,
        initial_state=None,
    ):
        shape = _check_inputs_shape(inputs.shape)
        batch, nodes = shape[0], shape[1]
        structure.check_shape(
            "inputs",
            inputs,
            (None, None, self.features),
            f"{self.features} features per node, as the layer was built for",
        )
        dtype = self.compute_dtype
        units = self.units
        if (adjacency is None) == (edges is None):
            raise ValueError(
                "Received an invalid value for arguments `adjacency` and "
                "`edges`: expected exactly one of them (the graph), got "
                f"adjacency={_shape(adjacency)} and edges={_shape(edges)}."
            )
        if scores is not None and order is not None:
            raise ValueError(
                "Received an invalid value for arguments `scores` and "
                "`order`: expected at most one of them (the update order), "
                "got both."
            )
        if edges is not None:
            graph = structure.adjacency_from_edges(
                edges, edge_mask, batch, nodes, dtype
            )
        else:
            if edge_mask is not None:
                raise ValueError(
                    "Received an invalid value for argument `edge_mask`: it "
                    "goes with `edges`, but the graph came as `adjacency`."
                )
            graph = structure.dense_adjacency(adjacency, batch, nodes, dtype)
        graph = graph * ops.cast(1 - ops.eye(nodes), dtype)
        if node_mask is None:
            valid = ops.ones_like(inputs[..., 0])
        else:
            structure.check_node_mask(node_mask, batch, nodes)
            valid = ops.cast(node_mask, dtype)
        graph = graph * ops.expand_dims(valid, 2) * ops.expand_dims(valid, 1)

        if order is not None:
            order = structure.check_order(order, batch, nodes)
        elif scores is not None:
            order = structure.order_from_scores(scores, batch, nodes)
        else:
            order = ops.broadcast_to(
                ops.arange(nodes, dtype="int32"), ops.shape(valid)
            )

        h0, m0 = self._initial_state(initial_state, inputs)

        # Everything that reads the state at the start of the pass only.
        projection = ops.matmul(inputs, self.kernel)
        own = ops.matmul(h0, self.recurrent_kernel)
        if self.use_layer_norm:
            projection = layer_norm(
                projection,
                self.kernel_norm_gamma,
                self.kernel_norm_beta,
                self.norm_epsilon,
            )
            own = layer_norm(
                own,
                self.recurrent_norm_gamma,
                self.recurrent_norm_beta,
                self.norm_epsilon,
            )
        if self.use_bias:
            projection = projection + self.bias
        pre = projection + own  # (b, n, 4u): f_i W + b + h_i U, per node
        forget_input = projection[..., units : 2 * units]  # f_i W^f + b^f
        neighbor_i = self.neighbor_kernel[:, :units]
        neighbor_f = self.neighbor_kernel[:, units : 2 * units]
        neighbor_go = self.neighbor_kernel[:, 2 * units :]
        neighbor_forget = ops.matmul(h0, neighbor_f)  # h_j U^{fn}, per node
        degree = ops.sum(graph, axis=2, keepdims=True)
        inverse_degree = 1.0 / ops.maximum(degree, 1.0)  # (b, n, 1)
        sigma, act = self.recurrent_activation, self.activation

        # Every per-node tensor in processing order, step-major, so that
        # step k reads row k: `P[b, k] = one_hot(order[b, k])` (a zero row
        # for an index out of range, which makes that step a no-op).
        permutation = ops.one_hot(order, nodes, dtype=dtype)  # (b, k, n)

        def in_order(values):
            values = ops.matmul(permutation, values)
            return ops.moveaxis(values, 1, 0)

        updated = in_order(ops.expand_dims(valid, 2)) > 0  # (k, b, 1)
        nodes_t = ops.moveaxis(permutation, 1, 0)  # (k, b, n)
        neighbors_t = in_order(graph * inverse_degree)  # rows / |N(i)|
        pre_t = in_order(pre)
        m_own_t = in_order(m0)
        f_in_t = in_order(forget_input)

        def step(k, h, m):
            neighbors = ops.expand_dims(neighbors_t[k], 1)  # (b, 1, n)
            z = pre_t[k]  # (b, 4u)
            h_bar = ops.matmul(neighbors, h)[:, 0]
            z_i = z[:, :units] + ops.matmul(h_bar, neighbor_i)
            z_go = z[:, 2 * units :] + ops.matmul(h_bar, neighbor_go)
            input_gate = sigma(z_i)
            cell_input = act(z_go[:, :units])
            output_gate = sigma(z_go[:, units:])
            self_forget = sigma(z[:, units : 2 * units])
            f_in = ops.expand_dims(f_in_t[k], 1)  # (b, 1, u)
            gates = sigma(f_in + neighbor_forget)  # g_ij for every j
            from_neighbors = ops.matmul(neighbors, gates * m)[:, 0]
            m_new = (
                from_neighbors
                + self_forget * m_own_t[k]
                + input_gate * cell_input
            )
            h_new = act(output_gate * m_new)
            update = ops.logical_and(
                ops.expand_dims(nodes_t[k], 2) > 0,
                ops.expand_dims(updated[k], 1),
            )  # (b, n, 1)
            h = ops.where(update, ops.expand_dims(h_new, 1), h)
            m = ops.where(update, ops.expand_dims(m_new, 1), m)
            return h, m

        h, m = static_loop(step, (h0, m0), nodes)
        keep = ops.expand_dims(valid, 2)
        h, m = h * keep, m * keep
        if self.return_state:
            return h, m
        return h

    def _initial_state(self, initial_state, inputs):
        shape = ops.shape(inputs)
        zeros = ops.zeros((shape[0], shape[1], self.units), self.compute_dtype)
        if initial_state is None:
            return zeros, zeros
        if not isinstance(initial_state, (list, tuple)) or (
            len(initial_state) != 2
        ):
            raise ValueError(
                "Received an invalid value for argument `initial_state`, "
                "expected `[h, m]`, two tensors of shape `(batch, nodes, "
                f"{self.units})`; got {initial_state!r:.200}."
            )
        states = []
        for name, state in zip(("h", "m"), initial_state):
            structure.check_shape(
                f"initial_state ({name})",
                state,
                (inputs.shape[0], inputs.shape[1], self.units),
                "`(batch, nodes, units)`",
            )
            states.append(ops.cast(state, self.compute_dtype))
        return tuple(states)

    def get_config(self):
        serialize = keras.saving.serialize_keras_object
        config = {
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "recurrent_activation": keras.activations.serialize(
                self.recurrent_activation
            ),
            "use_bias": self.use_bias,
            "kernel_initializer": serialize(self.kernel_initializer),
            "recurrent_initializer": serialize(self.recurrent_initializer),
            "bias_initializer": serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_regularizer": serialize(self.kernel_regularizer),
            "recurrent_regularizer": serialize(self.recurrent_regularizer),
            "bias_regularizer": serialize(self.bias_regularizer),
            "kernel_constraint": serialize(self.kernel_constraint),
            "recurrent_constraint": serialize(self.recurrent_constraint),
            "bias_constraint": serialize(self.bias_constraint),
            "use_layer_norm": self.use_layer_norm,
            "norm_epsilon": self.norm_epsilon,
            "return_state": self.return_state,
        }
        return {**super().get_config(), **config}


def _check_inputs_shape(shape, static_nodes=True):
    shape = tuple(shape)
    if (
        len(shape) != 3
        or (static_nodes and shape[1] is None)
        or shape[2] is None
    ):
        raise ValueError(
            "Received an invalid value for argument `inputs`, expected node "
            "features of shape `(batch, nodes, features)` with a static "
            "number of nodes (the node loop's trip count) and of features; "
            f"got shape {shape}."
        )
    return shape


def _shape(value):
    return None if value is None else tuple(getattr(value, "shape", ()))
