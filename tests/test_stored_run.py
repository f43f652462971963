"""Tests of nmf_teach.stored_run: strict under make test, a note in a learner's kernel."""

import pytest

from nmf_teach.stored_run import STRICT_VARIABLE, check_stored, strict


def test_a_claim_that_holds_prints_nothing(monkeypatch, capsys):
    monkeypatch.delenv(STRICT_VARIABLE, raising=False)
    assert check_stored(True, "anything", stored=1, now=1) is True
    assert capsys.readouterr().out == ""


def test_strict_mode_raises_with_both_values(monkeypatch):
    monkeypatch.setenv(STRICT_VARIABLE, "1")
    assert strict()
    with pytest.raises(AssertionError, match=r"RMSE is 0.850: stored 0.85, now 0.87"):
        check_stored(False, "the RMSE is 0.850", stored=0.85, now=0.87)


@pytest.mark.parametrize("value", [None, "", "0"])
def test_a_learners_kernel_gets_a_note_and_runs_on(monkeypatch, capsys, value):
    if value is None:
        monkeypatch.delenv(STRICT_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(STRICT_VARIABLE, value)
    assert not strict()
    assert check_stored(False, "the RMSE is 0.850", stored=0.85, now=0.87) is False
    out = capsys.readouterr().out
    assert "you changed something" in out and "stored 0.85, now 0.87" in out
