"""Argument validation shared by the public classes (private).

Every check raises `ValueError` naming the argument and the value received,
in the words Keras itself uses, so that a bad argument fails at construction
time instead of deep inside a backend.
"""

import numbers


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


def one_of(name, value, choices):
    """Returns `value`, or raises if it is not one of `choices`."""
    if value not in choices:
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected one "
            f"of {sorted(choices)}, got {value!r}."
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
