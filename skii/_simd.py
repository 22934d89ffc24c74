"""A vectorised "append every row whose distance lies in (lo, hi]" for the pruned kernels.

The buffers of :mod:`skii._pruned_kernels` start from one pass over a row of N distances
that keeps the ~1-2% at or below a threshold. As a plain loop that pass is a compare and
a rarely taken branch per element, ~2.2 cycles each (2.8 us per row of N = 4000): a
fifth of a late greedy step. LLVM cannot vectorise it (the output position depends on
every earlier element), but with AVX-512 one instruction (``vcompresspd``) packs the
selected lanes of a vector: eight distances are compared, packed and stored with their
row numbers in a few cycles (0.4 against 2.8 us per row of N = 4000, same process).

:func:`append_between` uses LLVM's generic ``llvm.experimental.vector.compress``
intrinsic (LLVM >= 19) where the compile target has AVX-512F, and the plain loop
elsewhere: on AVX2 LLVM lowers the intrinsic lane by lane, measured 1.7x slower than the
branch. The choice is made from the features numba compiles for (``NUMBA_CPU_FEATURES``
when set, else the host's); numba's cache keys its entries by them too, so a cache never
carries one machine's choice to another. Both versions return the very same rows in the
same order (ascending row), so everything downstream is identical.
"""

from __future__ import annotations

import llvmlite.binding as ll
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

_LANES = 8


def _target_has_avx512f() -> bool:
    """Whether numba compiles for a CPU with AVX-512F (as numba itself decides)."""
    try:
        from numba.core import config
        from numba.core.codegen import get_host_cpu_features

        features = config.CPU_FEATURES
        if features is None:
            features = get_host_cpu_features()
    except Exception:  # noqa: BLE001 - any numba internals change: the plain loop
        return False
    return "+avx512f" in str(features).split(",")


#: The vector version is compiled in (numba freezes this global at compile time).
VECTOR_COMPRESS = ll.llvm_version_info >= (19,) and _target_has_avx512f()


def _splat(builder, vec_type, value):
    zero = ir.Constant(ir.IntType(32), 0)
    v = builder.insert_element(ir.Constant(vec_type, ir.Undefined), value, zero)
    mask = ir.Constant(ir.VectorType(ir.IntType(32), _LANES), [0] * _LANES)
    return builder.shuffle_vector(v, ir.Constant(vec_type, ir.Undefined), mask)


def _c_array(ty, dtype) -> bool:
    return isinstance(ty, types.Array) and ty.ndim == 1 and ty.layout == "C" and ty.dtype == dtype


@intrinsic
def _compress_block(typingctx, d, base, lo, hi, skip, hv, hx, c):
    """The rows m of d[base:base + 8] with lo < d[m] <= hi and m != skip, packed to
    hv[c:], hx[c:] (all eight lanes are written); returns c plus their number. The
    caller guarantees base + 8 <= len(d) and c + 8 <= len(hv), len(hx)."""
    if not (_c_array(d, types.float64) and _c_array(hv, types.float64)
            and _c_array(hx, types.int64)):  # fmt: skip
        return None
    sig = types.int64(d, types.int64, types.float64, types.float64, types.int64, hv, hx,
                      types.int64)  # fmt: skip

    def codegen(context, builder, signature, args):
        d_v, base_v, lo_v, hi_v, skip_v, hv_v, hx_v, c_v = args
        f64, i64 = ir.DoubleType(), ir.IntType(64)
        v8d, v8i = ir.VectorType(f64, _LANES), ir.VectorType(i64, _LANES)
        v8b = ir.VectorType(ir.IntType(1), _LANES)
        d_arr = context.make_array(signature.args[0])(context, builder, d_v)
        hv_arr = context.make_array(signature.args[5])(context, builder, hv_v)
        hx_arr = context.make_array(signature.args[6])(context, builder, hx_v)
        src = builder.bitcast(builder.gep(d_arr.data, [base_v]), v8d.as_pointer())
        vals = builder.load(src, align=8)
        rows = builder.add(_splat(builder, v8i, base_v), ir.Constant(v8i, list(range(_LANES))))
        mask = builder.and_(
            builder.and_(
                builder.fcmp_ordered(">", vals, _splat(builder, v8d, lo_v)),
                builder.fcmp_ordered("<=", vals, _splat(builder, v8d, hi_v)),
            ),
            builder.icmp_signed("!=", rows, _splat(builder, v8i, skip_v)),
        )
        mod = builder.module

        def compress(vec_type, suffix, value):
            fnty = ir.FunctionType(vec_type, [vec_type, v8b, vec_type])
            fn = mod.declare_intrinsic(f"llvm.experimental.vector.compress.{suffix}", (), fnty)
            return builder.call(fn, [value, mask, ir.Constant(vec_type, ir.Undefined)])

        dst_v = builder.bitcast(builder.gep(hv_arr.data, [c_v]), v8d.as_pointer())
        builder.store(compress(v8d, "v8f64", vals), dst_v, align=8)
        dst_x = builder.bitcast(builder.gep(hx_arr.data, [c_v]), v8i.as_pointer())
        builder.store(compress(v8i, "v8i64", rows), dst_x, align=8)
        i8 = ir.IntType(8)
        popcount = mod.declare_intrinsic("llvm.ctpop", [i8])
        taken = builder.zext(builder.call(popcount, [builder.bitcast(mask, i8)]), i64)
        return builder.add(c_v, taken)

    return sig, codegen


@njit(cache=True)
def append_between_scalar(d, i, lo, hi, hv, hx, start):
    """:func:`append_between` as a plain loop (the version without AVX-512).

    A branch, not a branch-free select: the rows taken are few (~1% of the row for a
    first buffer), so the branch is predicted, and writing every row cost twice as much
    (3.8 against 2.0 ms per 1000 rows of N = 4000, 8 selected columns)."""
    return _append_rows_from(d, i, lo, hi, hv, hx, start, 0)


@njit(cache=True)
def _append_rows_from(d, i, lo, hi, hv, hx, start, first):
    """The plain loop of :func:`append_between` over the rows first:."""
    n = d.shape[0]
    c = start
    for m in range(first, n):
        v = d[m]
        if v <= hi:
            if v > lo and m != i:
                hv[c] = v
                hx[c] = m
                c += 1
    return c


@njit(cache=True)
def append_between_vector(d, i, lo, hi, hv, hx, start):
    """:func:`append_between` eight rows per vector compress (any target: without
    AVX-512 LLVM lowers the compress lane by lane), the plain loop for the rows past the
    last full block and wherever fewer than eight free slots remain."""
    n = d.shape[0]
    cap = min(hv.shape[0], hx.shape[0]) - _LANES
    c = start
    base = 0
    while base + _LANES <= n and c <= cap:
        c = _compress_block(d, base, lo, hi, i, hv, hx, c)
        base += _LANES
    return _append_rows_from(d, i, lo, hi, hv, hx, c, base)


@njit(cache=True)
def append_between(d, i, lo, hi, hv, hx, start):
    """Append every m != i with lo < d[m] <= hi, in increasing m, at hv[start:],
    hx[start:]; returns the new end. The caller guarantees room for the rows appended.

    :func:`append_between_vector` where the target has AVX-512F (see the module),
    :func:`append_between_scalar` elsewhere."""
    if VECTOR_COMPRESS:
        return append_between_vector(d, i, lo, hi, hv, hx, start)
    return append_between_scalar(d, i, lo, hi, hv, hx, start)
