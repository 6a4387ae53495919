"""Issue 25's data/optim/checkpoint surface, with PyTorch's signatures, meanings and words:
DataLoader's arguments and the samplers, tg.Generator, zero_grad(set_to_none=), Adadelta,
LBFGS, and tg.save/tg.load of anything a PyTorch program saves (no pickle)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    random_split,
)

# ---------------------------------------------------------------- tg.Generator


def test_generator_seeds_as_torch_generator() -> None:
    g = tg.Generator()
    assert g.initial_seed() == 67280421310721  # torch.Generator()'s default seed
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    assert tg.Generator().manual_seed(-1).initial_seed() == 2**64 - 1  # two's complement
    first = g.numpy.random(3)
    assert np.array_equal(g.manual_seed(5).numpy.random(3), first)
    fresh = g.seed()
    assert g.initial_seed() == fresh and 0 <= fresh < 2**64
    with pytest.raises(TypeError, match="manual_seed expected a long, but got float"):
        g.manual_seed(1.5)
    with pytest.raises(RuntimeError, match="Overflow when unpacking long"):
        g.manual_seed(2**64)
    assert g.initial_seed() == fresh  # a refused seed changes nothing


def test_generator_state_round_trips_and_bad_states_are_refused() -> None:
    g = tg.Generator().manual_seed(1)
    state = g.get_state()
    assert isinstance(state, tg.Tensor) and state.dtype == np.uint8
    a = g.numpy.random(4)
    assert np.array_equal(g.set_state(state).numpy.random(4), a)
    with pytest.raises(RuntimeError, match="not a state from get_state"):
        g.set_state(tg.Tensor(np.zeros(3, np.uint8)))
    with pytest.raises(TypeError, match="1-D uint8"):
        g.set_state(np.zeros(3))


def test_manual_seed_returns_the_default_generator() -> None:
    g = tg.manual_seed(11)
    assert isinstance(g, tg.Generator) and g.initial_seed() == tg.initial_seed() == 11
    a = tg.randn(3).numpy()
    tg.manual_seed(11)
    assert np.array_equal(tg.randn(3).numpy(), a)
    assert np.array_equal(np.random.default_rng(11).standard_normal(3), a)  # as before


# ---------------------------------------------------------------- samplers


def test_samplers_yield_pytorchs_indices() -> None:
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    g = tg.Generator().manual_seed(0)
    order = list(RandomSampler(range(6), generator=g))
    assert sorted(order) == list(range(6)) and len(RandomSampler(range(6))) == 6
    chained = list(RandomSampler(range(3), num_samples=7, generator=g))
    assert len(chained) == 7 and sorted(chained[:3]) == sorted(chained[3:6]) == [0, 1, 2]
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=50, generator=g))
    assert len(drawn) == 50 and set(drawn) == {0, 1, 2}
    assert sorted(SubsetRandomSampler([4, 8, 9], generator=g)) == [4, 8, 9]
    weighted = list(WeightedRandomSampler([0.0, 3.0, 1.0], 40, generator=g))
    assert len(weighted) == 40 and set(weighted) == {1, 2}
    once = list(WeightedRandomSampler([1.0, 1.0, 1.0, 0.0], 3, replacement=False))
    assert sorted(once) == [0, 1, 2]
    batches = BatchSampler(SequentialSampler(range(7)), 3, drop_last=False)
    assert list(batches) == [[0, 1, 2], [3, 4, 5], [6]] and len(batches) == 3
    assert len(BatchSampler(range(7), 3, drop_last=True)) == 2


def test_a_seeded_generator_repeats_the_order() -> None:
    def order(seed):
        return list(RandomSampler(range(20), generator=tg.Generator().manual_seed(seed)))

    assert order(3) == order(3) != order(4)
    sampler = RandomSampler(range(20), generator=tg.Generator().manual_seed(3))
    assert list(sampler) != list(sampler)  # a new order at each iteration


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: RandomSampler(range(3), replacement=1), TypeError, "replacement=1"),
        (lambda: RandomSampler(range(3), num_samples=0), ValueError, "num_samples=0"),
        (lambda: RandomSampler([]), ValueError, "num_samples=0"),
        (lambda: RandomSampler(range(3), generator=3), TypeError, "tinygrad_nn.Generator"),
        (lambda: WeightedRandomSampler([1.0], True), ValueError, "num_samples=True"),
        (lambda: WeightedRandomSampler([[1.0]], 1), ValueError, r"1d sequence .* \(1, 1\)"),
        (lambda: BatchSampler(range(3), 0, False), ValueError, "batch_size=0"),
        (lambda: BatchSampler(range(3), 2, 1), ValueError, "drop_last=1"),
    ],
)
def test_bad_sampler_arguments_get_pytorchs_errors(make, error, words) -> None:
    with pytest.raises(error, match=words):
        make()


def test_weighted_draws_that_cannot_be_made_are_refused_when_drawn() -> None:
    with pytest.raises(RuntimeError, match="probability entry < 0"):
        list(WeightedRandomSampler([1.0, -1.0], 2))
    with pytest.raises(RuntimeError, match=r"sum of probabilities <= 0"):
        list(WeightedRandomSampler([0.0, 0.0], 2))
    with pytest.raises(RuntimeError, match="not enough non-negative category"):
        list(WeightedRandomSampler([1.0, 0.0], 2, replacement=False))


# ---------------------------------------------------------------- datasets


def test_subset_concat_and_random_split() -> None:
    ds = TensorDataset(np.arange(10) * 10)
    assert isinstance(ds[2][0], tg.Tensor) and ds[2][0].item() == 20  # rows are Tensors
    part = Subset(ds, [7, 2])
    assert len(part) == 2 and part[0][0].item() == 70
    both = ds + TensorDataset(np.arange(3))
    assert isinstance(both, ConcatDataset) and len(both) == 13 and both[11][0].item() == 1
    assert both[-1][0].item() == 2
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        both[-14]
    with pytest.raises(AssertionError, match="should not be an empty iterable"):
        ConcatDataset([])
    a, b, c = random_split(ds, [5, 3, 2], generator=tg.Generator().manual_seed(0))
    assert (len(a), len(b), len(c)) == (5, 3, 2)
    assert sorted(a.indices + b.indices + c.indices) == list(range(10))
    again = random_split(ds, [5, 3, 2], generator=tg.Generator().manual_seed(0))
    assert again[0].indices == a.indices
    assert [len(s) for s in random_split(range(10), [0.34, 0.33, 0.33])] == [4, 3, 3]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(ds, [5, 4])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        random_split(ds, [0.5, -0.5, 1.0])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(2), [0.9, 0.1])


# ---------------------------------------------------------------- DataLoader


def test_dataloader_takes_pytorchs_arguments_in_pytorchs_order() -> None:
    ds = TensorDataset(np.arange(10.0), np.arange(10))
    sampler = SubsetRandomSampler([1, 3, 5], generator=tg.Generator().manual_seed(0))
    loader = DataLoader(ds, 2, False, sampler, None, 4, None, True, False)
    assert loader.num_workers == 4 and loader.pin_memory and loader.prefetch_factor == 2
    batches = list(loader)
    assert len(loader) == len(batches) == 2
    assert sorted(np.concatenate([y.numpy() for _, y in batches]).tolist()) == [1, 3, 5]
    assert isinstance(batches[0], list)  # default_collate makes a tuple example a list
    by_batches = DataLoader(ds, batch_sampler=[[0, 1, 2], [9]])
    assert [y.tolist() for _, y in by_batches] == [[0, 1, 2], [9]] and len(by_batches) == 2
    kept = DataLoader(ds, batch_size=4, drop_last=True, persistent_workers=True, num_workers=1)
    assert len(kept) == 2 and [len(y.numpy()) for _, y in kept] == [4, 4]
    one_by_one = DataLoader(ds, batch_size=None)
    x0, y0 = next(iter(one_by_one))
    assert x0.shape == () and y0.item() == 0 and len(one_by_one) == 10


def test_dataloader_shuffles_with_its_generator() -> None:
    ds = TensorDataset(np.arange(12))

    def epoch(loader):
        return np.concatenate([b.numpy() for (b,) in loader]).tolist()

    a = DataLoader(ds, batch_size=5, shuffle=True, generator=tg.Generator().manual_seed(2))
    b = DataLoader(ds, batch_size=5, shuffle=True, generator=tg.Generator().manual_seed(2))
    first = epoch(a)
    assert first == epoch(b) and sorted(first) == list(range(12)) and epoch(a) != first
    c = DataLoader(ds, batch_size=5, shuffle=True, seed=2)  # tinygrad_nn's shorthand
    assert epoch(c) == first
    assert isinstance(a.sampler, RandomSampler) and a.sampler.generator is a.generator


def test_dataloader_collates_as_pytorch() -> None:
    class Records(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return {"x": np.full(2, float(i)), "label": i, "weight": 0.5 * i, "name": f"r{i}"}

    batch = next(iter(DataLoader(Records(), batch_size=3)))
    assert batch["x"].shape == (3, 2) and batch["label"].dtype == np.int64
    assert batch["weight"].dtype == np.float64 and batch["name"] == ["r0", "r1", "r2"]
    custom = DataLoader(Records(), batch_size=2, collate_fn=lambda b: [r["name"] for r in b])
    assert list(custom) == [["r0", "r1"], ["r2"]]
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="batch must contain tensors"):
        default_collate([object(), object()])


def test_an_iterable_dataset_is_batched_as_it_streams() -> None:
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(np.arange(7.0))

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3)] == [
        [0.0, 1.0, 2.0],
        [3.0, 4.0, 5.0],
        [6.0],
    ]
    assert len(list(DataLoader(Stream(), batch_size=3, drop_last=True))) == 2
    with pytest.raises(TypeError):
        len(DataLoader(Stream(), batch_size=3))
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle="):
        DataLoader(Stream(), shuffle=True)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(num_workers=-1), "num_workers option should be non-negative; use num_workers=0"),
        (dict(timeout=-1), "timeout option should be non-negative"),
        (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multi"),
        (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
        (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with shuffle"),
        (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
        (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive"),
        (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
        (dict(multiprocessing_context="spawn"), "multiprocessing_context can only be used"),
    ],
)
def test_bad_loader_arguments_get_pytorchs_errors(kwargs, words) -> None:
    with pytest.raises(ValueError, match=words):
        DataLoader(TensorDataset(np.zeros(4)), **kwargs)


def test_a_loaders_sampling_cannot_change_after_it_is_made() -> None:
    loader = DataLoader(TensorDataset(np.zeros(4)), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader"):
        loader.batch_size = 3
    assert loader.batch_size == 2 and len(loader) == 2
    loader.num_workers = 2  # others may change, as in PyTorch


def test_a_subset_of_a_tensor_dataset_batches_like_one_example_at_a_time() -> None:
    ds = TensorDataset(np.arange(20.0).reshape(10, 2), np.arange(10))
    train, _ = random_split(ds, [0.7, 0.3], generator=tg.Generator().manual_seed(1))
    fast = [[t.numpy() for t in b] for b in DataLoader(train, batch_size=3)]
    by_example = DataLoader(train, 3, collate_fn=lambda b: default_collate(b))  # no fast path
    slow = [[t.numpy() for t in b] for b in by_example]
    example_wise = [
        [t.numpy() for t in default_collate([train[i] for i in idx])]
        for idx in BatchSampler(range(len(train)), 3, False)
    ]
    for got in (fast, slow):
        for batch, expected in zip(got, example_wise, strict=True):
            for a, b in zip(batch, expected, strict=True):
                assert a.dtype == b.dtype and np.array_equal(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isclose(sum(len(y.numpy()) for _, y in DataLoader(train)), 7)


# ---------------------------------------------------------------- zero_grad(set_to_none=)


def test_optimizer_zero_grad_sets_none_or_zeros_in_place() -> None:
    from tinygrad_nn import nn, optim

    w, unused = nn.Parameter([1.0, 2.0]), nn.Parameter([3.0])
    opt = optim.SGD([w, unused], lr=0.1)
    (w * w).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and grad.tolist() == [0.0, 0.0] and unused.grad is None
    assert not grad.requires_grad
    (w * 3).sum().backward()  # accumulates onto the zeros
    assert w.grad.tolist() == [3.0, 3.0]
    opt.zero_grad()  # PyTorch's default: None
    assert w.grad is None


def test_zero_grad_to_zeros_is_refused_inside_a_compiled_step() -> None:
    from tinygrad_nn import nn, optim

    w = nn.Parameter([1.0])
    opt = optim.SGD([w], lr=0.1)

    def step(x):
        opt.zero_grad(set_to_none=False)
        loss = (w * x).sum()
        loss.backward()
        opt.step()
        return loss

    with pytest.raises(tg.TracingError, match=r"zero_grad\(set_to_none=False\)"):
        tg.compile(step)(tg.Tensor([2.0]))


# ---------------------------------------------------------------- Adadelta


def adadelta_reference(p, grads, lr, rho, eps, weight_decay):
    """torch.optim.Adadelta's documented algorithm, in NumPy: the parameter after each step."""
    square, acc, out = np.zeros_like(p), np.zeros_like(p), []
    for g in grads:
        g = g + weight_decay * p
        square = rho * square + (1 - rho) * g * g
        delta = np.sqrt(acc + eps) / np.sqrt(square + eps) * g
        acc = rho * acc + (1 - rho) * delta * delta
        p = p - lr * delta
        out.append(p)
    return out


