import keras
from keras import ops

from keras_gated import _checks
from keras_gated._ops import sequence_matmul
from keras_gated.graph import _tree_structure
from keras_gated.graph._tree_loop import TreeLSTMBase


@keras.saving.register_keras_serializable(package="keras_gated")
class NaryTreeLSTM(TreeLSTMBase):
    """N-ary Tree-LSTM (Tai, Socher & Manning, 2015), over padded trees.

    Each node `j` has at most `N = arity` *ordered* children: `h_jl`, `c_jl`
    are the states of its child in position `l = 1..N` (zeros where that
    position is empty). With `u = units`, `σ` the `recurrent_activation`
    (sigmoid) and `tanh` the `activation`:

    ```
    i_j  = σ(W_i x_j + Σ_l U_i^l h_jl + b_i)
    f_jk = σ(W_f x_j + Σ_l U_f^{kl} h_jl + b_f)     # k = 1..N
    o_j  = σ(W_o x_j + Σ_l U_o^l h_jl + b_o)
    u_j  = tanh(W_u x_j + Σ_l U_u^l h_jl + b_u)
    c_j  = i_j ⊙ u_j + Σ_k f_jk ⊙ c_jk
    h_j  = o_j ⊙ tanh(c_j)
    ```

    Each forget gate sees the input (`W_f x_j`, the paper's equation (10))
    and the `h` of all the children, through its own `U_f^{kl}`.

    With `use_layer_norm=True` (Ba et al., 2016, as in `LNLSTMCell`):
    `W x_j → LN(x_j W)` over its 4u values, the recurrent sums
    `→ LN([h_j1 … h_jN] U)` over their `(N + 3)u` values, and
    `h_j = o_j ⊙ tanh(LN(c_j))`; the carried `c_j` is raw.

    Weights:

    - `kernel` `W`, `(d, 4u)`: columns `[W_i, W_f, W_u, W_o]`, Keras'
      `LSTMCell` order `[i, f, c, o]` (`W_f` is shared by the N forget
      gates, as in the paper);
    - `recurrent_kernel` `U`, `(N u, (N + 3) u)`: row block `l` multiplies
      `h_jl`, the children's states concatenated in order; column blocks
      `[i, f_1, …, f_N, u, o]`, i.e. `U[l-block, i-block] = U_i^l`,
      `U[l-block, f_k-block] = U_f^{kl}`;
    - `bias` `b`, `(4u,)` (when `use_bias`): `[b_i, b_f, b_u, b_o]`, the `f`
      block initialized to 1 when `unit_forget_bias`;
    - with `use_layer_norm`: `kernel_norm_gamma`/`_beta` `(4u,)`,
      `recurrent_norm_gamma`/`_beta` `((N + 3)u,)` and
      `state_norm_gamma`/`_beta` `(u,)`, float32 under mixed precision.

    With `arity=1` this is `keras.layers.LSTMCell`'s layout exactly (`U` is
    `(u, 4u)` in `[i, f, c, o]`), the chain read from the leaf up.

    **Inputs.** As `ChildSumTreeLSTM`'s: node features `(batch, nodes, d)`;
    exactly one of `children` `(batch, nodes, max_children)`, column `l`
    the child in position `l + 1` (-1 for an empty position; columns may
    be fewer than `arity`), or `parents` `(batch, nodes)`, where a node's
    children take positions `1, 2, …` in the order of their indices;
    `node_mask` `(batch, nodes)`. Padding nodes change nothing and output
    zeros.

    **Outputs.** `(h, root_h)`, with `return_state=True`
    `(h, root_h, c, root_c)`, as `ChildSumTreeLSTM`'s.

    **Evaluation** is level by level, leaves first, `max_depth + 1` levels
    with a static trip count, as in `ChildSumTreeLSTM`.

    **Bad structures.** A concrete structure is checked first, as
    `ChildSumTreeLSTM`'s, and also refused with a `ValueError` when a node
    has more than `arity` children (a child in a column at or beyond
    `arity`, or more than `arity` nodes naming it as their parent). A
    traced structure is not checked: children beyond `arity` are ignored
    (a `children` column at or beyond `arity`, or siblings after the
    first `arity` by index), and otherwise as in `ChildSumTreeLSTM`.

    Args:
        units: Positive integer, the size `u` of `h` and `c`.
        arity: Positive integer `N`, the most children a node has.
        max_depth: Non-negative integer, the deepest tree accepted.
        activation, recurrent_activation, use_bias, kernel_initializer,
        recurrent_initializer, bias_initializer, unit_forget_bias,
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint,
        use_layer_norm, norm_gamma_initializer, norm_beta_initializer,
        norm_epsilon, return_state: As for `ChildSumTreeLSTM`.
        **kwargs: Base layer arguments, e.g. `name` and `dtype`.

    Call arguments:
        inputs: Node features, `(batch, nodes, features)`.
        children: Children indices, `(batch, nodes, max_children)`,
            integers, -1 for none.
        parents: Parent indices, `(batch, nodes)`, integers, -1 for none.
        node_mask: Boolean `(batch, nodes)`, True for real nodes.

    Example:

    >>> x = keras.random.normal((1, 3, 2))
    >>> children = [[[1, 2], [-1, -1], [-1, -1]]]  # (0 1 2)
    >>> layer = NaryTreeLSTM(4, arity=2, max_depth=1)
    >>> h, root_h = layer(x, children=children)
    >>> tuple(h.shape), tuple(root_h.shape)
    ((1, 3, 4), (1, 4))

    Reference:
        K. S. Tai, R. Socher, C. D. Manning. "Improved Semantic
        Representations From Tree-Structured Long Short-Term Memory
        Networks", ACL 2015, section 3.2. https://arxiv.org/abs/1503.00075
    """

    def __init__(self, units, arity, max_depth, **kwargs):
        self.arity = _checks.positive_int("arity", arity)
        super().__init__(units, max_depth, **kwargs)

    def build_recurrent_weights(self):
        n, u = self.arity, self.units
        self.recurrent_kernel = self._recurrent_weight(
            "recurrent_kernel", (n * u, (n + 3) * u)
        )

    def build_recurrent_norms(self):
        self.recurrent_norm_gamma, self.recurrent_norm_beta = self._norm(
            "recurrent_norm", (self.arity + 3) * self.units
        )

    def structure(self, parents, children, valid, nodes, adjacency):
        slots = _tree_structure.child_slots(
            parents, children, valid, nodes, self.arity, self.compute_dtype
        )
        shape = ops.shape(slots)
        # (batch, parent, slot, child) -> (batch, parent * slot, child).
        return ops.reshape(slots, (shape[0], -1, shape[-1]))

    def precompute(self, projection, slots):
        return projection

    def node_update(self, projection, slots, h, c):
        n, u = self.arity, self.units
        batch, nodes = ops.shape(h)[0], ops.shape(h)[1]
        # Each node's children's states, in order: (batch, nodes, N, u).
        child_h = ops.reshape(ops.matmul(slots, h), (batch, nodes, n * u))
        child_c = ops.reshape(ops.matmul(slots, c), (batch, nodes, n, u))
        z = self.normalize(
            sequence_matmul(child_h, self.recurrent_kernel), "recurrent_norm"
        )
        i = projection[..., :u] + z[..., :u]
        forget = ops.reshape(
            z[..., u : (n + 1) * u], (batch, nodes, n, u)
        ) + ops.expand_dims(projection[..., u : 2 * u], 2)
        g = projection[..., 2 * u : 3 * u] + z[..., (n + 1) * u : (n + 2) * u]
        o = projection[..., 3 * u :] + z[..., (n + 2) * u :]
        new_c = self.recurrent_activation(i) * self.activation(g) + ops.sum(
            self.recurrent_activation(forget) * child_c, axis=2
        )
        return self.cell_output(o, new_c), new_c

    def get_config(self):
        return {**super().get_config(), "arity": self.arity}
