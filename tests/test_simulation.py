"""Tests of the Monte Carlo engine against independent references (numpy O(N^2) energies,
a pure-Python xoshiro256**, exact Boltzmann distributions of tiny systems)."""

import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

from skii_glass import Configuration, get_preset
from skii_glass import _mc_kernels as _k
from skii_glass import simulation as sim
from skii_glass.simulation import (
    check_overlaps,
    energy_drift,
    equilibrate,
    log_linear_times,
    particle_energies,
    potential_energy,
    random_configuration,
    run_mc,
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------- references
def brute_pair_matrix(config):
    """All-pairs minimum-image pair energies, numpy only."""
    m = config.mixture
    d = config.positions[:, None, :] - config.positions[None, :, :]
    d -= config.box * np.rint(d / config.box)
    r = np.sqrt((d**2).sum(-1))
    a = config.species[:, None]
    b = config.species[None, :]
    v = m.pair_energy(np.where(r > 0, r, 1.0), a, b)
    np.fill_diagonal(v, 0.0)
    return v


def brute_energy(config):
    return brute_pair_matrix(config).sum() / 2.0


def xoshiro_ref(state, n):
    mask = (1 << 64) - 1
    s = [int(v) for v in state]

    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & mask

    out = []
    for _ in range(n):
        out.append(rotl((s[1] * 5) & mask, 7) * 9 & mask)
        t = (s[1] << 17) & mask
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
    return out, s


@pytest.fixture(scope="module")
def liquid():
    """A melted ka2d configuration, N = 120."""
    c = random_configuration("ka2d", 120, seed=11)
    return run_mc(c, 3.0, 100, seed=12).final


def same_result(a, b):
    np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_array_equal(a.energies, b.energies)
    np.testing.assert_array_equal(a.final.positions, b.final.positions)
    np.testing.assert_array_equal(a.final.species, b.final.species)
    assert a.rng_state == b.rng_state
    assert a.acceptance == b.acceptance


# ---------------------------------------------------------------- kernels
def test_xoshiro_matches_reference():
    state = np.array([1, 2, 3, 2**63 + 12345], dtype=np.uint64)
    expected, final = xoshiro_ref(state, 50)
    got = _k.rng_draw(state, 50)
    assert [int(v) for v in got] == expected
    assert [int(v) for v in state] == final


@pytest.mark.parametrize("box", [(9.0, 9.0), (14.0, 10.5)])
def test_neighbor_list_matches_all_pairs(box):
    rng = np.random.default_rng(0)
    n = 150
    pos = rng.uniform(-20, 20, size=(n, 2))
    species = rng.integers(0, 3, n)
    rl = np.array([[2.0, 2.5, 3.0], [2.5, 1.5, 2.2], [3.0, 2.2, 2.7]])
    # a too small initial width is grown; the result does not depend on it
    pos_in = np.mod(pos, box)
    ent, nn = _k.build_neighbor_list(pos_in, species, box[0], box[1], (rl**2).ravel(), 3, 2)
    ent2, nn2 = _k.build_neighbor_list(pos_in, species, box[0], box[1], (rl**2).ravel(), 3,
                                       200)
    np.testing.assert_array_equal(nn, nn2)
    d = pos_in[None, :, :] - pos_in[:, None, :]
    d -= np.array(box) * np.rint(d / np.array(box))
    r = np.sqrt((d**2).sum(-1))
    want = (r < rl[species[:, None], species[None, :]]) & ~np.eye(n, dtype=bool)
    for i in range(n):
        np.testing.assert_array_equal(ent[i, : nn[i]], ent2[i, : nn[i]])
        fields = np.array([_k.unpack(v) for v in ent[i, : nn[i]]]).reshape(-1, 4)
        got, p, ix, iy = fields.T
        assert sorted(got.tolist()) == np.flatnonzero(want[i]).tolist()
        assert p.tolist() == (species[i] * 3 + species[got]).tolist()
        # subtracting the image shift gives the nearest image
        img = pos_in[got] - np.column_stack([ix * box[0], iy * box[1]])
        np.testing.assert_allclose(img - pos_in[i], d[i, got], atol=1e-12)


def test_particle_energies_match_numpy(liquid):
    u = particle_energies(liquid)
    np.testing.assert_allclose(u, brute_pair_matrix(liquid).sum(1), rtol=1e-12, atol=1e-12)
    assert potential_energy(liquid) == pytest.approx(brute_energy(liquid), rel=1e-12)


def test_potential_energy_rectangular_box():
    c = random_configuration("ka2d", 150, seed=3)
    stretched = Configuration(c.positions * [1.5, 1.0], c.species, c.box * [1.5, 1.0])
    assert potential_energy(stretched) == pytest.approx(brute_energy(stretched), rel=1e-12)


# ---------------------------------------------------------------- Monte Carlo
def test_running_energy_equals_recomputation(liquid):
    res = run_mc(liquid, 0.8, 400, seed=5)
    assert res.acceptance > 0.3
    assert res.n_rebuilds > 0  # the list was rebuilt along the way
    e_brute = brute_energy(res.final)
    n = liquid.n_particles
    assert res.energies[-1] * n == pytest.approx(e_brute, abs=1e-9)
    assert res.energy_error < 1e-11


def test_running_energy_with_swaps(liquid):
    res = run_mc(liquid, 0.8, 300, seed=6, swap_probability=0.3)
    assert 0 < res.swap_acceptance < 1
    assert not np.array_equal(res.final.species, liquid.species)
    np.testing.assert_array_equal(np.bincount(res.final.species), np.bincount(liquid.species))
    assert res.energies[-1] * liquid.n_particles == pytest.approx(brute_energy(res.final),
                                                                  abs=1e-9)


def test_two_particles_sample_boltzmann():
    """Displacement moves of two particles: p(r) ~ r exp(-V(r)/T) inside r < L/2."""
    mix = get_preset("ka2d")
    t = 1.0
    c = Configuration([[1.0, 1.0], [2.2, 1.0]], ["A", "A"], box=10.0, mixture=mix)
    n_sweeps = 60000
    res = run_mc(c, t, n_sweeps, max_displacement=1.0, seed=1,
                 sample_times=np.arange(0, n_sweeps, 2))
    d = res.positions[:, 1] - res.positions[:, 0]
    d -= 10.0 * np.rint(d / 10.0)
    r = np.hypot(d[:, 0], d[:, 1])
    r = r[r < 3.0]
    grid = np.linspace(0.5, 3.0, 20001)
    w = grid * np.exp(-mix.pair_energy(grid, 0, 0) / t)
    cdf = np.cumsum(w)
    cdf /= cdf[-1]
    edges = np.array([0.95, 1.05, 1.12, 1.2, 1.35, 1.6, 2.0, 2.5])
    expect = np.interp(edges, grid, cdf)
    got = np.searchsorted(np.sort(r), edges) / r.size
    np.testing.assert_allclose(got, expect, atol=0.03)


def test_swap_moves_sample_exact_boltzmann_over_species():
    """Swap-only MC on fixed positions: energy-level frequencies = Boltzmann weights."""
    import itertools

    pos = np.array([[5.0, 5.0], [6.05, 5.0], [5.5, 5.9], [4.5, 5.95], [6.6, 5.9], [5.4, 4.0]])
    base = np.array([0, 0, 1, 1, 2, 2])
    c = Configuration(pos, base, box=14.0)
    t = 0.7
    energies = {}
    for perm in set(itertools.permutations(base.tolist())):
        e = round(brute_energy(Configuration(pos, list(perm), box=14.0)), 9)
        energies[e] = energies.get(e, 0) + 1
    levels = np.array(sorted(energies))
    weight = np.array([energies[e] for e in levels]) * np.exp(-(levels - levels[0]) / t)
    p = weight / weight.sum()
    res = run_mc(c, t, 100000, seed=3, swap_probability=1.0)
    np.testing.assert_array_equal(res.final.positions, c.positions)  # nothing moved
    e6 = np.round(res.energies * 6, 6)
    idx = np.searchsorted(levels - 1e-6, e6) - 1
    assert np.allclose(levels[idx], e6, atol=1e-5)
    freq = np.bincount(idx, minlength=levels.size) / e6.size
    assert 0.5 * np.abs(freq - p).sum() < 0.02  # total variation distance
    assert np.dot(freq, levels) == pytest.approx(np.dot(p, levels), abs=0.02)


def test_swap_and_plain_mc_same_mean_energy():
    """At T = 2 both equilibrate quickly; swaps must not shift the mean energy."""
    start = random_configuration("ka2d", 80, seed=21)
    means = []
    for swap in (0.0, 0.2):
        res = run_mc(start, 2.0, 30000, seed=22, swap_probability=swap)
        e = res.energies[2000:]
        blocks = e[: e.size // 20 * 20].reshape(20, -1).mean(1)
        means.append((blocks.mean(), blocks.std(ddof=1) / np.sqrt(20)))
        if swap:
            assert res.swap_acceptance > 0.01
    (m0, s0), (m1, s1) = means
    assert abs(m0 - m1) < 4 * np.hypot(s0, s1) + 1e-3


def test_seeding_reproducible(liquid):
    a = run_mc(liquid, 1.0, 30, seed=7)
    b = run_mc(liquid, 1.0, 30, seed=np.random.SeedSequence(7))
    same_result(a, b)
    c = run_mc(liquid, 1.0, 30, seed=8)
    assert not np.array_equal(a.final.positions, c.final.positions)
    g1 = run_mc(liquid, 1.0, 5, seed=np.random.default_rng(1))
    g2 = run_mc(liquid, 1.0, 5, seed=np.random.default_rng(1))
    same_result(g1, g2)
    # the state dict continues the stream deterministically
    d1 = run_mc(a.final, 1.0, 10, seed=a.rng_state)
    d2 = run_mc(a.final, 1.0, 10, seed=a.rng_state)
    same_result(d1, d2)
    assert d1.rng_state != a.rng_state


def test_samples_are_unwrapped_and_consistent(liquid):
    res = run_mc(liquid, 2.0, 1500, seed=9, sample_times=range(0, 1501))
    assert res.times.tolist() == list(range(1501))
    np.testing.assert_array_equal(res.positions[0], liquid.positions)
    step = np.abs(np.diff(res.positions, axis=0)).max()
    assert step < 0.5  # continuous: no jumps by a box length
    np.testing.assert_allclose(np.mod(res.positions[-1], liquid.box), res.final.positions,
                               atol=1e-12)
    assert np.any(res.positions[-1] < 0) or np.any(res.positions[-1] >= liquid.box[0])
    assert res.energy_per_particle == pytest.approx(res.energies.mean())
    assert res.trial_moves_per_second > 0


def test_sample_times_validation(liquid):
    res = run_mc(liquid, 1.0, 10, seed=1, sample_times=[3, 3, 7])
    assert res.times.tolist() == [0, 3, 7, 10]
    with pytest.raises(ValueError, match="sample_times must lie"):
        run_mc(liquid, 1.0, 10, seed=1, sample_times=[11])
    with pytest.raises(ValueError, match="integer"):
        run_mc(liquid, 1.0, 10, seed=1, sample_times=[1.5])


# ---------------------------------------------------------------- checkpoints
def test_chunked_checkpoint_run_is_bit_identical(liquid, tmp_path):
    kw = dict(seed=31, sample_times=[1, 5, 17, 40], swap_probability=0.1)
    ref = run_mc(liquid, 0.9, 60, **kw)
    res = run_mc(liquid, 0.9, 60, checkpoint=tmp_path / "c.npz", checkpoint_every=7, **kw)
    same_result(ref, res)
    # a finished run is read back from its checkpoint without work
    again = run_mc(liquid, 0.9, 60, checkpoint=tmp_path / "c.npz", checkpoint_every=7, **kw)
    same_result(ref, again)
    assert np.isnan(again.trial_moves_per_second)


def test_interrupted_run_resumes_bit_identically(liquid, tmp_path, monkeypatch):
    kw = dict(seed=32, sample_times=log_linear_times(80, 5, 4))
    ref = run_mc(liquid, 0.9, 80, **kw)
    ckpt = tmp_path / "run.npz"
    real = _k.mc_sweeps
    calls = []

    def dying(*args):
        calls.append(1)
        if len(calls) == 5:  # 1 warm-up + 3 chunks done, killed in the 4th
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(_k, "mc_sweeps", dying)
    with pytest.raises(KeyboardInterrupt):
        run_mc(liquid, 0.9, 80, checkpoint=ckpt, checkpoint_every=10, **kw)
    monkeypatch.setattr(_k, "mc_sweeps", real)
    assert ckpt.exists()
    assert int(np.load(ckpt)["sweep"]) == 30
    same_result(ref, run_mc(liquid, 0.9, 80, checkpoint=ckpt, checkpoint_every=10, **kw))


def test_sigkill_then_resume(liquid, tmp_path):
    """A real process killed with SIGKILL mid-run resumes from its last checkpoint."""
    np.savez(tmp_path / "start.npz", pos=liquid.positions, species=liquid.species,
             box=liquid.box)
    ckpt = tmp_path / "k.npz"
    script = textwrap.dedent(f"""
        import numpy as np
        from skii_glass import Configuration
        from skii_glass.simulation import run_mc
        z = np.load({str(tmp_path / "start.npz")!r})
        c = Configuration(z["pos"], z["species"], z["box"])
        run_mc(c, 0.9, 2000000, seed=41, checkpoint={str(ckpt)!r}, checkpoint_every=50)
    """)
    env = dict(os.environ, PYTHONPATH=REPO)
    proc = subprocess.Popen([sys.executable, "-c", script], env=env)
    try:
        deadline = time.time() + 120
        while not ckpt.exists() or int(np.load(ckpt)["sweep"]) < 200:
            assert proc.poll() is None, "the run died on its own"
            assert time.time() < deadline
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    z = np.load(ckpt)  # never torn: the file is replaced atomically
    done = int(z["sweep"])
    assert done % 50 == 0 and done < 2000000
    # resume it, but finish early: compare the state at `done` with a fresh run's
    fresh = run_mc(liquid, 0.9, done, seed=41)
    np.testing.assert_array_equal(z["energies"][:done], fresh.energies)
    np.testing.assert_array_equal(np.mod(z["pos"], liquid.box), fresh.final.positions)
    assert [int(v) for v in z["rng"]] == fresh.rng_state["state"]


@pytest.mark.slow
def test_fresh_compilation_gives_the_same_bits(liquid, tmp_path):
    """A process that compiles the kernels from scratch (empty numba cache) reproduces the
    run of this process bit for bit."""
    np.savez(tmp_path / "start.npz", pos=liquid.positions, species=liquid.species,
             box=liquid.box)
    script = textwrap.dedent(f"""
        import numpy as np
        from skii_glass import Configuration
        from skii_glass.simulation import run_mc
        z = np.load({str(tmp_path / "start.npz")!r})
        c = Configuration(z["pos"], z["species"], z["box"])
        r = run_mc(c, 0.9, 300, seed=43, swap_probability=0.1)
        np.save({str(tmp_path / "e.npy")!r}, r.energies)
    """)
    env = dict(os.environ, PYTHONPATH=REPO, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    subprocess.run([sys.executable, "-c", script], env=env, check=True)
    here = run_mc(liquid, 0.9, 300, seed=43, swap_probability=0.1)
    np.testing.assert_array_equal(np.load(tmp_path / "e.npy"), here.energies)


def test_corrupt_and_foreign_checkpoints(liquid, tmp_path):
    ckpt = tmp_path / "c.npz"
    run_mc(liquid, 1.0, 20, seed=1, checkpoint=ckpt, checkpoint_every=10)
    data = ckpt.read_bytes()
    ckpt.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="corrupt or truncated"):
        run_mc(liquid, 1.0, 20, seed=1, checkpoint=ckpt)
    flipped = bytearray(data)
    mid = len(flipped) // 2
    flipped[mid: mid + 64] = bytes(64)
    ckpt.write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match="corrupt or truncated"):
        run_mc(liquid, 1.0, 20, seed=1, checkpoint=ckpt)
    ckpt.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="corrupt or truncated"):
        run_mc(liquid, 1.0, 20, seed=1, checkpoint=ckpt)
    ckpt.write_bytes(data)
    with pytest.raises(ValueError, match="different run"):
        run_mc(liquid, 1.0, 20, seed=2, checkpoint=ckpt)
    with pytest.raises(ValueError, match="different run"):
        run_mc(liquid, 1.1, 20, seed=1, checkpoint=ckpt)
    assert run_mc(liquid, 1.0, 20, seed=1, checkpoint=ckpt).energies.shape == (20,)


