"""Optimizers against their update rules written out by hand (and PyTorch, if installed)."""

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn import nn, optim

TARGET = np.array([1.0, -2.0, 0.5])
START = np.array([0.3, 0.1, -0.4])


def gradient(p: np.ndarray) -> np.ndarray:
    """Gradient of the loss sum((p - TARGET)**2 * [1, 2, 3]) used below."""
    return 2 * (p - TARGET) * np.array([1.0, 2.0, 3.0])


def run(optimizer_factory, steps: int = 5) -> list[np.ndarray]:
    p = nn.Parameter(START)
    opt = optimizer_factory([p])
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        (((p - TARGET) ** 2) * np.array([1.0, 2.0, 3.0])).sum().backward()
        opt.step()
        trajectory.append(p.array.copy())
    return trajectory


@pytest.mark.parametrize(("momentum", "weight_decay"), [(0.0, 0.0), (0.9, 0.0), (0.5, 0.1)])
def test_sgd_follows_its_rule(momentum, weight_decay) -> None:
    lr = 0.05
    p, buffer, expected = START.copy(), None, []
    for _ in range(5):
        g = gradient(p) + weight_decay * p
        if momentum:
            buffer = g if buffer is None else momentum * buffer + g
            g = buffer
        p = p - lr * g
        expected.append(p)
    got = run(lambda ps: optim.SGD(ps, lr=lr, momentum=momentum, weight_decay=weight_decay))
    np.testing.assert_allclose(got, expected, rtol=1e-14)


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_adam_follows_its_rule(weight_decay) -> None:
    lr, (b1, b2), eps = 0.1, (0.9, 0.999), 1e-8
    p, m, v, expected = START.copy(), 0.0, 0.0, []
    for t in range(1, 6):
        g = gradient(p) + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        expected.append(p)
    got = run(lambda ps: optim.Adam(ps, lr=lr, weight_decay=weight_decay))
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_parameters_without_gradients_are_left_alone() -> None:
    a, b = nn.Parameter([1.0]), nn.Parameter([2.0])
    opt = optim.Adam([a, b], lr=0.1)
    (a * 3).sum().backward()
    opt.step()
    assert b.data[0] == 2.0 and a.data[0] != 1.0


def test_step_does_not_disturb_a_retained_graph() -> None:
    w = nn.Parameter([2.0])
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    optim.SGD([w], lr=0.5).step()
    w.grad = None
    loss.backward()  # the graph saved w = 2, not the updated value
    assert w.grad.item() == 4.0


def test_float32_parameters_stay_float32() -> None:
    w = nn.Parameter(np.ones(2), dtype=np.float32)
    opt = optim.Adam([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    assert w.dtype == np.float32


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: optim.SGD([], lr=0.1), "empty parameter list"),
        (lambda: optim.SGD([nn.Parameter([1.0])], lr=-1), "learning rate"),
        (lambda: optim.SGD([nn.Parameter([1.0])], lr=0.1, momentum=-0.5), "momentum"),
        (lambda: optim.Adam([nn.Parameter([1.0])], betas=(0.9, 1.0)), "betas"),
    ],
)
def test_invalid_settings_are_rejected(make, words) -> None:
    with pytest.raises(ValueError, match=words):
        make()


def test_against_pytorch_when_it_is_installed() -> None:
    torch = pytest.importorskip("torch")
    model = nn.Sequential(nn.Linear(3, 5, rng=0), nn.Tanh(), nn.Linear(5, 2, rng=1))
    reference = torch.nn.Sequential(
        torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)
    ).double()
    with torch.no_grad():
        for ours, theirs in zip([model[0], model[2]], [reference[0], reference[2]]):
            theirs.weight.copy_(torch.tensor(ours.weight.detach().numpy()))  # both (out, in)
            theirs.bias.copy_(torch.tensor(ours.bias.detach().numpy()))
    X = np.random.default_rng(0).standard_normal((8, 3))
    labels = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    ours_opt = optim.Adam(model.parameters(), lr=0.01, weight_decay=0.01)
    theirs_opt = torch.optim.Adam(reference.parameters(), lr=0.01, weight_decay=0.01)
    for _ in range(5):
        ours_opt.zero_grad()
        nn.CrossEntropy()(model(tg.Tensor(X)), labels).backward()
        ours_opt.step()
        theirs_opt.zero_grad()
        torch.nn.functional.cross_entropy(
            reference(torch.tensor(X)), torch.tensor(labels)
        ).backward()
        theirs_opt.step()
    np.testing.assert_allclose(
        model[0].weight.detach().numpy(), reference[0].weight.detach().numpy(), rtol=1e-10
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
        lambda ps: optim.Adam(ps, lr=0.1, amsgrad=True),
        lambda ps: optim.AdamW(ps, lr=0.1),
        lambda ps: optim.RMSprop(ps, lr=0.1, centered=True, momentum=0.3),
        lambda ps: optim.Adagrad(ps, lr=0.1),
    ],
)
def test_state_dict_round_trip_continues_the_same_trajectory(make) -> None:
    first = run(make, steps=3)[-1]
    p = nn.Parameter(START)
    opt = make([p])
    for _ in range(3):
        opt.zero_grad()
        (((p - TARGET) ** 2) * np.array([1.0, 2.0, 3.0])).sum().backward()
        opt.step()
    np.testing.assert_allclose(p.data, first)
    saved = opt.state_dict()
    q = nn.Parameter(p.array.copy())
    other = make([q])
    other.load_state_dict(saved)
    for params, o in (([p], opt), ([q], other)):
        o.zero_grad()
        (((params[0] - TARGET) ** 2) * np.array([1.0, 2.0, 3.0])).sum().backward()
        o.step()
    np.testing.assert_allclose(q.data, p.data, rtol=1e-12)


def test_a_bad_state_dict_changes_nothing() -> None:
    p = nn.Parameter([1.0, 2.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="shape"):
        opt.load_state_dict(
            {
                "state": {0: {"momentum_buffer": np.ones(3)}},
                "param_groups": [{"params": [0], "lr": 5.0}],
            }
        )
    assert opt.param_groups[0]["lr"] == 0.1 and opt.state_dict()["state"] == {}
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="unknown settings"):
        optim.SGD([{"params": [p], "momentun": 0.9}], lr=0.1)


def test_schedules_and_clipping_by_hand() -> None:
    p = nn.Parameter([1.0])
    opt = optim.SGD([p], lr=1.0)
    cosine = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.2)
    lrs = []
    for _ in range(4):
        cosine.step()
        lrs.append(cosine.get_last_lr()[0])
    expected = [0.2 + 0.8 * (1 + np.cos(np.pi * e / 4)) / 2 for e in range(1, 5)]
    np.testing.assert_allclose(lrs, expected)
    p.grad = tg.Tensor([-7.0])
    nn.utils.clip_grad_value_([p], 2.0)
    assert p.grad.tolist() == [-2.0]
