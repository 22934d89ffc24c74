"""The descriptor transformers as scikit-learn estimators."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from skii_glass import (
    BondOrderDescriptors,
    Configuration,
    CoordinationDescriptors,
    DensityDescriptors,
    EnergyDescriptors,
    StericOrderDescriptors,
    StructuralDescriptors,
    configuration_groups,
    get_preset,
)
from skii_glass.descriptors import descriptor_names, structural_descriptors

KA2D = get_preset("ka2d")

FAMILIES = [
    (DensityDescriptors, ("rho", "phi")),
    (EnergyDescriptors, ("u",)),
    (BondOrderDescriptors, ("psi6",)),
    (StericOrderDescriptors, ("theta",)),
    (CoordinationDescriptors, ("z",)),
]


def _config(seed, nx=11, ny=11):
    rng = np.random.default_rng(seed)
    a = 1.0 / np.sqrt(KA2D.density)
    i, j = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    pos = np.c_[i.ravel(), j.ravel()] * a + rng.normal(0, 0.12 * a, (nx * ny, 2))
    return Configuration(pos, rng.integers(0, 3, nx * ny), np.array([nx, ny]) * a, KA2D)


@pytest.fixture(scope="module")
def configs():
    return [_config(0), _config(1, 12, 11), _config(2, 11, 13)]


def test_structural_descriptors_stacks_configurations(configs):
    t = StructuralDescriptors()
    X = t.fit_transform(configs)
    want = np.vstack([structural_descriptors(c) for c in configs])
    np.testing.assert_array_equal(X, want)
    assert list(t.get_feature_names_out()) == descriptor_names()
    assert t.n_configurations_ == 3
    np.testing.assert_array_equal(t.groups_, configuration_groups(configs))
    assert np.bincount(t.groups_).tolist() == [c.n_particles for c in configs]
    # One configuration is a list of one.
    np.testing.assert_array_equal(t.transform(configs[1]), structural_descriptors(configs[1]))


@pytest.mark.parametrize(("cls", "families"), FAMILIES)
def test_family_transformers_are_column_blocks(configs, cls, families):
    full = StructuralDescriptors().fit(configs)
    X = full.transform(configs)
    names = list(full.get_feature_names_out())
    t = cls().fit(configs)
    cols = [names.index(n) for n in t.get_feature_names_out()]
    assert list(t.get_feature_names_out()) == descriptor_names(descriptors=families)
    np.testing.assert_array_equal(t.transform(configs), X[:, cols])


def test_pandas_output_and_feature_names(configs):
    t = StructuralDescriptors(lengths=[3.0, 1.0]).set_output(transform="pandas")
    df = t.fit_transform(configs)
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == descriptor_names([1.0, 3.0])
    assert df.columns[4 * 2 + 1] == "theta_L3.0"
    assert len(df) == sum(c.n_particles for c in configs)
    assert not df.isna().any().any()
    d = DensityDescriptors(lengths=[0.5]).set_output(transform="pandas").fit_transform(configs)
    assert list(d.columns) == ["rho_L0.5", "phi_L0.5"]


def test_clone_get_set_params():
    t = StructuralDescriptors(lengths=[1.0, 2.0], neighbor_cutoff=1.3,
                              descriptors=("theta",), n_jobs=2)
    p = t.get_params()
    assert p == {"lengths": [1.0, 2.0], "neighbor_cutoff": 1.3, "descriptors": ("theta",),
                 "n_jobs": 2, "structure": "thermal", "density": "overlap",
                 "allow_overlaps": False}
    c = clone(t)
    assert c.get_params() == p and c is not t
    c.set_params(neighbor_cutoff=1.5)
    assert t.neighbor_cutoff == 1.3 and c.neighbor_cutoff == 1.5
    assert set(BondOrderDescriptors().get_params()) == {"lengths", "neighbor_cutoff", "n_jobs",
                                                        "allow_overlaps"}
    assert set(DensityDescriptors().get_params()) == {"lengths", "n_jobs", "density",
                                                      "allow_overlaps"}
    assert "StructuralDescriptors" in repr(t)


def test_neighbor_cutoff_changes_only_neighbour_families(configs):
    a = StructuralDescriptors().fit_transform(configs)
    b = StructuralDescriptors(neighbor_cutoff=1.2).fit_transform(configs)
    names = descriptor_names()
    for k, n in enumerate(names):
        same = np.array_equal(a[:, k], b[:, k])
        assert same == (n.split("_")[0] in ("rho", "phi", "u")), n


def test_n_jobs_gives_the_same_matrix(configs):
    a = StructuralDescriptors().fit_transform(configs)
    b = StructuralDescriptors(n_jobs=2).fit_transform(configs)
    np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)


def test_group_kfold_splits_by_configuration(configs):
    t = StructuralDescriptors(descriptors=("rho", "u", "theta")).set_output(
        transform="pandas")
    X = t.fit_transform(configs)
    y = X["theta_L2.0"].to_numpy() + 0.1 * X["rho_L1.5"].to_numpy()
    for train, test in GroupKFold(n_splits=3).split(X, y, t.groups_):
        assert len(set(t.groups_[test])) == 1
        assert set(t.groups_[train]).isdisjoint(t.groups_[test])
    model = make_pipeline(StandardScaler(), LinearRegression())
    pred = cross_val_predict(model, X, y, groups=t.groups_, cv=GroupKFold(n_splits=3))
    assert np.corrcoef(pred, y)[0, 1] > 0.99  # y is linear in two of the columns


def test_transformer_as_first_pipeline_step(configs):
    y = np.concatenate([np.arange(c.n_particles) % 7 for c in configs]).astype(float)
    pipe = Pipeline([("desc", StructuralDescriptors()), ("scale", StandardScaler()),
                     ("reg", LinearRegression())]).fit(configs, y)
    assert pipe.predict(configs[:1]).shape == (configs[0].n_particles,)
    assert list(pipe[:-1].get_feature_names_out()) == descriptor_names()


def test_not_fitted_and_bad_input(configs):
    t = StructuralDescriptors()
    with pytest.raises(NotFittedError):
        t.transform(configs)
    with pytest.raises(NotFittedError):
        t.get_feature_names_out()
    with pytest.raises(ValueError, match="Configuration"):
        t.fit(np.zeros((10, 2)))
    with pytest.raises(ValueError, match="empty"):
        t.fit([])
    with pytest.raises(ValueError, match="item 1"):
        t.fit([configs[0], "c.xyz"])
    with pytest.raises(ValueError, match="half the shorter box side"):
        StructuralDescriptors(lengths=[6.0]).fit(configs)
    with pytest.raises(ValueError, match="lengths"):
        StructuralDescriptors(lengths=[-1.0]).fit(configs)
    with pytest.raises(ValueError, match="descriptors"):
        StructuralDescriptors(descriptors=("rho", "q6")).fit(configs)
    with pytest.raises(ValueError, match="neighbor_cutoff"):
        StructuralDescriptors(neighbor_cutoff=np.ones((2, 2))).fit(configs)
    with pytest.raises(ValueError, match="n_jobs"):
        StructuralDescriptors(n_jobs=0).fit(configs)
    # A configuration too small for the fitted lengths is rejected at transform time.
    fitted = StructuralDescriptors().fit(configs)
    small = Configuration([[0.0, 0.0], [1.0, 1.0]], ["A", "B"], box=8.0)
    with pytest.raises(ValueError, match="half the shorter box side"):
        fitted.transform(small)
    check_is_fitted(fitted)
    # Short lengths but a box too small for the potential cutoff: caught at fit.
    tiny = Configuration([[0.0, 0.0], [1.0, 1.0]], ["A", "B"], box=4.5)
    with pytest.raises(ValueError, match="potential cutoff 2.5 is larger .* configuration 1"):
        StructuralDescriptors(lengths=[0.5]).fit([configs[0], tiny])
    assert DensityDescriptors(lengths=[0.5]).fit_transform(tiny).shape == (2, 2)


def test_configuration_groups_single_and_list(configs):
    assert configuration_groups(configs[0]).tolist() == [0] * configs[0].n_particles
    g = configuration_groups(configs)
    assert g.dtype.kind == "i" and len(g) == sum(c.n_particles for c in configs)


@pytest.mark.parametrize("cls", [StructuralDescriptors] + [f for f, _ in FAMILIES])
def test_overlapping_particles_rejected_before_size_checks(configs, cls):
    # Two particles at the same place: u would be NaN (r = 0) or ~1e24 (r = 0.01).
    pos = configs[0].positions.copy()
    pos[1] = pos[0] + [0.01, 0.0]
    bad = Configuration(pos, configs[0].species, configs[0].box, KA2D)
    with pytest.raises(ValueError, match=r"configuration 1: particles 0 .* and 1 .* overlap"):
        cls().fit([configs[1], bad])
    # The overlap is named even when the lengths do not fit the box either.
    with pytest.raises(ValueError, match="overlap.*allow_overlaps=True"):
        cls(lengths=[50.0]).fit(bad)
    fitted = cls().fit(configs[1])
    with pytest.raises(ValueError, match="configuration 0: particles 0"):
        fitted.transform(bad)
    # Asked for, the overlap is computed as given (finite here: r = 0.01, not 0).
    X = cls(allow_overlaps=True).fit_transform(bad)
    assert X.shape[0] == bad.n_particles
