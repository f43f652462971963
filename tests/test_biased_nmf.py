"""Tests of nmf_teach.biased_nmf: BaselineOnly parity, non-negativity, descent, API, bad input."""

import helpers
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from surprise import BaselineOnly, Dataset, Reader

from nmf_teach._factor_model import NotFittedError
from nmf_teach.biased_nmf import BiasedNMF


def random_ratings(seed: int, **kwargs) -> pd.DataFrame:
    return helpers.random_ratings(seed, **{"n": 400, **kwargs})


SMALL = dict(n_factors=4, n_epochs=5)


def test_biases_after_the_baseline_step_equal_surprise_baseline_only():
    df = random_ratings(0)
    trainset = Dataset.load_from_df(df, Reader(rating_scale=(0.5, 5))).build_full_trainset()
    baseline = BaselineOnly(verbose=False).fit(trainset)
    model = BiasedNMF(n_factors=3, n_epochs=0).fit(df, rating_scale=(0.5, 5))
    bu = [baseline.bu[trainset.to_inner_uid(u)] for u in model.user_ids_]
    bi = [baseline.bi[trainset.to_inner_iid(i)] for i in model.item_ids_]
    np.testing.assert_allclose(model.bu_, bu, atol=1e-12)
    np.testing.assert_allclose(model.bi_, bi, atol=1e-12)
    assert model.global_mean_ == pytest.approx(trainset.global_mean)


def test_factors_non_negative_finite_and_shapes():
    df = random_ratings(1)
    model = BiasedNMF(**SMALL, random_state=0).fit(df)
    n_users, n_items = df.user.nunique(), df.item.nunique()
    assert model.pu_.shape == (n_users, 4) and model.qi_.shape == (n_items, 4)
    assert model.bu_.shape == (n_users,) and model.bi_.shape == (n_items,)
    for factors in (model.pu_, model.qi_):
        assert np.isfinite(factors).all() and (factors >= 0).all()
    assert model.rating_scale_ == (0.5, 5.0)
    assert list(model.user_ids_) == list(pd.unique(df.user))
    assert all(model.user_index_[u] == r for r, u in enumerate(model.user_ids_))
    assert all(model.item_index_[i] == r for r, i in enumerate(model.item_ids_))


def test_objective_never_increases_and_training_error_drops():
    df = random_ratings(2)
    model = BiasedNMF(n_factors=5, n_epochs=15, reg_pu=0.01, reg_qi=0.01, random_state=0).fit(df)
    assert model.objective_.shape == (16,) and model.train_rmse_.shape == (16,)
    steps = np.diff(model.objective_)
    assert (steps <= 1e-9 * model.objective_[0]).all()
    assert model.train_rmse_[-1] < model.train_rmse_[0]


def test_objective_matches_its_definition():
    df = random_ratings(3)
    m = BiasedNMF(**SMALL, random_state=0).fit(df, rating_scale=(-10, 10))
    u = np.array([m.user_index_[x] for x in df.user])
    i = np.array([m.item_index_[x] for x in df.item])
    est = m.global_mean_ + m.bu_[u] + m.bi_[i] + np.sum(m.pu_[u] * m.qi_[i], axis=1)
    n_u, n_i = np.bincount(u), np.bincount(i)
    expected = (
        np.sum((df.rating - est) ** 2)
        + m.reg_bu * np.sum(m.bu_**2)
        + m.reg_bi * np.sum(m.bi_**2)
        + m.reg_pu * np.sum(n_u * np.sum(m.pu_**2, axis=1))
        + m.reg_qi * np.sum(n_i * np.sum(m.qi_**2, axis=1))
    )
    assert m.objective_[-1] == pytest.approx(expected, rel=1e-10)
    # Unclipped predictions on a wide scale are exactly the model formula.
    np.testing.assert_allclose(m.predict_frame(df), est, atol=1e-12)