# ---------------------------------------------------------------- bad input
def test_bad_input(liquid):
    for t in (0.0, -1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="temperature"):
            run_mc(liquid, t, 10)
    for d in (0.0, np.nan, -0.1):
        with pytest.raises(ValueError, match="max_displacement"):
            run_mc(liquid, 1.0, 10, max_displacement=d)
    with pytest.raises(ValueError, match="n_sweeps"):
        run_mc(liquid, 1.0, -1)
    with pytest.raises(ValueError, match="swap_probability"):
        run_mc(liquid, 1.0, 1, swap_probability=1.5)
    with pytest.raises(TypeError, match="Configuration"):
        run_mc(liquid.positions, 1.0, 1)
    pos = liquid.positions.copy()
    pos[17] = pos[42] + [0.1, 0.0]
    bad = Configuration(pos, liquid.species, liquid.box)
    with pytest.raises(ValueError, match=r"particles 17 \(\w\) and 42 \(\w\) overlap"):
        run_mc(bad, 1.0, 1)
    with pytest.raises(ValueError, match="overlap"):
        check_overlaps(bad)
    tiny = random_configuration("ka2d", 30, seed=0)
    with pytest.raises(ValueError, match="too small.*N >= "):
        run_mc(tiny, 1.0, 1)
    with pytest.raises(ValueError, match="unknown preset"):
        random_configuration("nope", 100)
    with pytest.raises(ValueError, match="NaN"):
        Configuration(np.full((3, 2), np.nan), [0, 1, 2], box=10.0)
    with pytest.raises(ValueError, match="density"):
        random_configuration("ka2d", 100, density=5.0)
    with pytest.raises(TypeError, match="seed"):
        run_mc(liquid, 1.0, 1, seed="abc")
    with pytest.raises(ValueError, match="explicit seed"):
        run_mc(liquid, 1.0, 1, checkpoint="x.npz")


