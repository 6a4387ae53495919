"""Hardening: no silent wrong gradient, no injection, clear errors, PyTorch's choices at kinks.

Each test here is a case that once went wrong (see the hardening issue); together with
tests/test_fuzz.py they keep it from coming back.
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn import nn, viz

EVIL_NAMES = [
    '<x> [URL="javascript:alert(1)"] <y>',
    "</script><script>alert(1)</script>",
    "ends with a backslash\\",
    'quote " and newline\n and {braces}',
]


def evil_graph() -> tg.Tensor:
    tensors = [tg.Tensor([1.0, 2.0], requires_grad=True, name=n) for n in EVIL_NAMES]
    out = tensors[0]
    for t in tensors[1:]:
        out = out * t
    return out.sum()


# ---------------------------------------------------------------- injection


def test_dot_source_never_carries_a_raw_name() -> None:
    dot = viz.to_dot(evil_graph())
    assert '[URL="javascript' not in dot
    for line in dot.splitlines():  # node ids are ours; names only inside quoted labels
        if "->" in line:
            assert re.match(r'\s*n\d+ -> n\d+( \[label="[^"]*"\])?$', line), line


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs the dot program")
def test_svg_and_page_carry_no_link_and_no_script_from_names(tmp_path) -> None:
    svg = viz.render_svg(evil_graph())  # a name ending in a backslash renders too
    assert "href" not in svg  # the name is text, not a link (<a xlink:title>: a tooltip)
    assert "&lt;x&gt; [URL=&quot;javascript" in svg
    page = viz.animate_backward(evil_graph(), tmp_path / "page.html").read_text()
    assert page.count("<script>") == 1 and page.count("</script>") == 1
    assert "alert(1)</script>" not in page


def test_mermaid_text_and_explanation_escape_or_quote_names() -> None:
    mermaid = viz.to_mermaid(evil_graph())
    assert "<script>" not in mermaid and '"javascript' not in mermaid
    text = viz.to_text(evil_graph())
    assert EVIL_NAMES[1] in text  # plain text: shown as it is, nothing interprets it
    assert "step 1:" in viz.explanation(evil_graph())


# ---------------------------------------------------------------- silent wrong results


def test_a_tuple_inside_an_index_is_an_integer_array_and_repeats_accumulate() -> None:
    x = tg.Tensor(np.ones((2, 3)), requires_grad=True)
    x[:, (0, 0, 2)].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[2, 0, 1], [2, 0, 1]])
    y = tg.Tensor([1.0, 2.0], requires_grad=True)
    y[(0, 0),].sum().backward()
    np.testing.assert_array_equal(y.grad.data, [2, 0])
    _, (g,) = tg.compile(lambda t: t[:, (0, 0, 2)].sum())(tg.Tensor(np.ones((2, 3)), True))
    np.testing.assert_array_equal(g.data, [[2, 0, 1], [2, 0, 1]])


def test_powers_at_zero_follow_pytorch() -> None:
    x = tg.Tensor(0.0, requires_grad=True)
    (x**0).backward()
    assert x.grad.item() == 0.0
    e = tg.Tensor(2.0, requires_grad=True)
    (0.0**e).backward()
    assert e.grad.item() == 0.0
    x, y = tg.Tensor(0.0, requires_grad=True), tg.Tensor(0.0, requires_grad=True)
    (x**y).backward()
    assert (x.grad.item(), y.grad.item()) == (0.0, 0.0)


def test_a_grad_output_that_requires_grad_is_part_of_the_graph() -> None:
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    v = tg.Tensor([3.0, 5.0], requires_grad=True)
    (vjp,) = tg.grad(x * x, [x], grad_outputs=v, create_graph=True)  # 2 x v
    (d_v,) = tg.grad(vjp.sum(), [v])
    np.testing.assert_allclose(d_v.data, 2 * x.data)
    u = tg.Tensor([1.0, 1.0], requires_grad=True)
    (x * x).backward(grad=u, create_graph=True)
    (d_u,) = tg.grad(x.grad.sum(), [u])
    np.testing.assert_allclose(d_u.data, 2 * x.data)


def test_compile_follows_requires_grad_of_captured_tensors() -> None:
    w, c = tg.Tensor([2.0], requires_grad=True), tg.Tensor([3.0])
    f = tg.compile(lambda x: (x * w * c).sum())
    x = tg.Tensor([1.0], requires_grad=True)
    f(x)
    w.requires_grad_(False)
    w.grad = None
    f(x)
    assert w.grad is None  # a frozen weight receives nothing
    c.requires_grad_(True)
    c.data = np.array([5.0])
    loss, _ = f(x)
    assert loss.item() == 10.0 and c.grad.item() == 2.0  # read now, not frozen


def test_compile_refuses_a_value_read_through_data() -> None:
    f = tg.compile(lambda x: (x * float(x.data.sum())).sum())
    with pytest.raises(tg.TracingError, match=r"reads (the values|a tensor's value)"):
        f(tg.Tensor([1.0, 2.0], requires_grad=True))
    w = tg.Tensor([2.0], requires_grad=True)
    g = tg.compile(lambda x: (x * w.data).sum())
    with pytest.raises(tg.TracingError, match="reads the values"):
        g(tg.Tensor([1.0], requires_grad=True))
    assert w.data.tolist() == [2.0]  # restored after the second trace


@pytest.mark.parametrize("names", [["W₁"], ["H", "ℌ"], ["class"], ["2x", "x y"]])
def test_compile_accepts_any_tensor_name(names: list[str]) -> None:
    captured = [tg.Tensor([float(i + 1)], requires_grad=True, name=n) for i, n in enumerate(names)]

    def f(x: tg.Tensor) -> tg.Tensor:
        out = x
        for t in captured:
            out = out * t
        return out.sum()

    loss, _ = tg.compile(f)(tg.Tensor([1.0], requires_grad=True))
    assert loss.item() == float(np.prod(range(1, len(names) + 1)))


# ---------------------------------------------------------------- clear errors


def test_in_place_ops_on_integer_tensors_say_what_is_wrong() -> None:
    t = tg.Tensor([1, 2])
    # PyTorch's words: the in-place result must fit the tensor's dtype
    with pytest.raises(RuntimeError, match=r"div_: result type Double can't be cast.*Long"):
        t /= 2
    with pytest.raises(RuntimeError, match=r"add_: result type Double can't be cast.*Long"):
        t += 1.5
    assert t.tolist() == [1, 2]


@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.reshape(1.5, 4),
        lambda t: t.reshape("3", 2),
        lambda t: t.transpose(1.7, 0.2),
    ],
)
def test_non_integer_sizes_are_type_errors(call) -> None:
    with pytest.raises(TypeError, match="integers"):
        call(tg.Tensor(np.ones((2, 3))))


def test_a_non_numeric_operand_is_a_type_error_naming_the_operator() -> None:
    h = tg.Tensor([1.0], requires_grad=True)
    with pytest.raises(
        TypeError, match=r"unsupported operand type\(s\) for \+: 'Tensor' and 'str'"
    ):
        h + "abc"


def test_numpys_axis_error_is_still_an_index_error() -> None:
    with pytest.raises(IndexError, match="sum"):
        tg.Tensor(np.ones((2, 3)), requires_grad=True).sum(axis=5)
    with pytest.raises(np.exceptions.AxisError):
        tg.Tensor(np.ones(3)).max(axis=1)


# ---------------------------------------------------------------- edge cases that just work


@pytest.mark.parametrize("method", ["sum", "max", "min", "mean"])
def test_axis_minus_one_on_a_0d_tensor(method: str) -> None:
    x = tg.Tensor(2.0, requires_grad=True)
    getattr(x, method)(axis=-1).backward()  # (max(-1) is a (values, indices) pair)
    assert x.grad.item() == 1.0


def test_empty_index_and_empty_softmax_axis() -> None:
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    x[[]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 0])
    for method in ("softmax", "log_softmax"):
        e = tg.Tensor(np.ones((2, 0)), requires_grad=True)
        out = getattr(e, method)(axis=-1)
        assert out.shape == (2, 0)
        out.sum().backward()
        assert e.grad.shape == (2, 0)


def test_no_grad_on_a_generator_and_set_grad_enabled_as_a_call() -> None:
    w = tg.Tensor([1.0], requires_grad=True)

    @tg.no_grad()
    def doubled(n: int):
        for _ in range(n):
            yield w * 2

    assert [t.requires_grad for t in doubled(2)] == [False, False]
    assert tg.is_grad_enabled()
    tg.set_grad_enabled(False)
    try:
        assert not (w * 2).requires_grad
    finally:
        tg.set_grad_enabled(True)
    assert (w * 2).requires_grad


# ---------------------------------------------------------------- ties, kinks and NaN


def grads(fn, *values):
    tensors = [tg.Tensor(v, requires_grad=True) for v in values]
    return [g.data for g in tg.grad(fn(*tensors), tensors)]


def test_ties_follow_pytorch() -> None:
    # maximum/minimum: a tie splits the gradient; max/min reductions share it evenly
    assert [g.tolist() for g in grads(lambda a, b: tg.maximum(a, b).sum(), [1.0], [1.0])] == [
        [0.5],
        [0.5],
    ]
    assert [g.tolist() for g in grads(lambda a, b: tg.minimum(a, b).sum(), [1.0], [1.0])] == [
        [0.5],
        [0.5],
    ]
    assert grads(lambda x: x.max(), [3.0, 1.0, 3.0])[0].tolist() == [0.5, 0.0, 0.5]
    assert grads(lambda x: x.min(axis=0).sum(), [[1.0], [1.0]])[0].tolist() == [[0.5], [0.5]]
    # relu and abs at exactly 0 send nothing; clip at exactly its bound passes the gradient
    assert grads(lambda x: x.abs().sum(), [0.0, -2.0])[0].tolist() == [0.0, -1.0]
    assert grads(lambda x: x.relu().sum(), [0.0, 1.0])[0].tolist() == [0.0, 1.0]
    assert grads(lambda x: x.clip(-1.0, 1.0).sum(), [-1.0, 1.0, 2.0])[0].tolist() == [1, 1, 0]


def test_nan_gradients_follow_pytorch() -> None:
    nan = float("nan")
    assert grads(lambda x: x.relu().sum(), [nan])[0].tolist() == [1.0]  # threshold_backward
    assert grads(lambda x: x.abs().sum(), [nan])[0].tolist() == [0.0]  # sgn(NaN) = 0
    gx, gy = grads(lambda a, b: tg.maximum(a, b).sum(), [nan], [1.0])
    assert gx.tolist() == [1.0] and gy.tolist() == [1.0]  # PyTorch sends g to both
    gx, gy = grads(lambda a, b: tg.minimum(a, b).sum(), [nan], [1.0])
    assert gx.tolist() == [1.0] and gy.tolist() == [1.0]


def test_float32_stays_float32_in_max_and_min_backward() -> None:
    for method in ("max", "min"):
        x = tg.Tensor(np.array([1.0, 3.0, 3.0], np.float32), requires_grad=True)
        (dx,) = tg.grad(getattr(x, method)(), [x], create_graph=True)
        assert dx.dtype == np.float32


# ---------------------------------------------------------------- blind spots of the proof


@pytest.mark.parametrize("loss", [nn.SSE(), nn.MSE(), nn.BCE()])
def test_the_targets_gradient_is_right_too(loss) -> None:
    p = tg.Tensor([0.2, 0.7, 0.4], requires_grad=True)
    t = tg.Tensor([0.1, 0.9, 0.5], requires_grad=True)
    assert tg.gradcheck(lambda p, t: loss(p, t), [p, t])


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, y: (x * y + y).sum(),
        lambda x, y: (x + y).mean(),  # y broadcast: summed back, not averaged
        lambda x, y: (x @ y.reshape(3, 1)).tanh().sum(),
        lambda x, y: tg.maximum(x, y).sum() + x.max(),
    ],
)
def test_create_graph_gives_the_plain_first_derivative(fn) -> None:
    rng = np.random.default_rng(0)
    xv, yv = rng.normal(size=(2, 3)), rng.normal(size=3)
    x, y = tg.Tensor(xv, requires_grad=True), tg.Tensor(yv, requires_grad=True)
    plain = tg.grad(fn(x, y), [x, y])
    recorded = tg.grad(fn(x, y), [x, y], create_graph=True)
    for a, b in zip(plain, recorded):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12)


def test_backward_twice_accumulates_and_the_same_output_twice_adds() -> None:
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward(create_graph=True)
    np.testing.assert_allclose(x.grad.data, 4 * x.data)
    z = x * 3
    (g,) = tg.grad([z, z], [x], grad_outputs=[np.ones(2), np.ones(2)])
    np.testing.assert_allclose(g.data, [6.0, 6.0])


# ---------------------------------------------------------------- anomaly mode


def test_anomaly_mode_names_the_first_op_and_the_users_line() -> None:
    x = tg.Tensor([4.0, 1.0], requires_grad=True)
    with tg.detect_anomaly(), pytest.raises(tg.AnomalyError) as caught:
        (x - 2).sqrt().sqrt()
    text = str(caught.value)
    assert "sqrt made NaN in its output" in text and "z = sqrt(x)" in text
    assert "values in [-1, 2]" in text and "test_hardening.py" in text
    with tg.detect_anomaly(), pytest.raises(tg.AnomalyError, match="log made NaN"):
        (-x).log()


def test_anomaly_mode_catches_a_division_by_zero_that_only_backward_makes() -> None:
    z = tg.Tensor([0.0, 1.0], requires_grad=True)

    @tg.detect_anomaly()
    def run() -> None:
        z.sqrt().sum().backward()

    with pytest.raises(tg.AnomalyError) as caught:
        run()
    text = str(caught.value)
    assert "sqrt made infinity in its backward, in the gradient for x" in text
    assert "dz/dx = 1 / (2 sqrt(x))" in text and "def run" not in text
    assert "z.sqrt().sum().backward()" in text
    z.sqrt().sum().backward()  # off again: no check, no error


def test_loss_values_by_hand() -> None:
    logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    labels = np.array([0, 2])
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = -log_p[np.arange(2), labels].mean()
    assert nn.CrossEntropy()(tg.Tensor(logits), labels).item() == pytest.approx(expected)
    assert nn.CrossEntropyLoss()(tg.Tensor(logits), labels).item() == pytest.approx(expected)
    p, t = np.array([0.2, 0.9]), np.array([0.0, 1.0])
    bce = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert nn.BCELoss()(tg.Tensor(p), t).item() == pytest.approx(bce)


def test_prod_gradients_with_zero_factors() -> None:
    # one zero: only it gets a gradient, the product of the others; two zeros: nothing
    assert grads(lambda x: x.prod(), [2.0, 0.0, 3.0])[0].tolist() == [0.0, 6.0, 0.0]
    assert grads(lambda x: x.prod(), [2.0, 0.0, 0.0])[0].tolist() == [0.0, 0.0, 0.0]
    assert grads(lambda x: x.prod(), [2.0, 4.0])[0].tolist() == [4.0, 2.0]
    assert grads(lambda x: x.cumprod(0).sum(), [2.0, 0.0, 3.0])[0].tolist() == [1.0, 8.0, 0.0]


def test_softplus_switches_to_x_past_its_threshold_as_pytorch() -> None:
    from tinygrad_nn.nn import functional as F

    at, past = F.softplus(tg.Tensor([20.0, 20.5])).tolist()
    assert at == np.log1p(np.exp(20.0)) and past == 20.5  # beta * x > threshold: x itself


def test_optimizers_keep_the_parameter_dtype_and_decay_weights() -> None:
    p = nn.Parameter(np.array([1.0, -2.0], np.float32))
    p.grad = tg.Tensor(np.array([0.5, 0.5]))  # a float64 gradient set by hand
    tg.optim.SGD([p], lr=0.1).step()
    assert p.dtype == np.float32
    q = nn.Parameter([1.0, -2.0])
    adagrad = tg.optim.Adagrad([q], lr=0.1, weight_decay=0.5)
    expected, total = q.array.copy(), np.zeros(2)
    for _ in range(3):  # a zero loss gradient: only the weight decay g = 0.5 p moves p
        q.grad = tg.Tensor([0.0, 0.0])
        adagrad.step()
        g = 0.5 * expected
        total += g * g
        expected = expected - 0.1 * g / (np.sqrt(total) + 1e-10)
    np.testing.assert_allclose(q.data, expected, rtol=1e-12)


def test_loss_options_by_hand() -> None:
    from tinygrad_nn.nn import functional as F

    scores = tg.Tensor([-1.0, -2.0, -0.5])  # one sample, as (C,)
    assert F.nll_loss(scores, np.array(1)).item() == 2.0
    assert F.cross_entropy(tg.Tensor([0.0, 0.0]), np.array(1)).item() == pytest.approx(np.log(2))
    smoothed = F.cross_entropy(tg.Tensor([0.0, 0.0]), np.array(1), label_smoothing=0.1)
    assert smoothed.item() == pytest.approx(np.log(2))  # uniform logits: smoothing changes nothing
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        F.nll_loss(tg.Tensor([[-1.0, -2.0, -0.5]]), np.array([3]))
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="label_smoothing"):
            F.cross_entropy(tg.Tensor([[0.0, 1.0]]), np.array([0]), label_smoothing=bad)
    logits, bits, weight = np.array([0.3, -1.2]), np.array([1.0, 0.0]), np.array([2.0, 0.5])
    with_logits = F.binary_cross_entropy_with_logits(tg.Tensor(logits), bits, weight)
    on_probabilities = F.binary_cross_entropy(tg.Tensor(logits).sigmoid(), bits, weight)
    assert with_logits.item() == pytest.approx(on_probabilities.item(), rel=1e-12)
