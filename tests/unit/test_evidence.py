"""The claims page's live measurements: ReLU vs sigmoid to a target loss, sparsity vs dense cost."""

from __future__ import annotations

import math

from relu_viz import evidence


def test_relu_reaches_the_target_loss_in_fewer_epochs_than_sigmoid():
    relu, sigmoid = evidence.race(max_epochs=400)
    assert relu.activation == "relu" and sigmoid.activation == "sigmoid"
    assert math.isfinite(relu.epochs) and relu.final_loss <= 0.1
    assert not math.isfinite(sigmoid.epochs) or sigmoid.epochs > 3 * relu.epochs


def test_a_race_that_cannot_finish_reports_nan():
    (result,) = evidence.race(activations=("relu",), target_loss=0.0, max_epochs=3)
    assert math.isnan(result.epochs) and math.isnan(result.seconds) and result.final_loss > 0


def test_relu_output_is_half_zeros_and_dense_matmul_does_not_care():
    m = evidence.sparsity_and_cost(width=256, batch=1024, repeats=5)
    assert 0.45 < m.zero_share < 0.55
    assert m.sparse_ms > 0 and m.dense_ms > 0
    # no sparse speed-up: the product on half-zero inputs is not twice as fast (noise allowed)
    assert m.sparse_ms > 0.6 * m.dense_ms