def test_small_box_shrinks_skin():
    c = random_configuration("ka2d", 45, seed=2)  # side 6.1 < 2 (2.5 + 0.8)
    res = run_mc(c, 1.5, 50, seed=3)
    assert res.info["skin"] < sim.DEFAULT_SKIN
    assert res.energies[-1] * 45 == pytest.approx(brute_energy(res.final), abs=1e-9)


# ---------------------------------------------------------------- helpers
def test_random_configuration():
    c = random_configuration("ka2d", 500, seed=4)
    assert np.bincount(c.species).tolist() == get_preset("ka2d").counts(500).tolist()
    assert c.box[0] == pytest.approx(np.sqrt(500 / 1.192))
    check_overlaps(c)
    r = np.sqrt(((c.positions[:, None] - c.positions[None]) ** 2).sum(-1))
    np.fill_diagonal(r, np.inf)
    assert r.min() > 0.7
    d = random_configuration("ka2d", 500, seed=4)
    np.testing.assert_array_equal(c.positions, d.positions)
    assert not np.array_equal(c.positions, random_configuration("ka2d", 500, seed=5).positions)


def test_log_linear_times():
    t = log_linear_times(10000, points_per_decade=10, n_linear=10)
    assert t[0] == 0 and t[-1] == 10000 and np.all(np.diff(t) > 0)
    assert t.dtype == np.int64
    assert {1, 10, 100, 1000, 5000, 9000}.issubset(set(t.tolist()))
    assert log_linear_times(0).tolist() == [0]


