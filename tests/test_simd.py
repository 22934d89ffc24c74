"""The vectorised append of :mod:`skii._simd` against a numpy reference."""

import numpy as np
import pytest

from skii import _simd


def _reference(d, i, lo, hi, hv, hx, start):
    rows = [m for m in range(len(d)) if lo < d[m] <= hi and m != i]
    return start + len(rows), np.asarray(rows, dtype=np.int64)


# The vector version compiles wherever LLVM has the generic compress (>= 19); without
# AVX-512 it runs lane by lane, so it is checked on every machine that can build it.
_OLD_LLVM = pytest.mark.skipif(_simd.ll.llvm_version_info < (19,),
                               reason="LLVM < 19 has no llvm.experimental.vector.compress")
APPENDS = [_simd.append_between, pytest.param(_simd.append_between_vector, marks=_OLD_LLVM),
           _simd.append_between_scalar]  # fmt: skip


@pytest.mark.parametrize("append", APPENDS)
@pytest.mark.parametrize("n", [1, 5, 8, 9, 16, 63, 200])
def test_append_between_matches_reference(append, n):
    rng = np.random.default_rng(n)
    for trial in range(20):
        # Ties, zeros, an infinite self-distance and thresholds on and between values.
        d = rng.integers(0, 6, size=n).astype(float) * 0.5
        i = int(rng.integers(0, n))
        d[i] = np.inf
        lo, hi = sorted(rng.choice([-1.0, 0.0, 0.5, 1.0, 1.2, 2.5, np.inf], size=2))
        if trial % 5 == 0:
            lo, hi = -1.0, np.inf  # everything but i (the row of i is +inf, but m != i)
        start = int(rng.integers(0, 4))
        hv = np.full(n + start + 8, -7.0)
        hx = np.full(n + start + 8, -7, dtype=np.int64)
        end = append(d, i, lo, hi, hv, hx, start)
        want_end, want_rows = _reference(d, i, lo, hi, hv, hx, start)
        assert end == want_end
        np.testing.assert_array_equal(hx[start:end], want_rows)
        np.testing.assert_array_equal(hv[start:end], d[want_rows])
        assert (hx[:start] == -7).all() and (hv[:start] == -7.0).all()  # untouched


@pytest.mark.parametrize("append", APPENDS)
def test_append_between_exact_room(append):
    """Buffers with no slack: the vector version must fall back to the plain loop before
    its eight-lane stores would run past the end."""
    n = 37
    d = np.arange(n, dtype=float)
    for start in (0, 3):
        hv = np.empty(start + n - 1)
        hx = np.empty(start + n - 1, dtype=np.int64)
        end = append(d, 4, -1.0, np.inf, hv, hx, start)
        assert end == start + n - 1
        np.testing.assert_array_equal(hx[start:], np.delete(np.arange(n), 4))


def test_vector_choice_follows_the_compile_target():
    assert isinstance(_simd.VECTOR_COMPRESS, bool)
    assert _simd.VECTOR_COMPRESS == (_simd.ll.llvm_version_info >= (19,)
                                     and _simd._target_has_avx512f())  # fmt: skip
