import keras
from keras import ops

from keras_gated import _checks
from keras_gated._compat import DropoutRNNCell
from keras_gated._compat import rnn
from keras_gated._masking import tensorflow_masked_outputs
from keras_gated.seq2seq._attention_mechanism import check_memory_mask
from keras_gated.seq2seq._attention_mechanism import check_memory_shape
from keras_gated.seq2seq.attention_decoder_cell import SHOW_ATTEND_TELL
from keras_gated.seq2seq.attention_decoder_cell import AttentionDecoderCell
from keras_gated.seq2seq.doubly_stochastic_penalty import MEAN_OVER_POSITIONS
from keras_gated.seq2seq.doubly_stochastic_penalty import NONE
from keras_gated.seq2seq.doubly_stochastic_penalty import SUM_OVER_POSITIONS
from keras_gated.seq2seq.doubly_stochastic_penalty import check_reduction
from keras_gated.seq2seq.doubly_stochastic_penalty import (
    doubly_stochastic_penalty,
)


@keras.saving.register_keras_serializable(package="keras_gated")
class AttentionDecoder(keras.layers.Layer):
    """Runs an `AttentionDecoderCell` over a target sequence.

    The attention counterpart of `keras.layers.RNN`: called as

    ```python
    decoder(targets, memory=encoder_outputs, memory_mask=source_mask,
            initial_state=encoder_states, mask=target_mask)
    ```

    it runs `cell` (see `AttentionDecoderCell` for the equations and the
    state layout) at every step of `targets`, `(batch, timesteps,
    features)`, attending over `memory`, `(batch, source_len, memory_dim)`.
    The memory is an ordinary call argument (a model input, in a functional
    model), handed to the cell at every step together with the attention
    keys, which are computed once, before the loop. Nothing is stored on
    the layer between calls, so models save to `.keras` and export as
    SavedModels with the memory as an input.

    Outputs, in this order (a single tensor when only the first is asked):

    - the output sequence `(batch, timesteps, output_size)` with
      `return_sequences`, else the last output `(batch, output_size)`;
    - with `return_alignments`, the alignments `(batch, timesteps,
      source_len)`: row `t` is the attention distribution of step `t`,
      ready for a heatmap. Rows of masked target steps are zero;
    - with `return_state`, the final states: the cell's full state list
      `[output, attention, alignments, *cell_states]` (`[output, context,
      alignments, *cell_states]` in the Show-Attend-Tell wiring).

    Masks follow Keras' TensorFlow `while_loop`, on every backend: a
    masked target step leaves every state unchanged and outputs the
    previous output, or zeros before the first valid step (zeros at every
    masked step with `zero_output_for_mask=True`). The target mask comes
    from `mask`, or else from the Keras mask attached to `targets` (e.g. by
    `keras.layers.Embedding(mask_zero=True)`); the memory mask from
    `memory_mask`, or else from the Keras mask attached to `memory` (e.g.
    the output of an encoder `keras.layers.RNN(return_sequences=True)` over
    a masked embedding). Pass `mask` explicitly whenever Keras cannot
    attach it, e.g. from a separate model input.

    Notes:

    - `initial_state` may be either the wrapped cell's states (an encoder's
      final `[h, c]` for an LSTM, `[h]` for a GRU), the rest of the state
      then starting at zero, or a full state list as returned with
      `return_state=True`, to continue decoding.
    - Only `AttentionDecoderCell` is accepted as `cell`: wrap a plain cell
      with `AttentionDecoderCell(cell, attention=...)`, so that the
      attention settings live (and serialize) in one place.
    - The dropout masks of a wrapped `DropoutRNNCell` (all keras_gated and
      Keras cells) are drawn once per call, before the loop, as
      `keras.layers.RNN` does.

    Args:
        cell: An `AttentionDecoderCell`.
        return_sequences: Whether to return the whole output sequence or
            only the last output. Default: `False`, as `keras.layers.RNN`.
        return_state: Whether to also return the final state list.
            Default: `False`.
        return_alignments: Whether to also return the alignments of every
            step. Default: `False`.
        go_backwards: Whether to process the targets backwards (and return
            the reversed sequence), as `keras.layers.RNN`. Default: `False`.
        unroll: Whether to unroll the loop (needs a static number of
            timesteps). Default: `False`.
        zero_output_for_mask: Whether masked steps output zeros instead of
            the previous output. Default: `False`.
        attention_penalty: Non-negative float λ. When positive, every
            call with `training=True` (e.g. in `fit`) adds `λ ·
            doubly_stochastic_penalty(alignments, memory_mask=...)` to the
            layer's losses with `add_loss`, over the valid target steps and
            memory positions, whether or not `return_alignments` is set
            (Xu et al. 2015, eq. 14). Inference and `evaluate` calls add
            nothing, so their loss is the model's loss alone. Default: 0.
        attention_penalty_reduction: How the penalty is reduced over the
            memory positions: `"sum_over_positions"` (the paper's
            equation) or `"mean_over_positions"` (the PyTorch tutorial's
            scale); see `keras_gated.doubly_stochastic_penalty`.
            Default: `"sum_over_positions"`.
        **kwargs: Base layer arguments, e.g. `name` and `dtype`.

    Call arguments:
        sequences: The decoder inputs, `(batch, timesteps, features)`, e.g.
            embedded target tokens shifted right (teacher forcing).
        memory: `(batch, source_len, memory_dim)`, e.g. encoder outputs or a
            flattened image feature map.
        memory_mask: Optional boolean `(batch, source_len)`, False at padding
            positions of the memory.
        initial_state: Optional list: the wrapped cell's states or a full
            state list (see Notes).
        mask: Optional boolean `(batch, timesteps)`, False at padding
            positions of the targets.
        training: Whether dropout applies.
        sequences_mask: Filled in by Keras with the mask attached to
            `sequences`; used when `mask` is not given.

    Example:

    >>> cell = AttentionDecoderCell(keras.layers.GRUCell(8), "luong")
    >>> decoder = AttentionDecoder(
    ...     cell, return_sequences=True, return_alignments=True)
    >>> targets = keras.random.normal((2, 4, 3))
    >>> memory = keras.random.normal((2, 6, 5))
    >>> memory_mask = keras.ops.arange(6)[None, :] < keras.ops.array(
    ...     [[6], [2]])
    >>> outputs, alignments = decoder(
    ...     targets, memory=memory, memory_mask=memory_mask)
    >>> tuple(outputs.shape), tuple(alignments.shape)
    ((2, 4, 8), (2, 4, 6))
    >>> float(keras.ops.sum(alignments[1, :, 2:]))
    0.0

    References:
        D. Bahdanau, K. Cho, Y. Bengio. "Neural Machine Translation by
        Jointly Learning to Align and Translate", ICLR 2015.
        https://arxiv.org/abs/1409.0473

        M.-T. Luong, H. Pham, C. D. Manning. "Effective Approaches to
        Attention-based Neural Machine Translation", EMNLP 2015.
        https://arxiv.org/abs/1508.04025

        K. Xu et al. "Show, Attend and Tell: Neural Image Caption
        Generation with Visual Attention", ICML 2015 (the penalty:
        section 4.2.1). https://arxiv.org/abs/1502.03044
    """

    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        return_alignments=False,
        go_backwards=False,
        unroll=False,
        zero_output_for_mask=False,
        attention_penalty=0.0,
        attention_penalty_reduction=SUM_OVER_POSITIONS,
        **kwargs,
    ):
        if not isinstance(cell, AttentionDecoderCell):
            raise ValueError(
                "Received an invalid value for argument `cell`, expected a "
                "`keras_gated.AttentionDecoderCell` (wrap a plain cell with "
                f"`AttentionDecoderCell(cell, attention=...)`), got {cell!r}."
            )
        for name, value in [
            ("return_sequences", return_sequences),
            ("return_state", return_state),
            ("return_alignments", return_alignments),
            ("go_backwards", go_backwards),
            ("unroll", unroll),
            ("zero_output_for_mask", zero_output_for_mask),
        ]:
            _checks.boolean(name, value)
        attention_penalty = _checks.non_negative_float(
            "attention_penalty", attention_penalty
        )
        attention_penalty_reduction = check_reduction(
            "attention_penalty_reduction", attention_penalty_reduction
        )
        if attention_penalty_reduction == NONE:
            raise ValueError(
                "Received an invalid value for argument "
                "`attention_penalty_reduction`, expected "
                f"'{SUM_OVER_POSITIONS}' or '{MEAN_OVER_POSITIONS}' (a "
                f"loss is a scalar), got {attention_penalty_reduction!r}."
            )
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.return_alignments = return_alignments
        self.go_backwards = go_backwards
        self.unroll = unroll
        self.zero_output_for_mask = zero_output_for_mask
        self.attention_penalty = attention_penalty
        self.attention_penalty_reduction = attention_penalty_reduction
        self.supports_masking = True

    def build(self, sequences_shape, memory_shape):
        sequences_shape = _check_sequences_shape(sequences_shape)
        check_memory_shape(memory_shape)
        if not self.cell.built:
            self.cell.build(
                (sequences_shape[0], sequences_shape[-1]), memory_shape
            )

    def __call__(self, *args, **kwargs):
        # Before Keras converts the arguments: on JAX a string array
        # would otherwise fail in that conversion, naming no argument.
        _checks.no_strings("memory_mask", kwargs.get("memory_mask"))
        return super().__call__(*args, **kwargs)

    def call(
        self,
        sequences,
        memory,
        memory_mask=None,
        initial_state=None,
        mask=None,
        training=False,
        sequences_mask=None,
    ):
        _check_sequences_shape(sequences.shape)
        check_memory_shape(memory.shape, self.cell.memory_dim)
        if mask is None:
            mask = sequences_mask
        _checks.shape_of(
            "sequences",
            sequences,
            (None, None, self.cell.input_dim),
            "the decoder inputs, with as many features as the decoder was "
            "built for",
        )
        _checks.shape_of(
            "memory",
            memory,
            (sequences.shape[0], None, self.cell.memory_dim),
            "the memory of every sequence of the batch",
        )
        memory_mask = check_memory_mask(memory_mask, memory)
        if mask is not None:
            mask = _checks.mask(
                "mask",
                mask,
                tuple(sequences.shape[:2]),
                "the `(batch_size, timesteps)` of the inputs",
            )
        if initial_state is not None:
            _checks.same_batch(
                "initial_state",
                keras.tree.flatten(initial_state),
                sequences.shape[0],
                "the batch of the decoder inputs",
            )
        states = self._initial_state(initial_state, memory)
        keys = self.cell.project_memory(memory)
        self._draw_dropout_masks(sequences, states)

        # The penalty is a training loss: it needs every step's alignments.
        penalize = bool(training) and self.attention_penalty > 0
        with_alignments = self.return_alignments or penalize
        collect = self.return_sequences or with_alignments

        def step(inputs, states):
            if mask is None:
                step_inputs, keep = inputs, None
            else:
                step_inputs, keep = inputs[:, :-1], inputs[:, -1:] > 0.5
            output, new_states = self.cell(
                step_inputs,
                list(states),
                memory=memory,
                memory_mask=memory_mask,
                keys=keys,
                training=training,
            )
            alignments = new_states[2]
            if keep is not None:
                new_states = [
                    ops.where(keep, new, old)
                    for new, old in zip(new_states, states)
                ]
                if self.zero_output_for_mask:
                    output = ops.where(keep, output, ops.zeros_like(output))
                else:
                    output = ops.where(keep, output, states[0])
                alignments = ops.where(
                    keep, alignments, ops.zeros_like(alignments)
                )
            if with_alignments:
                output = ops.concatenate([output, alignments], axis=-1)
            return output, new_states

        # The target mask travels as one more input feature, so that the
        # step masks its own states and alignments (a nested input would
        # do, but Keras' TensorFlow loop cannot take one of unknown length).
        if mask is None:
            inputs = sequences
        else:
            keep_feature = ops.cast(ops.expand_dims(mask, -1), sequences.dtype)
            inputs = ops.concatenate([sequences, keep_feature], axis=-1)
        last_output, outputs, states = rnn(
            step,
            inputs,
            states,
            go_backwards=self.go_backwards,
            mask=None,
            unroll=self.unroll,
            input_length=sequences.shape[1],
            return_all_outputs=collect,
        )
        self._reset_dropout_masks()
        if mask is not None:
            # Zeros before the first valid step, as Keras' TensorFlow loop
            # (the step above repeats `states[0]`, as its JAX loop).
            last_output, all_outputs = tensorflow_masked_outputs(
                last_output,
                outputs if collect else None,
                mask,
                self.go_backwards,
                self.zero_output_for_mask,
            )
            if collect:
                outputs = all_outputs

        size = self.cell.output_size
        output = outputs if self.return_sequences else last_output
        results = [_last_axis(output[..., :size], size)]
        if with_alignments:
            alignments = _last_axis(outputs[..., size:], memory.shape[1])
            if penalize:
                # Masked target steps have zero alignments already, and
                # the sum over the steps does not see their order.
                self.add_loss(
                    self.attention_penalty
                    * ops.cast(
                        doubly_stochastic_penalty(
                            alignments,
                            memory_mask=memory_mask,
                            reduction=self.attention_penalty_reduction,
                        ),
                        "float32",
                    )
                )
        if self.return_alignments:
            results.append(alignments)
        if self.return_state:
            results.extend(states)
        return results[0] if len(results) == 1 else tuple(results)

    def _initial_state(self, initial_state, memory):
        if initial_state is None:
            return self.cell.get_initial_state(memory)
        if not keras.tree.is_nested(initial_state):
            initial_state = [initial_state]
        initial_state = list(initial_state)
        cell_count = len(self.cell.cell_state_size)
        second = (
            "context" if self.cell.wiring == SHOW_ATTEND_TELL else "attention"
        )
        if len(initial_state) == cell_count:
            return self.cell.get_initial_state(memory, initial_state)
        if len(initial_state) == cell_count + 3:
            dtype = self.cell.compute_dtype
            return [ops.cast(s, dtype) for s in initial_state]
        raise ValueError(
            f"Received an invalid value for argument `initial_state`: "
            f"expected the wrapped cell's {cell_count} states or the full "
            f"decoder state of {cell_count + 3} tensors "
            f"`[output, {second}, alignments, *cell_states]`, got "
            f"{len(initial_state)} tensors."
        )

    def _draw_dropout_masks(self, sequences, states):
        inner = self.cell.cell
        if not isinstance(inner, DropoutRNNCell):
            return
        step_input = sequences[:, 0]
        # The wrapped cell reads [x_t; a_{t-1}] with input feeding and
        # [x_t; z_t] in the Show-Attend-Tell wiring: `states[1]`'s size.
        if self.cell.input_feeding or self.cell.wiring == SHOW_ATTEND_TELL:
            step_input = ops.concatenate([step_input, states[1]], axis=-1)
        inner.get_dropout_mask(step_input)
        inner.get_recurrent_dropout_mask(states[3])

    def _reset_dropout_masks(self):
        inner = self.cell.cell
        if isinstance(inner, DropoutRNNCell):
            inner.reset_dropout_mask()
            inner.reset_recurrent_dropout_mask()

    def compute_mask(self, sequences, mask=None):
        # One mask per output, in the order of `call`'s outputs.
        masks = [mask if self.return_sequences else None]
        if self.return_alignments:
            masks.append(mask)  # The alignments are always per step.
        if self.return_state:
            masks.extend([None] * len(self.cell.state_size))
        return masks[0] if len(masks) == 1 else masks

    def get_config(self):
        config = {
            "cell": keras.saving.serialize_keras_object(self.cell),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "return_alignments": self.return_alignments,
            "go_backwards": self.go_backwards,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "attention_penalty": self.attention_penalty,
            "attention_penalty_reduction": self.attention_penalty_reduction,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["cell"] = keras.saving.deserialize_keras_object(
            config["cell"], custom_objects=custom_objects
        )
        return cls(**config)


def _check_sequences_shape(shape):
    shape = tuple(shape)
    if len(shape) != 3 or shape[-1] is None:
        raise ValueError(
            "AttentionDecoder expects inputs of shape `(batch_size, "
            "timesteps, features)` with a known number of features. "
            f"Received: sequences.shape={shape}"
        )
    return shape


def _last_axis(x, size):
    """`x`, with its last axis statically `size` (when `size` is known).

    Slicing a last axis of unknown length (output and alignments travel
    concatenated) loses the static size of the part; this restores it.
    """
    if size is None:
        return x
    return ops.reshape(x, (*ops.shape(x)[:-1], size))
