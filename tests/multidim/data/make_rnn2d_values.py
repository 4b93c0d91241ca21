"""Writes `rnn2d_values.npz`: rnn2d's own 2-D LSTM forward numbers.

`tests/multidim/test_rnn2d_values.py` loads each case's parameters into
`MultiDirectional(MDLSTM2D(...))` and compares its outputs with the ones
recorded here, so the `"graves"` and `"leifert"` cells, the four scan
directions, their order and the per-image sizes are checked against
Joan Puigcerver's rnn2d (https://github.com/jpuigcerver/rnn2d), the C++
implementation the issue names, not against our reading of it:

- `"graves"`: `rnn2d_lstm_fw_cpu` in `lstm_cpu.h` at commit `082356f`
  (the standard cell, `C = s(Gi) f(A) + s(Gfy) C(y-1,x) + s(Gfx) C(y,x-1)`);
- `"leifert"`: `fw_training` / `fw_elemwise_ops` in
  `src/lstm_stable_cpu.cc` at commit `5eb8d77` (the stable cell,
  `C = s(Gi) f(A) + s(Gf) s(Gl) C(y-1,x) + s(Gf) (1 - s(Gl)) C(y,x-1)`).

Only the forward passes are compared: the backward pass in that stable
file is the standard cell's (its `bw_elemwise_ops` propagates `dC`
through `s(Gfy)` and `s(Gfx)` of the next pixels, not through `s(Gf) s(Gl)`
and `s(Gf) (1 - s(Gl))`). Our gradients are checked by finite
differences. rnn2d's halved cell lives in its later, class-based code
(`include/rnn2d/internal/cpu/lstm2d_cell_halved.h`, not compiled here),
which also orders the directions differently (top-left, bottom-left,
top-right, bottom-right).

The script compiles those forward functions unchanged with `g++` against
the reference BLAS (`dgemm_`, Debian's `libblas-dev`), in float64 and
without OpenMP, and calls them through `ctypes`. Two shim headers stand
in for what the stable file includes but the forward pass does not use
(glog's `CHECK_NOTNULL`, and rnn2d's C wrappers, `DEFINE_WRAPPERS`, which
are left out), and the stable file is compiled from a copy, so that the
headers it includes are the `--standard` checkout's. rnn2d's own build
needs Torch, CUDA and glog; this needs none of them. From the repository
root:

    apt-get install g++ libblas-dev
    git clone https://github.com/jpuigcerver/rnn2d /tmp/rnn2d
    git -C /tmp/rnn2d worktree add /tmp/rnn2d-082356f 082356f
    git -C /tmp/rnn2d worktree add /tmp/rnn2d-5eb8d77 5eb8d77
    python -m tests.multidim.data.make_rnn2d_values \\
        --standard /tmp/rnn2d-082356f \\
        --stable /tmp/rnn2d-5eb8d77/src/lstm_stable_cpu.cc

`--standard` is the checkout whose top level holds `lstm_cpu.h`,
`lstm_cpu_kernels.h`, `lstm_common.h` (the layout macros),
`activation.h` and `math_cpu.h`; the stable file is compiled against
those same headers. Each case records, under `<case>/`: `input`
(rnn2d's layout `H x W x N x K`), `params` (rnn2d's flat parameters:
per direction `z`, the bias `5D`, the input weights `K x 5D`, then `Ry`
and `Rx`, `D x 5D` each, gates in rnn2d's order `a, i, o, f_y, f_x`),
optional `sizes` (`N x 2`, height and width) and `output`
(`H x W x N x 4 x D`, the four directions in rnn2d's order top-left,
top-right, bottom-left, bottom-right), plus `cell` and `source`.
"""

import argparse
import ctypes
import pathlib
import shutil
import subprocess
import tempfile

import numpy as np

HERE = pathlib.Path(__file__).parent
NPZ_FILE = HERE / "rnn2d_values.npz"

# name: cell, H, W, N, K, D, sizes (None: every pixel valid), seed.
CASES = {
    "standard_h4_w5": ("standard", 4, 5, 2, 3, 2, None, 0),
    "standard_h5_w3_sizes": (
        "standard",
        5,
        3,
        3,
        2,
        3,
        [[5, 3], [3, 2], [4, 1]],
        1,
    ),
    "stable_h4_w5": ("stable", 4, 5, 2, 3, 2, None, 2),
    "stable_h5_w3_sizes": (
        "stable",
        5,
        3,
        3,
        2,
        3,
        [[5, 3], [3, 2], [4, 1]],
        3,
    ),
}

