"""Tests of nmf_teach._factor_model: the contract every factor model shares.

Parameters (get_params, set_params, sklearn.base.clone), columns read by name,
prediction (predict, predict_details, predict_frame with and without clipping)
and the not-fitted error, for NMF, biased NMF and BiasedNMF alike.
"""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import random_ratings
from sklearn.base import clone

from nmf_teach import NMF, tuned_implicit_nmf, tuned_nmf
from nmf_teach._factor_model import NotFittedError, PredictionDetails
from nmf_teach._validation import find_columns
from nmf_teach.biased_nmf import BiasedNMF

MODELS = {
    "NMF": lambda: NMF(n_factors=3, n_epochs=5, random_state=0),
    "NMF biased": lambda: NMF(n_factors=3, n_epochs=5, biased=True, random_state=0),
    "BiasedNMF": lambda: BiasedNMF(n_factors=3, n_epochs=5, random_state=0),
}


@pytest.fixture(params=list(MODELS), ids=list(MODELS))
def model(request):
    return MODELS[request.param]()


def test_clone_gives_an_unfitted_copy_with_the_same_parameters(model):
    df = random_ratings(1)
    model.fit(df)
    copy = clone(model)
    assert type(copy) is type(model) and copy is not model
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "pu_")
    np.testing.assert_array_equal(copy.fit(df).predict_frame(df), model.predict_frame(df))


def test_set_params_changes_the_fit(model):
    df = random_ratings(2)
    before = model.fit(df).pu_.copy()
    assert model.set_params(n_factors=4) is model
    assert model.get_params()["n_factors"] == 4
    assert model.fit(df).pu_.shape == (before.shape[0], 4)
    with pytest.raises(ValueError, match="no_such_parameter"):
        model.set_params(no_such_parameter=1)


def test_repr_lists_the_changed_parameters():
    assert repr(NMF()) == "NMF()"
    assert repr(NMF(n_factors=4, biased=True)) == "NMF(n_factors=4, biased=True)"
    assert repr(BiasedNMF(reg_bu=3.0)) == "BiasedNMF(reg_bu=3.0)"


def test_using_an_unfitted_model_raises_not_fitted_error(model):
    for use in (
        lambda: model.predict(1, 2),
        lambda: model.predict_details(1, 2),
        lambda: model.predict_frame(pd.DataFrame({"user": [1], "item": [2]})),
    ):
        with pytest.raises(NotFittedError, match="not fitted") as error:
            use()
        # like scikit-learn's: caught by `except ValueError` and by `except AttributeError`
        assert isinstance(error.value, ValueError) and isinstance(error.value, AttributeError)


def test_swapped_columns_are_read_by_name(model):
    df = random_ratings(3)
    model.fit(df)
    expected = model.predict_frame(df[["user", "item"]])
    np.testing.assert_array_equal(model.predict_frame(df[["item", "user"]]), expected)
    np.testing.assert_array_equal(model.predict_frame(df[["rating", "item", "user"]]), expected)
    # fitting on the same columns in another order gives the same model
    again = clone(model).fit(df[["rating", "item", "user"]])
    np.testing.assert_array_equal(again.predict_frame(df), expected)


def test_frames_without_the_names_are_read_by_position(model):
    df = random_ratings(4)
    model.fit(df)
    unnamed = df.set_axis(["a", "b", "c"], axis=1)
    np.testing.assert_array_equal(clone(model).fit(unnamed).pu_, model.pu_)
    np.testing.assert_array_equal(model.predict_frame(unnamed), model.predict_frame(df))


def test_other_column_names_can_be_given(model):
    df = random_ratings(5)
    model.fit(df)
    renamed = df.rename(columns={"user": "uid", "item": "iid", "rating": "r"})[["r", "iid", "uid"]]
    refit = clone(model).fit(renamed, columns=("uid", "iid", "r"))
    np.testing.assert_array_equal(refit.pu_, model.pu_)
    np.testing.assert_array_equal(
        refit.predict_frame(renamed, columns=("uid", "iid")), model.predict_frame(df)
    )


def test_columns_that_fit_neither_names_nor_positions_are_refused(model):
    df = random_ratings(6)
    model.fit(df)
    with pytest.raises(ValueError, match="cannot be read by name"):
        model.predict_frame(df[["item", "user"]].rename(columns={"user": "customer"}))
    with pytest.raises(ValueError, match="cannot be read by name"):
        clone(model).fit(df[["item", "user", "rating"]].rename(columns={"user": "who"}))
    with pytest.raises(ValueError, match="more than one column"):
        model.predict_frame(pd.concat([df[["user", "item"]], df[["user"]]], axis=1))
    with pytest.raises(TypeError, match="DataFrame"):
        model.predict_frame(df.to_numpy())


def test_find_columns_rule():
    frame = pd.DataFrame(columns=["user_id", "movie_id", "rating", "timestamp"])
    assert find_columns(frame, ("user", "item", "rating")) == [0, 1, 2]  # positions agree
    frame = pd.DataFrame(columns=["timestamp", "rating", "item", "user"])
    assert find_columns(frame, ("user", "item", "rating")) == [3, 2, 1]
    with pytest.raises(ValueError, match="two columns"):
        find_columns(pd.DataFrame(columns=["user"]), ("user", "item"))