def test_converged_fit_satisfies_the_optimality_conditions_of_every_block():
    """At convergence no single p_uf, q_if, b_u or b_i can be moved to lower J (KKT conditions).

    J = sum e_ui^2 + reg_bu sum b_u^2 + reg_bi sum b_i^2 + reg_pu sum |I_u| |p_u|^2
    + reg_qi sum |U_i| |q_i|^2. Minus half its gradient must be 0 for the biases
    and for factors > 0, and <= 0 for factors at the bound 0.
    """
    df = random_ratings(4)
    m = BiasedNMF(n_factors=3, n_epochs=200, random_state=0).fit(df, rating_scale=(-10, 10))
    u = np.array([m.user_index_[x] for x in df.user])
    i = np.array([m.item_index_[x] for x in df.item])
    n_u = np.bincount(u, minlength=len(m.user_ids_))
    n_i = np.bincount(i, minlength=len(m.item_ids_))
    residual = df.rating.to_numpy() - m.predict_frame(df, clip=False)
    blocks = {  # name: (minus half the gradient, the values, constrained to >= 0)
        "b_u": (np.bincount(u, residual) - m.reg_bu * m.bu_, m.bu_, False),
        "b_i": (np.bincount(i, residual) - m.reg_bi * m.bi_, m.bi_, False),
    }
    for f in range(3):
        blocks[f"p_u{f}"] = (
            np.bincount(u, residual * m.qi_[i, f]) - m.reg_pu * n_u * m.pu_[:, f],
            m.pu_[:, f],
            True,
        )
        blocks[f"q_i{f}"] = (
            np.bincount(i, residual * m.pu_[u, f]) - m.reg_qi * n_i * m.qi_[:, f],
            m.qi_[:, f],
            True,
        )
    for name, (grad, values, non_negative) in blocks.items():
        free = values > 1e-8 if non_negative else np.ones(len(values), bool)
        assert free.any(), name
        assert np.abs(grad[free]).max() < 1e-3, name  # stationary where not at the bound
        assert (grad[~free] < 1e-3).all(), name  # and pushing against the bound at 0


def test_negative_ratings_are_fitted_only_the_factors_are_non_negative():
    """Shifting every rating by -3 shifts mu by -3 and leaves biases and factors unchanged."""
    df = random_ratings(12)
    shifted = df.assign(rating=df.rating - 3)
    assert (shifted.rating < 0).any()
    m = BiasedNMF(**SMALL, random_state=0).fit(df, rating_scale=(-10, 10))
    m_shift = BiasedNMF(**SMALL, random_state=0).fit(shifted, rating_scale=(-13, 7))
    assert m_shift.global_mean_ == pytest.approx(m.global_mean_ - 3)
    for name in ("bu_", "bi_", "pu_", "qi_"):
        np.testing.assert_allclose(getattr(m_shift, name), getattr(m, name), atol=1e-9)
    assert (m_shift.pu_ >= 0).all() and (m_shift.qi_ >= 0).all()
    np.testing.assert_allclose(m_shift.predict_frame(df), m.predict_frame(df) - 3, atol=1e-9)


def test_fit_accepts_a_surprise_trainset():
    df = random_ratings(13)
    trainset = Dataset.load_from_df(df, Reader(rating_scale=(0.5, 5))).build_full_trainset()
    from_trainset = BiasedNMF(**SMALL, random_state=3).fit(trainset)
    from_frame = BiasedNMF(**SMALL, random_state=3).fit(df, rating_scale=(0.5, 5))
    assert from_trainset.rating_scale_ == (0.5, 5)
    pairs = df[["user", "item"]]
    np.testing.assert_allclose(
        from_trainset.predict_frame(pairs), from_frame.predict_frame(pairs), atol=1e-9
    )
    # the trainset's inner ids are the rows of the factors
    assert [trainset.to_inner_iid(i) for i in from_trainset.item_ids_] == list(
        range(trainset.n_items)
    )


def test_deterministic_with_a_seed_and_seed_matters():
    df = random_ratings(5)
    a = BiasedNMF(**SMALL, random_state=7).fit(df)
    b = BiasedNMF(**SMALL, random_state=7).fit(df)
    c = BiasedNMF(**SMALL, random_state=8).fit(df)
    np.testing.assert_array_equal(a.pu_, b.pu_)
    np.testing.assert_array_equal(a.predict_frame(df), b.predict_frame(df))
    assert not np.array_equal(a.pu_, c.pu_)
    rng = np.random.RandomState(7)
    np.testing.assert_array_equal(BiasedNMF(**SMALL, random_state=rng).fit(df).pu_, a.pu_)


