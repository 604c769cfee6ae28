"""The summary table for reading: values rounded to their errors."""

import pytest

from spinglass_ml.analysis.records import rounded_rows, with_error


@pytest.mark.parametrize(
    "value, err, text",
    [(1.1783, 0.0071, "1.178(7)"), (1.0, 0.0123, "1.000(12)"), (0.9751, 0.036, "0.98(4)"),
     (1.8, 0.2, "1.8(2)"), (123.4, 15.0, "123(15)"), (1.2, None, "1.2"), (None, 0.1, "")],
)  # fmt: skip
def test_values_are_rounded_to_their_errors(value, err, text):
    assert with_error(value, err) == text


def test_rounded_rows_fold_the_errors_in():
    row = {"condition": "clean", "method": "collapse", "Tc": 1.1783, "Tc_err": 0.0071, "nu": None,
           "nu_err": None, "reason": None}  # fmt: skip
    (out,) = rounded_rows([row])
    assert out["Tc"] == "1.178(7)" and out["nu"] == "" and out["Tc_err"] is None and row["Tc"] == 1.1783