SOURCES = {
    "standard": "rnn2d_lstm_fw_cpu, lstm_cpu.h @ 082356f",
    "stable": "fw_training, src/lstm_stable_cpu.cc @ 5eb8d77",
}

SHIM_LSTM_CPU_H = """\
// Stands in for the lstm_cpu.h that src/lstm_stable_cpu.cc includes: the
// stable file defines its own forward pass; its C wrappers are left out.
#define DEFINE_WRAPPERS(device, type)
"""

SHIM_GLOG = "#define CHECK_NOTNULL(x) (x)\n"

DRIVER = """\
#include <numeric>
#include <vector>
#include {include}

extern "C" void forward(int H, int W, int N, int K, int D, const double* I,
                        const int* S, const double* P, double* O,
                        double* Q) {{
  {function}<double, Sigmoid<double>, Tanh<double>, Tanh<double>>(
      H, W, N, K, D, I, S, P, O, Q);
}}
"""


def _compile(directory, cell, standard, stable):
    """A shared library whose `forward` runs rnn2d's forward pass."""
    directory = pathlib.Path(directory)
    includes = [f"-I{standard}"]
    if cell == "standard":
        source = DRIVER.format(
            include='"lstm_cpu.h"', function="rnn2d_lstm_fw_cpu"
        )
    else:
        shims = directory / "shims"
        (shims / "glog").mkdir(parents=True)
        (shims / "lstm_cpu.h").write_text(SHIM_LSTM_CPU_H)
        (shims / "glog" / "logging.h").write_text(SHIM_GLOG)
        includes = [f"-I{shims}", *includes]
        # A copy, so that its quoted includes are not found beside it (in
        # the newer tree) but in the shims and in `standard`.
        shutil.copy(stable, directory / "lstm_stable_cpu.cc")
        source = DRIVER.format(
            include='"lstm_stable_cpu.cc"', function="fw_training"
        )
    driver = directory / f"{cell}.cc"
    driver.write_text(source)
    library = directory / f"{cell}.so"
    subprocess.run(
        [
            "g++",
            "-std=c++20",
            "-O1",
            "-shared",
            "-fPIC",
            *includes,
            str(driver),
            "-lblas",
            "-o",
            str(library),
        ],
        check=True,
    )
    return ctypes.CDLL(str(library))


def _run(library, height, width, batch, channels, units, sizes, seed):
    rng = np.random.default_rng(seed)
    inputs = rng.normal(size=(height, width, batch, channels))
    params = 0.5 * rng.normal(size=4 * (1 + channels + 2 * units) * 5 * units)
    output = np.zeros((height, width, batch, 4, units))
    workspace = np.zeros((4, height, width, batch, 6, units))
    pointer = ctypes.POINTER(ctypes.c_double)
    if sizes is not None:
        sizes = np.asarray(sizes, dtype=np.int32)
        sizes_arg = sizes.ctypes.data_as(ctypes.POINTER(ctypes.c_int))
    else:
        sizes_arg = None
    library.forward(
        height,
        width,
        batch,
        channels,
        units,
        inputs.ctypes.data_as(pointer),
        sizes_arg,
        params.ctypes.data_as(pointer),
        output.ctypes.data_as(pointer),
        workspace.ctypes.data_as(pointer),
    )
    case = {"input": inputs, "params": params, "output": output}
    if sizes is not None:
        case["sizes"] = sizes
    return case


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--standard", required=True)
    parser.add_argument("--stable", required=True)
    args = parser.parse_args(argv)
    arrays = {}
    with tempfile.TemporaryDirectory() as directory:
        libraries = {
            cell: _compile(directory, cell, args.standard, args.stable)
            for cell in SOURCES
        }
        for name, (cell, *shape, sizes, seed) in CASES.items():
            case = _run(libraries[cell], *shape, sizes, seed)
            assert np.all(np.isfinite(case["output"]))
            assert np.any(case["output"] != 0)
            for key, value in case.items():
                arrays[f"{name}/{key}"] = value
            arrays[f"{name}/cell"] = np.array(cell)
            arrays[f"{name}/source"] = np.array(SOURCES[cell])
    np.savez(NPZ_FILE, **arrays)
    print(f"wrote {len(CASES)} cases to {NPZ_FILE}")


if __name__ == "__main__":
    main()