def test_predict_equals_predict_frame_and_fallbacks():
    df = random_ratings(6)
    m = BiasedNMF(**SMALL, random_state=0).fit(df)
    pairs = pd.DataFrame(
        [(u, i) for u in [*pd.unique(df.user)[:5], "nobody"] for i in [*pd.unique(df.item)[:5], -1]]
    )
    frame = m.predict_frame(pairs)
    single = np.array([m.predict(u, i) for u, i in pairs.itertuples(index=False)])
    np.testing.assert_array_equal(frame, single)
    assert np.all((frame >= 0.5) & (frame <= 5))
    known_item = pd.unique(df.item)[0]
    known_user = pd.unique(df.user)[0]
    mu = m.global_mean_
    assert m.predict("nobody", -1) == pytest.approx(np.clip(mu, 0.5, 5))
    assert m.predict("nobody", known_item) == pytest.approx(
        np.clip(mu + m.bi_[m.item_index_[known_item]], 0.5, 5)
    )
    assert m.predict(known_user, -1) == pytest.approx(
        np.clip(mu + m.bu_[m.user_index_[known_user]], 0.5, 5)
    )


def test_unbiased_model_is_a_plain_nmf():
    df = random_ratings(7)
    m = BiasedNMF(**SMALL, biased=False, random_state=0).fit(df, rating_scale=(0, 10))
    assert not m.bu_.any() and not m.bi_.any()
    u, i = df.user.iloc[0], df.item.iloc[0]
    expected = m.pu_[m.user_index_[u]] @ m.qi_[m.item_index_[i]]
    assert m.predict(u, i) == pytest.approx(expected)
    assert m.predict("nobody", i) == pytest.approx(df.rating.mean())


@pytest.mark.parametrize(
    "params, error, message",
    [
        (dict(n_factors=0), ValueError, "n_factors"),
        (dict(n_factors=2.5), TypeError, "n_factors"),
        (dict(n_epochs=-1), ValueError, "n_epochs"),
        (dict(bias_epochs=-1), ValueError, "bias_epochs"),
        (dict(reg_pu=-0.1), ValueError, "reg_pu"),
        (dict(reg_bi=float("nan")), ValueError, "reg_bi"),
        (dict(reg_qi="0.1"), TypeError, "reg_qi"),
        (dict(init_low=-1.0), ValueError, "init_low"),
        (dict(init_low=0.5, init_high=0.5), ValueError, "init_high"),
    ],
)
def test_bad_parameters_raise(params, error, message):
    with pytest.raises(error, match=message):
        BiasedNMF(**params).fit(random_ratings(8))


def test_bad_data_raise():
    df = random_ratings(9)
    with pytest.raises(TypeError, match="DataFrame"):
        BiasedNMF().fit(df.to_numpy())
    with pytest.raises(ValueError, match="NaN"):
        BiasedNMF().fit(df.assign(rating=np.where(df.index == 3, np.nan, df.rating)))
    with pytest.raises(ValueError, match="duplicate"):
        BiasedNMF().fit(pd.concat([df, df.iloc[:1]]))
    with pytest.raises(ValueError, match="excludes"):
        BiasedNMF().fit(df, rating_scale=(1, 4))
    with pytest.raises(ValueError, match="rating_scale"):
        BiasedNMF().fit(df, rating_scale=(5, 1))
    for use in (
        lambda m: m.predict("u1", 3),
        lambda m: m.predict_details("u1", 3),
        lambda m: m.predict_frame(df),
    ):
        with pytest.raises(NotFittedError, match="not fitted"):
            use(BiasedNMF())
    with pytest.raises(ValueError, match="first two columns"):
        BiasedNMF(**SMALL).fit(df).predict_frame(df[["user"]])


def test_repr_shows_changed_settings():
    assert repr(BiasedNMF(n_factors=7, random_state=1)) == "BiasedNMF(n_factors=7, random_state=1)"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    k=st.integers(1, 6),
    reg=st.sampled_from([0.0, 0.01, 0.1]),
    biased=st.booleans(),
)
def test_property_non_negative_and_descending(seed, k, reg, biased):
    df = random_ratings(seed, n_users=8, n_items=9, n=30)
    m = BiasedNMF(
        n_factors=k, n_epochs=6, reg_pu=reg, reg_qi=reg, biased=biased, random_state=seed
    ).fit(df)
    assert (m.pu_ >= 0).all() and (m.qi_ >= 0).all()
    assert np.isfinite(m.pu_).all() and np.isfinite(m.qi_).all()
    assert (np.diff(m.objective_) <= 1e-9 * max(1.0, m.objective_[0])).all()
    pred = m.predict_frame(df)
    assert np.isfinite(pred).all() and (pred >= 0.5).all() and (pred <= 5).all()