@pytest.mark.parametrize("settings", [{}, dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)])
def test_adadelta_follows_pytorchs_algorithm(settings) -> None:
    from tinygrad_nn import nn, optim

    rng = np.random.default_rng(0)
    start, target = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    w = nn.Parameter(start.copy())
    opt = optim.Adadelta([w], **settings)
    assert opt.defaults == {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0, **settings}
    grads, ours = [], []
    for _ in range(6):
        opt.zero_grad()
        ((w - tg.Tensor(target)) ** 3).sum().backward()
        grads.append(w.grad.numpy().copy())
        opt.step()
        ours.append(w.detach().numpy().copy())
    full = {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0, **settings}
    expected = adadelta_reference(start, grads, **full)
    np.testing.assert_allclose(ours, expected, rtol=1e-13, atol=1e-15)
    assert sorted(opt.state[w]) == ["acc_delta", "square_avg", "step"] and opt.state[w]["step"] == 6


def test_adadelta_compiles_and_refuses_bad_settings() -> None:
    from tests.test_compile_step import assert_same_training, seed_training
    from tinygrad_nn import optim

    def make(p):
        return optim.Adadelta(p, lr=0.5, weight_decay=0.01)

    eager, compiled = seed_training(make, False, 50), seed_training(make, True, 50)
    assert_same_training(eager, compiled)
    w = [tg.nn.Parameter([1.0])]
    for key, value, words in [
        ("lr", -1.0, "Invalid learning rate: -1.0"),
        ("rho", 1.5, "Invalid rho value: 1.5"),
        ("eps", -1.0, "Invalid epsilon value: -1.0"),
        ("weight_decay", -1.0, "Invalid weight_decay value: -1.0"),
    ]:
        with pytest.raises(ValueError, match=words):
            optim.Adadelta(w, **{key: value})


