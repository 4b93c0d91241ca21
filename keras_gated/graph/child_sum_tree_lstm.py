import keras
from keras import ops

from keras_gated._ops import sequence_matmul
from keras_gated.graph._tree_loop import TreeLSTMBase


@keras.saving.register_keras_serializable(package="keras_gated")
class ChildSumTreeLSTM(TreeLSTMBase):
    """Child-Sum Tree-LSTM (Tai, Socher & Manning, 2015), over padded trees.

    Each node `j` of a tree, with input `x_j` of `d` features and children
    `C(j)` (unordered, any number), computes, with `u = units`, `σ` the
    `recurrent_activation` (sigmoid) and `tanh` the `activation`:

    ```
    h̃_j  = Σ_{k ∈ C(j)} h_k
    i_j  = σ(W_i x_j + U_i h̃_j + b_i)
    f_jk = σ(W_f x_j + U_f h_k + b_f)           # one per child k ∈ C(j)
    o_j  = σ(W_o x_j + U_o h̃_j + b_o)
    u_j  = tanh(W_u x_j + U_u h̃_j + b_u)
    c_j  = i_j ⊙ u_j + Σ_{k ∈ C(j)} f_jk ⊙ c_k
    h_j  = o_j ⊙ tanh(c_j)
    ```

    A leaf has `h̃ = 0` and no forget gate. Every forget gate has the
    input term `W_f x_j` of the paper's equation (4) (DGL's example drops
    it, dmlc/dgl#7848).

    With `use_layer_norm=True` (Ba et al., 2016, as in `LNLSTMCell`), each
    product is normalized before the bias is added:
    `W x_j → LN(x_j W)` over its 4u values, `U_{i,o,u} h̃_j →
    LN(h̃_j U_{iuo})` over 3u values, `U_f h_k → LN(h_k U_f)` over u
    values, and `h_j = o_j ⊙ tanh(LN(c_j))`; the carried `c_j` is raw.

    Weights (columns in Keras' `LSTMCell` gate order `[i, f, c, o]`, the
    paper's `u` in the place of Keras' `c`):

    - `kernel` `W`, `(d, 4u)`: columns `[W_i, W_f, W_u, W_o]`;
    - `recurrent_kernel` `U`, `(u, 4u)`: columns `[U_i, U_f, U_u, U_o]`,
      the `f` block applied to each child's `h_k`, the others to `h̃_j`;
    - `bias` `b`, `(4u,)` (when `use_bias`), the `f` block initialized to 1
      when `unit_forget_bias`;
    - with `use_layer_norm`: `kernel_norm_gamma`/`_beta` `(4u,)`,
      `recurrent_norm_gamma`/`_beta` `(3u,)` (over `[i, u, o]`),
      `forget_norm_gamma`/`_beta` `(u,)` and `state_norm_gamma`/`_beta`
      `(u,)`, float32 under mixed precision.

    So the mapping to `keras.layers.LSTMCell(units)` is the identity:
    assign its `kernel`, `recurrent_kernel` and `bias` here unchanged. On a
    chain (every node has one child) the two compute the same, the chain
    read from the leaf up as the time steps.

    **Inputs.** Batched and padded trees, so that every backend and `jit`
    work. `inputs` are the node features `(batch, nodes, d)`; the tree is
    given as exactly one of `parents` `(batch, nodes)`, each node's parent
    index (-1 for the root), or `children` `(batch, nodes, max_children)`,
    each node's children indices (-1 for none); `node_mask`
    `(batch, nodes)` is True for the nodes of the tree (default: all).
    Padding nodes change nothing and output zeros. Node indices need not
    be in any order.

    **Outputs.** `(h, root_h)`: every node's `h`, `(batch, nodes, u)`, and
    the root's, `(batch, u)`; with `return_state=True`,
    `(h, root_h, c, root_c)`.

    **Evaluation, level by level.** A node's height is 0 for a leaf, else
    1 + its children's largest. The layer computes the heights from the
    structure with `keras.ops`, then runs `max_depth + 1` levels, leaves
    first: level `t` updates, all at once, the nodes of height `t`, from
    their children's states gathered by one-hot matrix products. The trip
    count is static (`max_depth + 1`), so the loop compiles under XLA
    (`fit(jit_compile=True)`) and differentiates under `jax.jit`; levels
    beyond a tree's depth change nothing. The depth of a tree is the number
    of edges on its longest root-to-leaf path (a single node: 0).

    **Bad structures.** When the structure is concrete (NumPy arrays or
    eager tensors, e.g. calling the layer directly), it is checked first,
    and a `ValueError` names the argument, the tree and the node for: a
    cycle, a child or parent index out of range, a reference to a padding
    node, a node with two parents, more than one root, and a tree deeper
    than `max_depth`. Where the structure is a traced tensor (inside
    `tf.function`, `jax.jit`, `model.fit`/`predict`, or a SavedModel), it
    cannot be checked and nothing is raised; instead: indices out of range
    are ignored (as -1), a node in a cycle or deeper than `max_depth` and
    all its ancestors keep `h = c = 0`, and with several roots `root_h` is
    their sum. Check new data eagerly once, e.g. by calling the layer on a
    batch.

    Args:
        units: Positive integer, the size `u` of `h` and `c`.
        max_depth: Non-negative integer, the deepest tree accepted; the
            loop runs `max_depth + 1` levels.
        activation: Activation of `u` and of the output (`tanh` above).
        recurrent_activation: Activation of the gates (`σ` above).
        use_bias: Whether to add the bias `b`. Default: `True`.
        kernel_initializer: Initializer for `kernel`.
            Default: `"glorot_uniform"`.
        recurrent_initializer: Initializer for `recurrent_kernel`.
            Default: `"orthogonal"`.
        bias_initializer: Initializer for `bias`. Default: `"zeros"`.
        unit_forget_bias: If `True`, add 1 to the forget-gate bias at
            initialization, as `keras.layers.LSTMCell` does.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Regularizers of the three weights.
        kernel_constraint, recurrent_constraint, bias_constraint:
            Constraints of the three weights.
        use_layer_norm: Whether to layer-normalize, as above.
            Default: `False`.
        norm_gamma_initializer: Initializer for the gains `γ`.
        norm_beta_initializer: Initializer for the shifts `β`.
        norm_epsilon: Positive float added to the variance. Default: 1e-3.
        return_state: Whether to return `c` and `root_c` too.
        **kwargs: Base layer arguments, e.g. `name` and `dtype`.

    Call arguments:
        inputs: Node features, `(batch, nodes, features)`.
        parents: Parent indices, `(batch, nodes)`, integers, -1 for none.
        children: Children indices, `(batch, nodes, max_children)`,
            integers, -1 for none.
        node_mask: Boolean `(batch, nodes)`, True for real nodes.

    Example:

    >>> x = keras.random.normal((2, 5, 3))
    >>> parents = [[-1, 0, 0, 1, 1], [-1, 0, 1, -1, -1]]
    >>> node_mask = [[True] * 5, [True, True, True, False, False]]
    >>> layer = ChildSumTreeLSTM(4, max_depth=3)
    >>> h, root_h = layer(x, parents=parents, node_mask=node_mask)
    >>> tuple(h.shape), tuple(root_h.shape)
    ((2, 5, 4), (2, 4))

    Reference:
        K. S. Tai, R. Socher, C. D. Manning. "Improved Semantic
        Representations From Tree-Structured Long Short-Term Memory
        Networks", ACL 2015, section 3.1. https://arxiv.org/abs/1503.00075
    """

    def build_recurrent_weights(self):
        self.recurrent_kernel = self._recurrent_weight(
            "recurrent_kernel", (self.units, 4 * self.units)
        )

    def build_recurrent_norms(self):
        self.recurrent_norm_gamma, self.recurrent_norm_beta = self._norm(
            "recurrent_norm", 3 * self.units
        )
        self.forget_norm_gamma, self.forget_norm_beta = self._norm(
            "forget_norm", self.units
        )

    def structure(self, parents, children, valid, nodes, adjacency):
        return adjacency

    def precompute(self, projection, adjacency):
        """Splits `x W + b`; gathers each child's parent's `W_f x + b_f`."""
        u = self.units
        i, f, g, o = (projection[..., k * u : (k + 1) * u] for k in range(4))
        # parent_f[b, k] = (W_f x + b_f) of node k's parent.
        parent_f = ops.matmul(ops.transpose(adjacency, (0, 2, 1)), f)
        return ops.concatenate([i, g, o], axis=-1), parent_f

    def node_update(self, precomputed, adjacency, h, c):
        u = self.units
        iuo_x, parent_f = precomputed
        kernel = self.recurrent_kernel
        recurrent_iuo = ops.concatenate(
            [kernel[:, :u], kernel[:, 2 * u :]], axis=-1
        )
        h_sum = ops.matmul(adjacency, h)
        z = iuo_x + self.normalize(
            sequence_matmul(h_sum, recurrent_iuo), "recurrent_norm"
        )
        i, g, o = z[..., :u], z[..., u : 2 * u], z[..., 2 * u :]
        # Node k's forget gate in its parent, then summed into the parent.
        f = self.recurrent_activation(
            parent_f
            + self.normalize(
                sequence_matmul(h, kernel[:, u : 2 * u]), "forget_norm"
            )
        )
        new_c = self.recurrent_activation(i) * self.activation(g) + ops.matmul(
            adjacency, f * c
        )
        return self.cell_output(o, new_c), new_c
