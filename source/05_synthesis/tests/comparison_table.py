"""Public checks for comparison_table: shapes and labels only.

Passing them is not full marks: hidden tests on Gradescope decide the grade.
"""
from otter.test_files import test_case

OK_FORMAT = False

name = "comparison_table (public checks only: hidden tests decide the grade)"
points = 0

COLUMNS = ["one_step_error", "valid_prediction_time", "max_lyapunov",
           "state_space_divergence", "n_params", "train_seconds", "sign_consistency"]


@test_case(points=0, hidden=False)
def labels(comparison_table, np):
    t = comparison_table({"B": {"n_params": 10}, "A": {"one_step_error": 0.5, "extra": 1}})
    assert list(t.columns) == COLUMNS, f"expected the columns {COLUMNS} in this order"
    assert list(t.index) == ["B", "A"], "rows must follow the order of the dict"
    assert t.index.name == "architecture", "the index must be named 'architecture'"
    assert float(t.loc["B", "n_params"]) == 10.0 and float(t.loc["A", "one_step_error"]) == 0.5
    assert np.isnan(float(t.loc["A", "n_params"])), "a missing metric must be NaN"