# ---------------------------------------------------------------- LBFGS

C = np.array([1.0, 3.0, 0.5, 2.0])
M = np.array([0.5, -1.0, 2.0, 0.0])


def smooth(x):  # a convex function with coupled coordinates (through exp of the sum)
    return float(np.sum(C * (x - M) ** 2) + np.exp(0.3 * x.sum()))


def smooth_grad(x):
    return 2 * C * (x - M) + 0.3 * np.exp(0.3 * x.sum())


def smooth_tensor(w):
    return (tg.Tensor(C) * (w - tg.Tensor(M)) ** 2).sum() + (0.3 * w.sum()).exp()


def lbfgs_reference(x, iters, lr=1.0, history=100, tol_grad=1e-7, tol_change=1e-9):
    """The iterates of one torch.optim.LBFGS step (no line search) and its number of loss
    evaluations, in NumPy, with the inverse Hessian built as a dense matrix by the BFGS
    update over the kept pairs (what the two-loop recursion computes without forming it)."""
    max_eval, evals = iters * 5 // 4, 1
    loss, grad = smooth(x), smooth_grad(x)
    pairs, gamma, prev_grad, d, t, iterates = [], 1.0, None, None, None, []
    for n in range(1, iters + 1):
        if n > 1:
            y, s = grad - prev_grad, d * t
            if y @ s > 1e-10:
                pairs = [*pairs, (s, y)][-history:]
                gamma = (y @ s) / (y @ y)
        H = gamma * np.eye(len(x))
        for s, y in pairs:
            rho = 1.0 / (y @ s)
            V = np.eye(len(x)) - rho * np.outer(y, s)
            H = V.T @ H @ V + rho * np.outer(s, s)
        d = -H @ grad
        prev_grad, prev_loss = grad, loss
        t = min(1.0, 1.0 / np.abs(grad).sum()) * lr if n == 1 else lr
        if grad @ d > -tol_change:
            break
        x = x + t * d
        iterates.append(x)
        if n == iters:
            break
        loss, grad, evals = smooth(x), smooth_grad(x), evals + 1
        if evals >= max_eval or np.abs(grad).max() <= tol_grad:
            break
        if np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change:
            break
    return iterates, evals


