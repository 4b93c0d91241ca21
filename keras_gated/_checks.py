"""Argument validation shared by the public classes (private).

Every check raises `ValueError` naming the argument and the value received,
in the words Keras itself uses, so that a bad argument fails at construction
time instead of deep inside a backend.
"""

import numbers
import warnings

import numpy as np


def positive_int(name, value):
    """Returns `value` as an `int`, or raises if it is not a positive int."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value <= 0
    ):
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected a "
            f"positive integer, got {value!r}."
        )
    return int(value)


def rate(name, value):
    """Returns `value` as a float, or raises if it is not in `[0, 1)`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0.0 <= value < 1.0
    ):
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected a "
            f"float in [0, 1), got {value!r}."
        )
    return float(value)


def positive_float(name, value):
    """Returns `value` as a float, or raises if it is not `> 0`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not value > 0
    ):
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected a "
            f"positive float, got {value!r}."
        )
    return float(value)


def boolean(name, value):
    """Returns `value`, or raises if it is not a Python bool."""
    if not isinstance(value, bool):
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected "
            f"True or False, got {value!r}."
        )
    return value


def non_negative_float(name, value):
    """Returns `value` as a float, or raises if it is not `>= 0`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not value >= 0
    ):
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected a "
            f"non-negative float, got {value!r}."
        )
    return float(value)


def non_negative_int(name, value):
    """Returns `value` as an `int`, or raises if it is not an int `>= 0`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < 0
    ):
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected a "
            f"non-negative integer, got {value!r}."
        )
    return int(value)


def shape_of(name, value, expected, description):
    """Raises unless `value`'s static shape fits `expected`.

    `expected` is a tuple of ints or `None` (any size); dimensions unknown
    when tracing are not checked. `description` says what the argument is,
    e.g. "`(batch_size, timesteps)`, the shape of the inputs' first two
    axes".
    """
    shape = tuple(getattr(value, "shape", ()))
    fits = len(shape) == len(expected) and all(
        want is None or got is None or got == want
        for got, want in zip(shape, expected)
    )
    if not fits:
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected "
            f"shape {tuple(expected)}: {description}; got shape {shape}."
        )
    return value


def states(name, values, state_size, layout):
    """Raises unless `values` are states of sizes `state_size`.

    `layout` names the states, e.g. `"[h, c]"`. A batch size is not
    checked here (it may be unknown); the count and the sizes are.
    """
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    shapes = [tuple(getattr(v, "shape", ())) for v in values]
    fits = len(values) == len(state_size) and all(
        len(shape) == 2 and shape[-1] in (None, size)
        for shape, size in zip(shapes, state_size)
    )
    if not fits:
        sizes = ", ".join(f"(batch_size, {size})" for size in state_size)
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected "
            f"{len(state_size)} state(s) {layout} of shapes {sizes}; got "
            f"{len(values)} of shapes {shapes}."
        )


def same_batch(name, values, batch, description):
    """Raises unless every tensor in `values` has `batch` rows.

    Checked only where both the expected batch size and the value's are
    known statically (when tracing, either may be `None`). `description`
    says where `batch` comes from, e.g. "the batch of the inputs".
    """
    if batch is None:
        return
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    shapes = [tuple(getattr(v, "shape", ())) for v in values]
    if any(shape and shape[0] not in (None, batch) for shape in shapes):
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected a "
            f"batch of {batch} ({description}); got shapes {shapes}."
        )


def mask(name, value, expected, description):
    """Returns `value` as a mask of shape `expected`, or raises.

    A nested list or tuple of Python bools or ints (e.g.
    `[[True, False]]`) is accepted and converted to a boolean NumPy
    array; a one-element list holding a tensor (how Keras passes the mask
    of one input) is unwrapped. String masks are refused by name, rather
    than failing in a backend's cast. The shape is then checked as by
    `shape_of`.
    """
    if isinstance(value, (list, tuple)):
        if len(value) == 1 and hasattr(value[0], "shape"):
            value = value[0]
        else:
            try:
                array = np.asarray(value)
            except ValueError:
                array = np.asarray(None, dtype=object)
            if array.dtype.kind not in "biufUS":
                raise ValueError(
                    f"Received an invalid value for argument `{name}`, "
                    f"expected a boolean mask of shape {tuple(expected)} "
                    f"({description}): a tensor, a NumPy array or a "
                    "rectangular nested list of bools; got a "
                    f"{type(value).__name__} that is none of these."
                )
            value = array if array.dtype.kind in "US" else array.astype(bool)
    dtype = getattr(value, "dtype", None)
    if dtype is not None and _is_string_dtype(dtype):
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected a "
            f"boolean mask ({description}); got a mask of strings, of "
            f"dtype {dtype}."
        )
    return shape_of(name, value, expected, description)


def no_strings(name, value):
    """Raises if `value` is an array, tensor or nested list of strings."""
    if value is None:
        return
    if isinstance(value, (list, tuple)):
        try:
            value = np.asarray(value)
        except ValueError:
            return  # Ragged: `mask` explains it.
    dtype = getattr(value, "dtype", None)
    if dtype is not None and _is_string_dtype(dtype):
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected a "
            f"boolean mask; got a mask of strings, of dtype {dtype}."
        )


def _is_string_dtype(dtype):
    kind = getattr(dtype, "kind", None)
    if kind is not None:  # NumPy
        return kind in "USO"
    return "string" in str(dtype) or "str" == str(dtype)


def renamed_argument(kwargs, old, new, value, default):
    """Takes a renamed constructor argument from `kwargs`, with a warning.

    Returns the value of `new`, or the value passed as `old` (removed from
    `kwargs`) with a `DeprecationWarning`. Passing both is an error.
    Loading a saved config never warns: `from_config` maps old keys with
    `renamed_config_key` first (docs/design/0008).
    """
    if old not in kwargs:
        return value
    old_value = kwargs.pop(old)
    if value != default:
        raise ValueError(
            f"Received both `{old}` and `{new}`; `{old}` is the old name of "
            f"`{new}`. Pass only {new}={old_value!r}."
        )
    warnings.warn(
        f"The argument `{old}` is renamed `{new}`; pass {new}={old_value!r}.",
        DeprecationWarning,
        stacklevel=3,
    )
    return old_value


def renamed_config_key(config, old, new):
    """Returns `config` with the key `old` renamed `new` (a saved config)."""
    if old not in config:
        return config
    config = dict(config)
    config[new] = config.pop(old)
    return config