def test_energy_drift_detects_trends():
    rng = np.random.default_rng(1)
    noise = 0.02 * rng.standard_normal(4000)
    assert energy_drift(-2.0 + noise)["flat"]
    trend = energy_drift(-2.0 - 1e-4 * np.arange(4000) + noise)
    assert not trend["flat"] and trend["slope_per_sweep"] == pytest.approx(-1e-4, rel=0.1)
    with pytest.raises(ValueError, match="at least"):
        energy_drift(np.zeros(10))


def _ar1(rng, n, phi, mean=0.0, sd=0.02):
    from scipy.signal import lfilter

    return mean + sd * lfilter([1.0], [1.0, -phi], rng.standard_normal(n))


def test_integrated_correlation_time_against_ar1():
    rng = np.random.default_rng(2)
    for phi in (0.0, 0.5, 0.9):
        want = (1 + phi) / (1 - phi)
        assert sim.integrated_correlation_time(_ar1(rng, 200_000, phi)) == pytest.approx(
            want, rel=0.1)
    assert sim.integrated_correlation_time(np.ones(50)) == 1.0
    # A trend never decorrelates within the window: unmeasurable, not small.
    assert sim.integrated_correlation_time(np.linspace(0, 1, 400)) == np.inf
    with pytest.raises(ValueError, match="at least 2"):
        sim.integrated_correlation_time([1.0])