def lbfgs_run(start, make_loss, steps=1, **settings):
    from tinygrad_nn import nn, optim

    w = nn.Parameter(np.array(start, dtype=float))
    opt = optim.LBFGS([w], **settings)
    calls = []

    def closure():
        opt.zero_grad()
        loss = make_loss(w)
        loss.backward()
        calls.append(loss.item())
        return loss

    returned = [opt.step(closure) for _ in range(steps)]
    return w, opt, calls, returned


@pytest.mark.parametrize("iters", [1, 2, 3, 5, 8])
def test_lbfgs_first_iterations_equal_a_numpy_reference(iters) -> None:
    start = np.array([2.0, 1.0, -1.0, 0.5])
    w, opt, calls, returned = lbfgs_run(start, smooth_tensor, max_iter=iters, lr=0.8)
    iterates, evals = lbfgs_reference(start, iters, lr=0.8)
    np.testing.assert_allclose(w.detach().numpy(), iterates[-1], rtol=1e-12, atol=1e-14)
    # max_eval = max_iter * 5 // 4 ends a step of 2 or 3 iterations early; the last
    # iteration's closure is spared (as PyTorch)
    assert len(calls) == evals == opt.state[w]["func_evals"]
    assert opt.state[w]["n_iter"] == len(iterates) == (iters - 1 if iters in (2, 3) else iters)
    assert returned[0].item() == calls[0] == smooth(start)  # step returns the first loss


