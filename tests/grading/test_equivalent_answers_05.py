"""Correct answers written differently get full marks (05_synthesis)."""

import pytest

from notebooks import grade, variant

pytestmark = pytest.mark.slow
A = "05_synthesis"

# pandas reindexing of a dict-of-dicts table.
STYLE_PANDAS = {
    "comparison_table": '''
COLUMNS = ["one_step_error", "valid_prediction_time", "max_lyapunov",
           "state_space_divergence", "n_params", "train_seconds", "sign_consistency"]


def comparison_table(results):
    table = pd.DataFrame.from_dict({name: dict(m) for name, m in results.items()},
                                   orient="index")
    table = table.reindex(index=list(results), columns=COLUMNS).astype("float64")
    table.index.name = "architecture"
    return table
''',
}

# Plain loops over a dict of columns.
STYLE_LOOPS = {
    "comparison_table": '''
COLUMNS = ["one_step_error", "valid_prediction_time", "max_lyapunov",
           "state_space_divergence", "n_params", "train_seconds", "sign_consistency"]


def comparison_table(results):
    names = []
    columns = {c: [] for c in COLUMNS}
    for name, metrics in results.items():
        names.append(name)
        for c in COLUMNS:
            columns[c].append(float(metrics[c]) if c in metrics else math.nan)
    return pd.DataFrame(columns, index=pd.Index(names, name="architecture"),
                        dtype=np.float64)
''',
}


@pytest.mark.parametrize("style", [STYLE_PANDAS, STYLE_LOOPS], ids=["pandas", "loops"])
def test_alternative_correct_answers_get_full_marks(tmp_path, style):
    path = variant(A, tmp_path, replace=style)
    _, results, _ = grade(A, path)
    wrong = {q: r["message"] for q, r in results.items()
             if q in style and r["score"] < r["max_score"]}
    assert not wrong, wrong
