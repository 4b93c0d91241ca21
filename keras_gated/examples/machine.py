"""Where a figure came from: the CPU, the core count and the versions.

Every benchmark result and the demo's report carry this, so that a figure
is never quoted without its machine.
"""

import os
import pathlib
import platform
import sys


def cpu_model():
    """The CPU's model name, e.g. "Intel(R) Xeon(R) Platinum 8488C".

    Read from `/proc/cpuinfo` ("model name") on Linux; elsewhere
    `platform.processor()`, and `platform.machine()` when that is empty.
    """
    cpuinfo = pathlib.Path("/proc/cpuinfo")
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_features():
    """The vector extensions that move CPU timings most, as a short string.

    E.g. "avx2 avx512f amx" from `/proc/cpuinfo`'s flags; "" where they
    cannot be read. Two CPUs with one model name can differ here.
    """
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            wanted = ("avx2", "avx512f", "amx_tile")
            return " ".join(
                f.replace("_tile", "") for f in wanted if f in flags
            )
    return ""


def versions():
    """The versions a figure depends on, as a dict of strings."""
    import keras

    import keras_gated

    found = {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "keras_gated": keras_gated.__version__,
        "backend": keras.backend.backend(),
    }
    backend_modules = {
        "tensorflow": "tensorflow",
        "jax": "jax",
        "torch": "torch",
    }
    module = sys.modules.get(backend_modules.get(found["backend"], ""))
    if module is not None:
        found[found["backend"]] = module.__version__
    return found


def describe():
    """The machine and versions, as a dict (JSON-ready)."""
    return {
        "cpu": cpu_model(),
        "cpu_features": cpu_features(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        **versions(),
    }


def one_line():
    """`describe()` as one line, for a printed or written result."""
    machine = describe()
    backend = machine["backend"]
    backend_version = machine.get(backend, "?")
    return (
        f"{machine['cpu']} ({machine['cpu_features'] or 'no flags read'}), "
        f"{machine['cores']} cores; {backend} "
        f"{backend_version}, Keras {machine['keras']}, Python "
        f"{machine['python']}"
    )