def test_lbfgs_converges_on_a_quadratic_and_on_rosenbrock() -> None:
    quadratic = lambda w: (tg.Tensor(C) * (w - tg.Tensor(M)) ** 2).sum()  # noqa: E731
    w, _, _, _ = lbfgs_run(np.zeros(4), quadratic)  # stops once the loss changes < 1e-9
    np.testing.assert_allclose(w.detach().numpy(), M, atol=1e-5)
    w, _, _, _ = lbfgs_run(np.zeros(4), quadratic, tolerance_change=0.0)
    np.testing.assert_allclose(w.detach().numpy(), M, atol=1e-12)

    def rosenbrock(w):
        return (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2

    w, _, calls, _ = lbfgs_run([-1.5, 2.0], rosenbrock, steps=10, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(w.detach().numpy(), [1.0, 1.0], atol=1e-5)
    tight = dict(tolerance_grad=1e-12, tolerance_change=0.0, line_search_fn="strong_wolfe")
    w, _, calls, _ = lbfgs_run([-1.5, 2.0], rosenbrock, steps=10, **tight)
    np.testing.assert_allclose(w.detach().numpy(), [1.0, 1.0], atol=1e-12)
    assert min(calls) < 1e-24
    w, *_ = lbfgs_run([-1.5, 2.0], rosenbrock, steps=200, lr=0.05, max_iter=50)  # no search
    np.testing.assert_allclose(w.detach().numpy(), [1.0, 1.0], atol=1e-4)


def test_lbfgs_state_round_trips_and_its_refusals() -> None:
    from tinygrad_nn import nn, optim

    w, opt, _, _ = lbfgs_run([2.0, 1.0, -1.0, 0.5], smooth_tensor, max_iter=4)
    saved = opt.state_dict()
    other = optim.LBFGS([nn.Parameter(w.detach().numpy().copy())], max_iter=4)
    other.load_state_dict(saved)
    assert other.state[other.params[0]]["n_iter"] == 4
    assert len(other.state[other.params[0]]["old_dirs"]) == 3
    with pytest.raises(ValueError, match=r"LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [nn.Parameter([1.0])]}, {"params": [nn.Parameter([1.0])]}])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.LBFGS([w], lr=-1)
    with pytest.raises(ValueError, match="history_size must be a positive int, got 0"):
        optim.LBFGS([w], history_size=0)
    _, opt, _, _ = lbfgs_run([2.0, 1.0, -1.0, 0.5], smooth_tensor, max_iter=8, history_size=2)
    assert len(opt.state[opt.params[0]]["old_dirs"]) == 2  # the newest two pairs kept
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        optim.LBFGS([w], line_search_fn="armijo").step(lambda: smooth_tensor(w))

    def compiled_step(x):
        def closure():
            opt.zero_grad()
            loss = (w * x).sum()
            loss.backward()
            return loss

        return opt.step(closure)

    with pytest.raises(tg.TracingError, match=r"LBFGS.step\(closure\) cannot be compiled"):
        tg.compile(compiled_step)(tg.Tensor(np.ones(4)))


# ---------------------------------------------------------------- tg.save / tg.load of anything


def test_a_training_checkpoint_round_trips_without_pickle(tmp_path) -> None:
    from tinygrad_nn import nn, optim

    w = nn.Parameter(np.arange(6.0).reshape(2, 3))
    opt = optim.Adam([w], lr=0.01)
    (w * w).sum().backward()
    opt.step()
    t = tg.Tensor([1.5, 2.5])
    checkpoint = {
        "epoch": 7,
        "loss": 0.125,
        "best": float("inf"),
        "name": "run-1",
        "done": False,
        "note": None,
        "losses": [0.5, 0.25, 0.125],
        "shape": (2, 3),
        "model": {"w": w.detach().numpy().copy()},
        "optimizer": opt.state_dict(),
        "tied": [t, t],
        "nested": {"deeper": {"ints": np.arange(3), "scalar": np.float32(2.5)}},
        "generator": tg.Generator().manual_seed(3).get_state(),
        3: "an int key",
        "param": w,
    }
    path = tmp_path / "checkpoint.pt"
    tg.save(checkpoint, path)
    loaded = tg.load(path, map_location="cpu", weights_only=True)
    assert loaded["epoch"] == 7 and isinstance(loaded["epoch"], int)
    assert loaded["loss"] == 0.125 and loaded["best"] == float("inf") and loaded["name"] == "run-1"
    assert loaded["done"] is False and loaded["note"] is None and loaded[3] == "an int key"
    assert loaded["losses"] == [0.5, 0.25, 0.125] and loaded["shape"] == (2, 3)
    np.testing.assert_array_equal(loaded["model"]["w"], w.detach().numpy())
    assert isinstance(loaded["model"]["w"], np.ndarray)
    a, b = loaded["tied"]
    assert isinstance(a, tg.Tensor) and a is b and a.tolist() == [1.5, 2.5]  # stored once
    scalar = loaded["nested"]["deeper"]["scalar"]
    assert isinstance(scalar, np.float32) and scalar == 2.5
    assert isinstance(loaded["param"], nn.Parameter) and loaded["param"].requires_grad
    g = tg.Generator().set_state(loaded["generator"])
    assert np.array_equal(g.numpy.random(2), tg.Generator().manual_seed(3).numpy.random(2))
    state = loaded["optimizer"]["state"][0]
    assert sorted(state) == ["exp_avg", "exp_avg_sq", "step"] and state["step"] == 1
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    other = optim.Adam([nn.Parameter(np.zeros((2, 3)))], lr=0.5)
    other.load_state_dict(loaded["optimizer"])
    assert other.param_groups[0]["lr"] == 0.01
    np.testing.assert_array_equal(other.state[other.params[0]]["exp_avg"], state["exp_avg"])


def test_a_state_dict_file_keeps_its_names_for_other_readers(tmp_path) -> None:
    from safetensors.numpy import load_file

    path = tmp_path / "weights.safetensors"
    tg.save({"layer.weight": np.ones((2, 2)), "layer.bias": np.zeros(2)}, path)
    assert sorted(load_file(path)) == ["layer.bias", "layer.weight"]
    assert isinstance(tg.load(path)["layer.bias"], np.ndarray)
    nested = tmp_path / "nested.safetensors"
    tg.save({"model": {"layer.weight": np.ones((2, 2))}, "epoch": 1}, nested)
    assert sorted(load_file(nested)) == ["model.layer.weight"]  # a readable name


@pytest.mark.parametrize(
    "obj, where",
    [
        ({"fn": lambda x: x}, r"obj\['fn'\] is a .*function"),
        ({"a": [1, {"b": object()}]}, r"obj\['a'\]\[1\]\['b'\] is a builtins.object"),
        ({"model": tg.nn.Linear(2, 2)}, r"obj\['model'\] is a module \(Linear\); save its state"),
        ({frozenset([1]): 1}, r"has a key frozenset\(\{1\}\) of type frozenset"),
        ({"c": 1 + 2j}, r"obj\['c'\] is a builtins.complex"),
    ],
)
def test_what_needs_pickle_is_refused_naming_its_key_path(tmp_path, obj, where) -> None:
    path = tmp_path / "bad.pt"
    with pytest.raises(TypeError, match=where):
        tg.save(obj, path)
    assert not path.exists()


def test_a_structure_that_contains_itself_is_refused(tmp_path) -> None:
    loop: list = [1]
    loop.append(loop)
    with pytest.raises(TypeError, match=r"obj\['x'\]\[1\] contains itself"):
        tg.save({"x": loop}, tmp_path / "loop.pt")


def test_a_tampered_structure_is_refused(tmp_path) -> None:
    import json

    from safetensors.numpy import load_file, save_file

    from tinygrad_nn.serialization import STRUCTURE, STRUCTURE_CHECKSUM

    path = tmp_path / "c.pt"
    tg.save({"epoch": 1, "w": tg.Tensor([1.0])}, path)
    with open(path, "rb") as file:
        length = int.from_bytes(file.read(8), "little")
        metadata = json.loads(file.read(length))["__metadata__"]
    for change in ['{"d":[[{"s":"epoch"},{"i":"2"}],[{"s":"w"},{"t":"w"}]]}', '{"q": 1}']:
        bad = dict(metadata, **{STRUCTURE: change})
        save_file(load_file(path), tmp_path / "bad.pt", metadata=bad)
        with pytest.raises(ValueError, match=r"bad\.pt' is corrupted: its structure fails"):
            tg.load(tmp_path / "bad.pt")
    import hashlib

    text = '{"d":[[{"s":"w"},{"t":"missing"}]]}'
    digest = hashlib.sha256(text.encode()).hexdigest()
    forged = dict(metadata, **{STRUCTURE: text, STRUCTURE_CHECKSUM: digest})
    save_file(load_file(path), tmp_path / "bad.pt", metadata=forged)
    with pytest.raises(ValueError, match="refers to a tensor 'missing'"):
        tg.load(tmp_path / "bad.pt")


def test_safe_globals_are_accepted_as_no_ops(tmp_path) -> None:
    from tinygrad_nn import serialization

    path = tmp_path / "c.pt"
    tg.save({"epoch": 2}, path)
    serialization.add_safe_globals([np.dtype])
    with serialization.safe_globals([dict]):
        assert serialization.get_safe_globals() == [np.dtype, dict]
        assert tg.load(path, weights_only=True) == {"epoch": 2}
    assert serialization.get_safe_globals() == [np.dtype]
    serialization.clear_safe_globals()
    assert tg.load(path, weights_only=False) == {"epoch": 2}
