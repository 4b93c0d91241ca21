"""Small tensor helpers shared by the layers (private)."""

from keras import ops


def sequence_matmul(x, kernel, bias=None):
    """`x @ kernel (+ bias)`, for one step or a whole sequence.

    A sequence is flattened to `(batch * time, features)` so that the
    backend runs one large matrix product, and the bias is added to that
    2-D product, where TensorFlow fuses it into the MatMul.
    """
    if len(x.shape) == 2:
        out = ops.matmul(x, kernel)
        return out if bias is None else out + bias
    shape = ops.shape(x)
    out = ops.matmul(ops.reshape(x, (-1, shape[-1])), kernel)
    if bias is not None:
        out = out + bias
    return ops.reshape(out, (shape[0], shape[1], kernel.shape[-1]))
