import keras
from keras import ops

from keras_gated import _checks

SUM_OVER_POSITIONS = "sum_over_positions"
MEAN_OVER_POSITIONS = "mean_over_positions"
NONE = "none"
REDUCTIONS = (SUM_OVER_POSITIONS, MEAN_OVER_POSITIONS, NONE)


def check_reduction(name, reduction):
    """Returns `reduction`, or raises naming the argument `name`."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected one "
            f"of {list(REDUCTIONS)}, got {reduction!r}."
        )
    return reduction


def doubly_stochastic_penalty(
    alignments,
    target_mask=None,
    memory_mask=None,
    reduction=SUM_OVER_POSITIONS,
):
    """The doubly stochastic attention penalty of Show, Attend and Tell.

    With `α_ti` the alignments (the attention of target step `t` on memory
    position `i`, a distribution over `i` at every step), Xu et al. (2015,
    eq. 14) add to the loss `λ Σ_i (1 − Σ_t α_ti)²`: it is zero when every
    position gets a total attention of one over the caption, so it pushes
    the decoder to look at every part of the image. This function returns
    the λ-free penalty, per example `b`:

    ```
    coverage_bi = Σ_t  target_mask_bt · α_bti
    p_b         = Σ_i  memory_mask_bi · (1 − coverage_bi)²
    ```

    over the valid target steps `t` and valid memory positions `i` only
    (a padded step attends to nothing; a padded position is not part of
    the image). Then, by `reduction`:

    - `"sum_over_positions"` (the default): the mean over the batch of
      `p_b`, the sum over the positions, which is the paper's equation;
    - `"mean_over_positions"`: the mean over the batch of `p_b / n_b`,
      with `n_b` the number of valid positions of example `b` (0 for an
      all-masked row);
    - `"none"`: `p_b` per example, `(batch,)`.

    The two published implementations scale it differently:

    - The authors' code (arctic-captions, `capgen.py`) computes
      `((1 - alphas.sum(0)) ** 2).sum(0).mean()` on alphas of shape
      `(time, batch, positions)`: the squares are summed over the *batch*
      and averaged over the positions, i.e. `batch_size ×
      "mean_over_positions"`, with the padded steps included in `Σ_t`
      (pass `target_mask=None` for that), next to a negative
      log-likelihood summed over the caption and averaged over the batch.
    - The widely used PyTorch tutorial (sgrvinod,
      a-PyTorch-Tutorial-to-Image-Captioning) computes
      `((1 - alphas.sum(dim=1)) ** 2).mean()` on alphas of shape `(batch,
      time, positions)`, zero at padded steps: the mean over the batch
      and the positions, `"mean_over_positions"`, with λ = 1 next to a
      cross-entropy averaged over the tokens.

    We default to `"sum_over_positions"` because it is the paper's
    formula, per caption, so λ means what it means in the paper. With a
    Keras loss averaged over the tokens, `"mean_over_positions"` is the
    convention whose λ (the tutorial's 1.0) is on the same scale.

    The penalty is computed in float32 at least (float64 stays float64).

    Args:
        alignments: `(batch, target_len, source_len)`, e.g. the alignments
            returned by `AttentionDecoder(..., return_alignments=True)`.
        target_mask: Optional boolean `(batch, target_len)`, False at
            padded target steps.
        memory_mask: Optional boolean `(batch, source_len)`, False at
            padded memory positions.
        reduction: `"sum_over_positions"`, `"mean_over_positions"` or
            `"none"`, as above. Default: `"sum_over_positions"`.

    Returns:
        A scalar, or `(batch,)` with `reduction="none"`.

    Example:

    >>> alignments = keras.ops.convert_to_tensor(
    ...     [[[1.0, 0.0], [0.0, 1.0]]])       # T = L = 2, a permutation
    >>> float(doubly_stochastic_penalty(alignments))
    0.0
    >>> float(doubly_stochastic_penalty(
    ...     keras.ops.convert_to_tensor([[[0.5, 0.5]]])))  # 2 · 0.5²
    0.5

    References:
        K. Xu, J. Ba, R. Kiros, K. Cho, A. Courville, R. Salakhutdinov,
        R. Zemel, Y. Bengio. "Show, Attend and Tell: Neural Image Caption
        Generation with Visual Attention", ICML 2015, section 4.2.1.
        https://arxiv.org/abs/1502.03044
    """
    reduction = check_reduction("reduction", reduction)
    _checks.no_strings("target_mask", target_mask)
    _checks.no_strings("memory_mask", memory_mask)
    alignments = ops.convert_to_tensor(alignments)
    shape = tuple(alignments.shape)
    if len(shape) != 3:
        raise ValueError(
            "Received an invalid value for argument `alignments`, expected "
            "a tensor of shape `(batch_size, target_len, source_len)`, got "
            f"shape {shape}."
        )
    dtype = keras.backend.standardize_dtype(alignments.dtype)
    if not dtype.startswith("float") and dtype != "bfloat16":
        raise ValueError(
            "Received an invalid value for argument `alignments`, expected "
            f"floating-point attention weights, got dtype {dtype}."
        )
    compute_dtype = "float64" if dtype == "float64" else "float32"
    alignments = ops.cast(alignments, compute_dtype)
    if target_mask is not None:
        target_mask = _checks.mask(
            "target_mask",
            target_mask,
            shape[:2],
            "the `(batch_size, target_len)` of the alignments",
        )
        keep = ops.cast(ops.convert_to_tensor(target_mask), "bool")
        alignments = ops.where(
            keep[:, :, None], alignments, ops.zeros_like(alignments)
        )
    squares = ops.square(1.0 - ops.sum(alignments, axis=1))
    if memory_mask is None:
        per_example = ops.sum(squares, axis=-1)
        count = ops.cast(ops.shape(squares)[-1], compute_dtype)
    else:
        memory_mask = _checks.mask(
            "memory_mask",
            memory_mask,
            (shape[0], shape[2]),
            "the `(batch_size, source_len)` of the alignments",
        )
        valid = ops.cast(ops.convert_to_tensor(memory_mask), "bool")
        squares = ops.where(valid, squares, ops.zeros_like(squares))
        per_example = ops.sum(squares, axis=-1)
        count = ops.sum(ops.cast(valid, compute_dtype), axis=-1)
    if reduction == NONE:
        return per_example
    if reduction == MEAN_OVER_POSITIONS:
        per_example = per_example / ops.maximum(count, 1.0)
    return ops.mean(per_example)