@pytest.mark.parametrize("biased", [False, True])
def test_uncompiled_kernels_give_the_compiled_fit(monkeypatch, biased):
    """Every kernel's plain-Python form (numba's .py_func) computes what the compiled one does."""
    import nmf_teach.biased_nmf as module

    df = random_ratings(3)
    params = dict(n_factors=3, n_epochs=3, bias_epochs=2, biased=biased, random_state=0)
    compiled = BiasedNMF(**params).fit(df)
    for name in [
        "_subtract_dots", "_refit_user_biases", "_refit_item_biases", "_factor_sweep",
        "_objective_parts", "_clipped_minimiser",
    ]:  # fmt: skip
        kernel = getattr(module, name)
        monkeypatch.setattr(module, name, getattr(kernel, "py_func", kernel))
    python = BiasedNMF(**params).fit(df)
    for attribute in ("pu_", "qi_", "bu_", "bi_", "objective_"):
        np.testing.assert_allclose(
            getattr(python, attribute), getattr(compiled, attribute), rtol=1e-12, atol=1e-12
        )


@pytest.mark.parametrize("biased", [False, True])
def test_predict_one_pair_equals_predict_frame(biased):
    df = random_ratings(8)
    model = BiasedNMF(**SMALL, biased=biased, random_state=0).fit(df)
    users = list(df.user.unique()[:5]) + ["nobody"]
    items = list(df.item.unique()[:5]) + [-1]
    pairs = pd.DataFrame([(u, i) for u in users for i in items], columns=["user", "item"])
    one_by_one = [model.predict(u, i) for u, i in pairs.itertuples(index=False)]
    np.testing.assert_allclose(one_by_one, model.predict_frame(pairs), rtol=0, atol=1e-12)
    assert all(isinstance(x, float) for x in one_by_one)


def reference_epoch(df: pd.DataFrame, m: BiasedNMF, P: np.ndarray, Q: np.ndarray):
    """One epoch written rating by rating from the module docstring's equations.

    Biases first (every b_u, then every b_i, each the exact minimiser), then for
    each factor f every p_uf and then every q_if, each the clipped minimiser of
    its one-variable quadratic with the factor taken out of the residual.
    """
    u = np.array([m.user_index_[x] for x in df.user])
    i = np.array([m.item_index_[x] for x in df.item])
    r = df.rating.to_numpy(dtype=float)
    mu, bu, bi = m.global_mean_, np.zeros(len(m.user_ids_)), np.zeros(len(m.item_ids_))
    P, Q = P.copy(), Q.copy()

    def residual():
        return r - mu - bu[u] - bi[i] - np.sum(P[u] * Q[i], axis=1)

    for user in range(len(bu)):
        mine = u == user
        bu[user] = np.sum(residual()[mine] + bu[user]) / (m.reg_bu + mine.sum())
    for item in range(len(bi)):
        mine = i == item
        bi[item] = np.sum(residual()[mine] + bi[item]) / (m.reg_bi + mine.sum())
    for f in range(P.shape[1]):
        for user in range(len(bu)):
            mine = u == user
            without_f = residual()[mine] + P[user, f] * Q[i[mine], f]
            num = np.sum(Q[i[mine], f] * without_f)
            den = np.sum(Q[i[mine], f] ** 2) + m.reg_pu * mine.sum()
            P[user, f] = max(0.0, num / den)
        for item in range(len(bi)):
            mine = i == item
            without_f = residual()[mine] + P[u[mine], f] * Q[item, f]
            num = np.sum(P[u[mine], f] * without_f)
            den = np.sum(P[u[mine], f] ** 2) + m.reg_qi * mine.sum()
            Q[item, f] = max(0.0, num / den)
    return bu, bi, P, Q


def test_one_epoch_equals_the_reference_written_from_the_equations():
    """Catches a missing or wrong block update: biases, p or q (compared entry by entry)."""
    df = random_ratings(11, n_users=12, n_items=15, n=90)
    params = dict(n_factors=3, bias_epochs=0, reg_pu=0.05, reg_qi=0.07, random_state=5)
    model = BiasedNMF(n_epochs=1, **params).fit(df)
    start = BiasedNMF(n_epochs=0, **params).fit(df)  # the same starting factors
    bu, bi, P, Q = reference_epoch(df, model, start.pu_, start.qi_)
    assert not np.allclose(P, start.pu_) and not np.allclose(Q, start.qi_)  # the epoch moved them
    for ours, expected in [(model.bu_, bu), (model.bi_, bi), (model.pu_, P), (model.qi_, Q)]:
        np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-10)