def test_energy_plateau_needs_the_means_to_agree_within_two_sigma():
    rng = np.random.default_rng(3)
    phi, n = 0.95, 20_000  # tau_int = 39 sweeps
    first, second = _ar1(rng, n, phi, -1.0), _ar1(rng, n, phi, -1.0)
    same = sim.energy_plateau(first, second)
    assert same["flat"] is True and same["block_length"] >= 39 * 0.9
    assert abs(same["difference"]) < 2 * same["stderr"]
    # Blocks shorter than tau would underestimate the error: the error must be that of
    # the mean of n correlated samples, sqrt(tau var / n), not of n independent ones.
    var = np.var(first)
    assert same["stderr"] == pytest.approx(np.sqrt(2 * 39 * var / n), rel=0.35)
    # A level shift with no slope (the reported case: production 0.14 below the second
    # half of equilibration) is not flat, although each trace alone has no trend.
    shifted = sim.energy_plateau(first, _ar1(rng, n, phi, -1.14))
    assert energy_drift(first)["flat"] and shifted["flat"] is False
    assert shifted["difference"] == pytest.approx(-0.14, abs=0.02)
    # Fewer than 5 blocks of one correlation time: no verdict either way.
    short = sim.energy_plateau(first[:150], second[:150])
    assert short["flat"] == "too short to judge"
    assert sim.energy_plateau(first, np.linspace(-1, -2, 300))["flat"] == "too short to judge"