def test_clip_false_returns_the_model_formula(model):
    df = random_ratings(7)
    model.fit(df)
    model.rating_scale_ = (2.0, 3.0)  # a narrow scale, so that clipping matters
    raw = model.predict_frame(df, clip=False)
    u = np.array([model.user_index_[x] for x in df.user])
    i = np.array([model.item_index_[x] for x in df.item])
    formula = np.sum(model.pu_[u] * model.qi_[i], axis=1)
    if model.biased:
        formula += model.global_mean_ + model.bu_[u] + model.bi_[i]
    np.testing.assert_allclose(raw, formula, atol=1e-12)
    assert (raw < 2).any() or (raw > 3).any()
    np.testing.assert_array_equal(model.predict_frame(df), np.clip(raw, 2, 3))


def test_predict_details_on_every_model(model):
    df = random_ratings(8)
    model.fit(df)
    user, item = df.user.iloc[0], df.item.iloc[0]
    details = model.predict_details(user, item, r_ui=4.0)
    assert isinstance(details, PredictionDetails)
    assert (details.uid, details.iid, details.r_ui) == (user, item, 4.0)
    assert details.est == model.predict(user, item) and not details.was_impossible
    unknown = model.predict_details("nobody", item)
    assert unknown.was_impossible == (not model.biased)


def test_the_id_index_is_built_once_per_fit(model):
    df = random_ratings(9)
    model.fit(df)
    users, items = model._id_lookup()
    model.predict_frame(df)
    assert model._id_lookup()[0] is users and model._id_lookup()[1] is items
    model.fit(random_ratings(10))  # new ids: a new index
    assert model._id_lookup()[0] is not users
    assert list(model._id_lookup()[0]) == list(model.user_ids_)


def test_notebooks_show_the_one_line_repr_not_an_html_diagram(model):
    """Jupyter displays a model as its repr (what the notebooks store), not scikit-learn's HTML."""
    assert model._repr_mimebundle_() == {"text/plain": repr(model)}
    assert not hasattr(model, "_repr_html_")


@pytest.mark.parametrize("bad", ["0", 1.5, True, np.random.default_rng(0)])
def test_a_bad_random_state_is_a_type_error_naming_the_choices(model, bad):
    with pytest.raises(TypeError, match="random_state must be None"):
        model.set_params(random_state=bad).fit(random_ratings(11))


# ------------------------------------------------- unknown ids, wrong types, pickling


def test_predict_warns_once_per_unknown_id(model):
    ratings = random_ratings(3)
    model.fit(ratings)
    item = ratings["item"].iloc[0]
    with pytest.warns(UserWarning, match=r"unknown user 'nobody'.*global mean"):
        est = model.predict("nobody", item)
    assert est == model.predict_details("nobody", item).est
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second warning for the same id would raise
        assert model.predict("nobody", item) == est
    with pytest.warns(UserWarning, match=r"unknown item 'no film'"):
        model.predict(ratings["user"].iloc[0], "no film")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(ratings["user"].iloc[0], item)  # known ids: no warning
        model.predict_frame(pd.DataFrame({"user": ["nobody"], "item": [item]}))


def test_predict_strict_raises_on_an_unknown_id(model):
    ratings = random_ratings(3)
    model.fit(ratings)
    with pytest.raises(ValueError, match=r"unknown user 'nobody'.*strict=True"):
        model.predict("nobody", ratings["item"].iloc[0], strict=True)
    with pytest.raises(ValueError, match=r"unknown user 'x' and item 'y'"):
        model.predict("x", "y", strict=True)
    row = ratings.iloc[0]
    assert model.predict(row["user"], row["item"], strict=True) == model.predict(
        row["user"], row["item"]
    )


@pytest.mark.parametrize("bad", [["u1", "u2"], np.array(["u1"]), {"u1"}])
def test_a_list_where_one_id_is_expected_is_a_type_error(model, bad):
    ratings = random_ratings(3)
    model.fit(ratings)
    with pytest.raises(TypeError, match="one user id.*predict_frame"):
        model.predict(bad, ratings["item"].iloc[0])
    with pytest.raises(TypeError, match="one item id"):
        model.predict_details(ratings["user"].iloc[0], bad)


PICKLED = {
    **MODELS,
    "tuned_nmf": lambda: tuned_nmf(random_state=0).set_params(n_factors=5, n_epochs=3),
    "ImplicitNMF": lambda: tuned_implicit_nmf(random_state=0).set_params(n_factors=5, n_epochs=3),
}


@pytest.mark.parametrize("name", list(PICKLED))
def test_every_model_predicts_identically_after_a_pickle_round_trip(name, tmp_path):
    from nmf_teach.recommend import top_n_all

    ratings = random_ratings(4)
    fitted = PICKLED[name]().fit(ratings)
    path = tmp_path / "model.pkl"
    with path.open("wb") as file:
        pickle.dump(fitted, file)
    with path.open("rb") as file:
        loaded = pickle.load(file)
    assert type(loaded) is type(fitted) and loaded.get_params() == fitted.get_params()
    pairs = pd.concat([ratings, pd.DataFrame({"user": ["new"], "item": [ratings["item"].iloc[0]]})])
    for clip in (True, False):
        np.testing.assert_array_equal(
            loaded.predict_frame(pairs, clip=clip), fitted.predict_frame(pairs, clip=clip)
        )
    for user, item in ratings[["user", "item"]].head(20).itertuples(index=False):
        assert loaded.predict(user, item) == fitted.predict(user, item)
    users = list(ratings["user"].unique()[:5])
    assert top_n_all(loaded, users, n=5, seen=ratings) == top_n_all(
        fitted, users, n=5, seen=ratings
    )
