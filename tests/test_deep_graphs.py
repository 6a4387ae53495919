"""Deep graphs: no recursion anywhere, and saved arrays are released after backward."""

import gc
import sys
import tracemalloc
import weakref

import numpy as np

import tinygrad_nn as tg

DEPTH = 100_000


def chain(x: tg.Tensor, depth: int) -> tuple[tg.Tensor, weakref.ref]:
    """``depth`` alternating ops on ``x``; also a weak reference to a tensor half-way."""
    y = x
    probe = None
    for i in range(depth):
        y = y * 1.00001 if i % 2 else y + 0.001
        if i == depth // 2:
            probe = weakref.ref(y)
    assert probe is not None
    return y, probe


def test_a_chain_of_100k_ops_backprops_at_the_default_recursion_limit() -> None:
    assert sys.getrecursionlimit() <= 10_000  # nothing raised it
    x = tg.Tensor(np.full(4, 0.5), requires_grad=True)
    y, _ = chain(x, DEPTH)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.array, np.full(4, 1.00001 ** (DEPTH // 2)), rtol=1e-9)


def numpy_bytes() -> int:
    """Bytes of NumPy array data alive now (NumPy reports its buffers to tracemalloc)."""
    only_numpy = tracemalloc.DomainFilter(True, np.lib.tracemalloc_domain)
    snapshot = tracemalloc.take_snapshot().filter_traces([only_numpy])
    return sum(stat.size for stat in snapshot.statistics("filename"))


def test_backward_releases_the_graph_so_memory_returns_to_the_leaves() -> None:
    gc.collect()
    tracemalloc.start()
    try:
        x = tg.Tensor(np.zeros(1000), requires_grad=True)  # 8 kB
        start = numpy_bytes()
        y, probe = chain(x, 2000)  # 2000 values of 8 kB; mul's rule reads its input
        loss = y.sum()
        del y
        built = numpy_bytes()
        loss.backward()
        after = numpy_bytes()
    finally:
        tracemalloc.stop()
    assert probe() is None  # the intermediate tensors are gone...
    # ...while the graph held ~8 MB, not 16: mul's rule reads its input x (for dz/dy),
    # add's reads nothing, so the values add is given are freed during forward
    assert 7_000_000 < built - start < 9_000_000
    assert after - start < 10_000  # ...and only x.grad (8 kB) and the loss remain
    assert loss.op is not None and loss.op.freed


def test_retain_graph_keeps_the_saved_arrays() -> None:
    x = tg.Tensor(np.zeros(3), requires_grad=True)
    y, _ = chain(x, 10)
    loss = y.sum()
    middle = y._ctx.parents[0].parents[0]  # an op of the graph, two steps back
    del y
    loss.backward(retain_graph=True)
    assert middle.saved is not None
    loss.backward()
    assert middle.saved is None and middle.freed
    np.testing.assert_allclose(x.grad.array, 2 * np.full(3, 1.00001**5))


def test_dropping_a_100k_graph_without_backward_does_not_crash() -> None:
    x = tg.Tensor(np.ones(2), requires_grad=True)
    y, probe = chain(x, DEPTH)
    del y
    gc.collect()
    assert probe() is None


def test_create_graph_through_a_deep_chain() -> None:
    x = tg.Tensor(np.full(2, 0.3), requires_grad=True)
    y = x
    for _ in range(5_000):
        y = (y * 0.999).tanh() + 0.001
    (g,) = tg.grad(y.sum(), [x], create_graph=True)
    (h,) = tg.grad(g.sum(), [x])
    assert np.all(np.isfinite(h.detach().numpy()))


def test_a_pre_activation_is_freed_during_forward() -> None:
    """sigmoid(x @ w): matmul keeps x and w, sigmoid keeps its output, so the 800 kB of
    ``x @ w`` are freed as soon as the sigmoid has run, before any backward."""
    x = tg.Tensor(np.ones((1000, 100)))
    w = tg.Tensor(np.full((100, 100), 0.01), requires_grad=True)
    gc.collect()
    tracemalloc.start()
    try:
        start = numpy_bytes()
        out = (x @ w).sigmoid()
        held = numpy_bytes() - start
    finally:
        tracemalloc.stop()
    assert 790_000 < held < 900_000  # the output alone (800 kB), not 1.6 MB
    kept = out.op.parents[0].saved[:2]  # matmul keeps x and w themselves
    assert out.op.saved[0] is None and kept[0] is x.array and kept[1] is w.array
    out.sum().backward()
    np.testing.assert_allclose(w.grad.array, x.array.T @ (out.array * (1 - out.array)))
