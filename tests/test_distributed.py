"""MirroredStrategy over two logical CPUs trains as one device does.

The training runs in a fresh process (`tests/distributed_training.py`):
logical devices must be configured before TensorFlow initializes, and this
process's TensorFlow is long initialized. See docs/scaling_out.md.
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.tensorflow_only

ROOT = pathlib.Path(__file__).parents[1]


def test_mirrored_strategy_matches_single_device_training():
    result = subprocess.run(
        [sys.executable, "-m", "tests.distributed_training"],
        cwd=ROOT,
        env={**os.environ, "KERAS_BACKEND": "tensorflow"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2, report
    single = np.array(report["single_device_losses"])
    mirrored = np.array(report["mirrored_losses"])
    assert len(single) == len(mirrored) == 12  # 3 epochs of 4 steps
    # Same global batch: the two replicas' gradients add up to the one
    # device's, up to the order of float32 sums.
    np.testing.assert_allclose(mirrored, single, rtol=1e-4, atol=1e-5)
    assert report["max_weight_difference"] < 1e-4
    assert mirrored[-1] < 0.5 * mirrored[0]