def test_equilibrate_from_mixture_and_config(tmp_path):
    with pytest.warns(RuntimeWarning, match="still drifting"):
        conf, info = equilibrate("ka2d", 0.1, n_particles=100, n_sweeps=200, seed=1,
                                 melt_sweeps=50)
    assert conf.n_particles == 100 and info["flat"] is False
    assert info["energies"].shape == (200,)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        conf2, info2 = equilibrate(conf, 3.0, n_sweeps=3000, seed=2,
                                   checkpoint=tmp_path / "eq.npz")
    assert info2["flat"] and info2["drift"]["t_value"] == pytest.approx(
        info2["drift"]["slope_per_sweep"] / info2["drift"]["slope_stderr"])
    assert (tmp_path / "eq.npz").exists()
    with pytest.raises(ValueError, match="n_particles"):
        equilibrate("ka2d", 1.0, n_sweeps=10)


def test_barbot_ternary_preset_constants_and_run():
    m = get_preset("barbot_ternary")
    s, l = m.species.index("S"), m.species.index("L")
    assert m.sigma[s, s] == pytest.approx(2 * np.sin(np.pi / 10))
    assert m.sigma[l, l] == pytest.approx(2 * np.sin(np.pi / 5))
    assert m.sigma[s, l] == 1.0 and m.epsilon[s, l] == 1.0
    assert m.epsilon[s, s] == m.epsilon[l, l] == 0.5
    assert m.sigma[s, s] < m.sigma[1, 1] < m.sigma[l, l]  # M is the medium species
    assert "RECONSTRUCTED" in m.description
    c = random_configuration(m, 150, seed=1)
    res = run_mc(c, 1.0, 100, seed=2)
    assert res.energies[-1] * 150 == pytest.approx(brute_energy(res.final), abs=1e-9)
