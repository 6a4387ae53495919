"""PolynomialLR, MultiplicativeLR, CyclicLR, SequentialLR and ChainedScheduler: step for
step against PyTorch 2.13 (skipped without torch), against their formulas by hand, their
state dicts, their refusals, and under install_as_torch()."""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn.optim import lr_scheduler as L

ROOT = Path(__file__).resolve().parent.parent
HAS_TORCH = importlib.util.find_spec("torch") is not None


class Halve:
    """A callable object (not a function): its attributes are saved in a state dict."""

    def __init__(self) -> None:
        self.factor = 0.5

    def __call__(self, x: float) -> float:
        return self.factor ** (x - 1)


def optimizer(lib: Any, kind: str = "sgd") -> Any:
    """Two parameter groups with different rates, on tinygrad_nn or torch."""
    groups = [
        {"params": [lib.nn.Parameter(lib.tensor([1.0, -2.0], dtype=lib.float64))]},
        {"params": [lib.nn.Parameter(lib.tensor([0.5], dtype=lib.float64))], "lr": 0.3},
    ]
    if kind == "adam":
        return lib.optim.Adam(groups, lr=0.1, betas=(0.9, 0.99))
    return lib.optim.SGD(groups, lr=0.1, momentum=0.9)


# name: make(lr_scheduler module, optimizer); both libraries are given the same arguments
SCHEDULES = {
    "polynomial": lambda S, o: S.PolynomialLR(o, total_iters=12, power=2.0),
    "polynomial_linear": lambda S, o: S.PolynomialLR(o),
    "multiplicative": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.95),
    "multiplicative_per_group": lambda S, o: S.MultiplicativeLR(
        o, [lambda e: 0.9, lambda e: 1.0 - 0.01 * e]
    ),
    "cyclic": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=4, step_size_down=6),
    "cyclic_triangular2": lambda S, o: S.CyclicLR(
        o, [0.01, 0.02], [0.1, 0.5], step_size_up=3, mode="triangular2"
    ),
    "cyclic_exp_range": lambda S, o: S.CyclicLR(
        o, 0.01, 0.1, 5, mode="exp_range", gamma=0.95, base_momentum=0.7, max_momentum=0.95
    ),
    "cyclic_scale_fn": lambda S, o: S.CyclicLR(
        o, 0.01, 0.1, 4, scale_fn=lambda x: 1 / (1 + 0.1 * x), scale_mode="iterations"
    ),
    "cyclic_no_momentum": lambda S, o: S.CyclicLR(o, 0.01, 0.1, 2, cycle_momentum=False),
    "sequential": lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, 0.1, total_iters=5), S.CosineAnnealingLR(o, T_max=10)], [5]
    ),
    "sequential_three": lambda S, o: S.SequentialLR(
        o,
        [S.ConstantLR(o, 0.5, total_iters=3), S.ExponentialLR(o, 0.9), S.StepLR(o, 4, 0.5)],
        milestones=[4, 12],
    ),
    "sequential_restarts": lambda S, o: S.SequentialLR(
        o, [S.PolynomialLR(o, 6), S.CosineAnnealingWarmRestarts(o, 4, 2, 0.001)], [6]
    ),
    "sequential_cyclic": lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o, 0.2, 4), S.CyclicLR(o, 0.01, 0.2, 3)], milestones=[8]
    ),
    "chained": lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.1, total_iters=8), S.ExponentialLR(o, gamma=0.9)]
    ),
    "chained_three": lambda S, o: S.ChainedScheduler(
        [S.LinearLR(o, 0.2, total_iters=6), S.MultiStepLR(o, [10, 20]), S.CosineAnnealingLR(o, 25)],
        optimizer=o,
    ),
    "chained_polynomial_multiplicative": lambda S, o: S.ChainedScheduler(
        [S.PolynomialLR(o, 40, 0.5), S.MultiplicativeLR(o, lambda e: 0.98)]
    ),
}


def trajectory(lib: Any, name: str, kind: str, steps: int = 30) -> np.ndarray:
    """Each step's (lr, momentum) of both groups, after ``optimizer.step()``."""
    opt = optimizer(lib, kind)
    schedule = SCHEDULES[name](lib.optim.lr_scheduler, opt)
    seen = [schedule.get_last_lr()]
    for _ in range(steps):
        opt.zero_grad()
        sum((p**2).sum() for g in opt.param_groups for p in g["params"]).backward()
        opt.step()
        schedule.step()
        assert schedule.get_last_lr() == [g["lr"] for g in opt.param_groups]
        momenta = [g["momentum"] if kind == "sgd" else g["betas"][0] for g in opt.param_groups]
        seen.append([*schedule.get_last_lr(), *momenta])
    seen[0] = [*seen[0], *([math.nan] * len(opt.param_groups))]
    return np.array(seen, dtype=float)


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_the_schedules_follow_pytorch_step_for_step(name: str, kind: str) -> None:
    import torch

    ours, theirs = trajectory(tg, name, kind), trajectory(torch, name, kind)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert len(np.unique(theirs[:, 0])) > 2  # the schedule did move the rate


def lrs(schedule: Any, steps: int) -> list[float]:
    """Group 0's rate at epochs 0..steps."""
    return [schedule.get_last_lr()[0]] + [
        schedule.step() or schedule.get_last_lr()[0] for _ in range(steps)
    ]


def test_polynomial_and_multiplicative_by_hand() -> None:
    got = lrs(L.PolynomialLR(optimizer(tg), total_iters=10, power=3.0), 15)
    expected = [0.1 * (1 - min(t, 10) / 10) ** 3 for t in range(16)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-18)
    assert got[10:] == [0.0] * 6
    got = lrs(L.MultiplicativeLR(optimizer(tg), lambda e: 1 / (1 + e)), 6)
    np.testing.assert_allclose(got, [0.1 / math.factorial(t + 1) for t in range(7)], rtol=1e-12)


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_follows_the_papers_formula(mode: str) -> None:
    """lr = base + (max - base) max(0, 1 - |t/s - 2 cycle + 1|) * scale (Smith, 2017)."""
    opt = optimizer(tg)
    schedule = L.CyclicLR(opt, 0.02, 0.2, step_size_up=5, mode=mode, gamma=0.9)
    for t in range(31):
        cycle = math.floor(1 + t / 10)
        height = max(0.0, 1 - abs(t / 5 - 2 * cycle + 1))
        scale = {"triangular": 1.0, "triangular2": 0.5 ** (cycle - 1), "exp_range": 0.9**t}[mode]
        assert schedule.get_last_lr() == pytest.approx([0.02 + 0.18 * height * scale] * 2)
        momentum = 0.9 - 0.1 * height * scale
        assert [g["momentum"] for g in opt.param_groups] == pytest.approx([momentum] * 2)
        schedule.step()
    adam = optimizer(tg, "adam")
    L.CyclicLR(adam, 0.01, 0.1, max_momentum=0.93)
    assert [g["betas"] for g in adam.param_groups] == [(0.93, 0.99)] * 2  # Adam's beta1
    assert adam.param_groups[0]["max_momentum"] == 0.93


def test_sequential_restarts_each_schedule_at_its_milestone_by_hand() -> None:
    opt = optimizer(tg)
    warm_up = L.LinearLR(opt, start_factor=0.25, total_iters=4)
    schedule = L.SequentialLR(opt, [warm_up, L.ExponentialLR(opt, gamma=0.5)], milestones=[4])
    expected = [0.1 * (0.25 + 0.75 * t / 4) for t in range(4)] + [0.1 * 0.5**t for t in range(6)]
    np.testing.assert_allclose(lrs(schedule, 9), expected, rtol=1e-12)
    assert schedule.last_epoch == 9 and warm_up.last_epoch == 3


def test_chained_factors_multiply_by_hand() -> None:
    opt = optimizer(tg)
    parts = [L.ConstantLR(opt, factor=0.1, total_iters=20), L.ExponentialLR(opt, gamma=0.9)]
    schedule = L.ChainedScheduler(parts)
    got = lrs(schedule, 25)
    np.testing.assert_allclose(
        got, [0.1 * (0.1 if t < 20 else 1.0) * 0.9**t for t in range(26)], rtol=1e-12
    )
    assert schedule.get_last_lr()[1] == pytest.approx(0.3 * 0.9**25)


def test_step_with_an_epoch_warns_and_takes_the_closed_form() -> None:
    schedule = L.PolynomialLR(optimizer(tg), total_iters=4)
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)`"):
        schedule.step(3)
    assert schedule.last_epoch == 3 and schedule.get_last_lr() == pytest.approx([0.025, 0.075])


ROUND_TRIPS = {
    "polynomial": lambda o: L.PolynomialLR(o, total_iters=9, power=1.5),
    "multiplicative": lambda o: L.MultiplicativeLR(o, lambda e: 0.9),
    "cyclic": lambda o: L.CyclicLR(o, 0.01, 0.1, 3, mode="triangular2"),
    "cyclic_scale_object": lambda o: L.CyclicLR(o, 0.01, 0.1, 3, scale_fn=Halve()),
    "sequential": lambda o: L.SequentialLR(
        o, [L.LinearLR(o, 0.5, total_iters=3), L.StepLR(o, 2, 0.5)], [3]
    ),
    "chained": lambda o: L.ChainedScheduler([L.ConstantLR(o, 0.5, 5), L.ExponentialLR(o, 0.8)]),
}


@pytest.mark.parametrize("name", sorted(ROUND_TRIPS))
def test_a_state_dict_resumes_the_schedule(name: str) -> None:
    """Save at step 7 (with the optimizer's own state), load into fresh ones: the same
    rates and momenta from there on as the run that never stopped."""
    opt, fresh_opt = optimizer(tg), optimizer(tg)
    schedule = ROUND_TRIPS[name](opt)
    for _ in range(7):
        schedule.step()
    state = schedule.state_dict()
    assert "optimizer" not in state
    # (a ChainedScheduler has no epoch of its own, as PyTorch's: its schedules have)
    epochs = [state.get("last_epoch")] if name != "chained" else state["_schedulers"]
    assert [e if isinstance(e, int) else e["last_epoch"] for e in epochs] == [7] * len(epochs)
    assert all(not callable(v) for v in state.values())
    fresh = ROUND_TRIPS[name](fresh_opt)
    fresh_opt.load_state_dict(opt.state_dict())
    fresh.load_state_dict(state)
    assert fresh.state_dict().keys() == state.keys()
    for _ in range(12):
        schedule.step()
        fresh.step()
        assert fresh.get_last_lr() == schedule.get_last_lr()
        assert [g["momentum"] for g in fresh_opt.param_groups] == [
            g["momentum"] for g in opt.param_groups
        ]


def test_callable_objects_keep_their_attributes_through_a_state_dict() -> None:
    halve = Halve()
    schedule = L.CyclicLR(optimizer(tg), 0.01, 0.1, 3, scale_fn=halve)
    halve.factor = 0.25
    other = Halve()
    resumed = L.CyclicLR(optimizer(tg), 0.01, 0.1, 3, scale_fn=other)
    resumed.load_state_dict(schedule.state_dict())
    assert other.factor == 0.25
    assert (
        L.CyclicLR(optimizer(tg), 0.01, 0.1, scale_fn=abs).state_dict()["_scale_fn_custom"] is None
    )
    scale = Halve()
    multiplied = L.MultiplicativeLR(optimizer(tg), [scale, lambda e: 0.5])
    assert multiplied.state_dict()["lr_lambdas"] == [{"factor": 0.5}, None]


def refusals(S: Any, lib: Any) -> dict[str, Any]:
    """name: a call that must fail (on either library)."""
    one, two = optimizer(lib), optimizer(lib)
    return {
        "lambdas": lambda: S.MultiplicativeLR(one, [lambda e: 1.0]),
        "not_callable": lambda: S.MultiplicativeLR(one, 3),
        "mode": lambda: S.CyclicLR(one, 0.01, 0.1, mode="sawtooth"),
        "base_lr": lambda: S.CyclicLR(one, [0.01, 0.02, 0.03], 0.1),
        "max_momentum": lambda: S.CyclicLR(one, 0.01, 0.1, max_momentum=[0.9]),
        "no_momentum": lambda: S.CyclicLR(lib.optim.Adagrad(one.param_groups[0]["params"]), 0, 1),
        "sequential_empty": lambda: S.SequentialLR(one, [], []),
        "sequential_milestones": lambda: S.SequentialLR(one, [S.StepLR(one, 2)], [3]),
        "sequential_other": lambda: S.SequentialLR(one, [S.StepLR(two, 2)], []),
        "sequential_plateau": lambda: S.SequentialLR(one, [S.ReduceLROnPlateau(one)], []),
        "sequential_not_scheduler": lambda: S.SequentialLR(one, [object()], []),
        "chained_empty": lambda: S.ChainedScheduler([]),
        "chained_other": lambda: S.ChainedScheduler([S.StepLR(one, 2), S.StepLR(two, 2)]),
        "chained_plateau": lambda: S.ChainedScheduler([S.ReduceLROnPlateau(one)], one),
    }


REFUSED = {  # name: (error, PyTorch's words)
    "lambdas": (ValueError, "Expected 2 lr_lambdas, but got 1"),
    "not_callable": (TypeError, "lr_lambda should be a function, but got int"),
    "mode": (ValueError, "mode is invalid and scale_fn is None"),
    "base_lr": (
        ValueError,
        "base_lr must have the same length as optimizer.param_groups. base_lr has 3 values, "
        "param_groups has 2.",
    ),
    "max_momentum": (ValueError, "max_momentum must have the same length"),
    "no_momentum": (
        ValueError,
        "optimizer must support momentum or beta1 with `cycle_momentum` option enabled",
    ),
    "sequential_empty": (
        ValueError,
        "SequentialLR expects at least one scheduler, but got no scheduler.",
    ),
    "sequential_milestones": (
        ValueError,
        "Sequential Schedulers expects number of schedulers provided to be one more than the "
        "number of milestone points, but got number of schedulers 1 and the number of "
        "milestones to be equal to 1",
    ),
    "sequential_other": (
        ValueError,
        "SequentialLR expects all schedulers to belong to the same optimizer, but got "
        "scheduler StepLR at index 0 has",
    ),
    "sequential_plateau": (
        ValueError,
        "SequentialLR does not support `ReduceLROnPlateau` scheduler as it requires",
    ),
    "sequential_not_scheduler": (
        TypeError,
        "SequentialLR at index 0 should have `optimizer` as its attribute.",
    ),
    "chained_empty": (
        ValueError,
        "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.",
    ),
    "chained_other": (ValueError, "got scheduler StepLR at index 1 has"),
    "chained_plateau": (ValueError, "but got one at index 0 in the given schedulers sequence."),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_bad_arguments_get_pytorchs_errors(name: str) -> None:
    error, words = REFUSED[name]
    with pytest.raises(error) as ours:
        refusals(L, tg)[name]()
    assert words in str(ours.value)
    if HAS_TORCH:
        import torch

        with pytest.raises(error) as theirs:
            refusals(torch.optim.lr_scheduler, torch)[name]()
        assert words in str(theirs.value)


def test_install_as_torch_answers_the_new_names() -> None:
    with tg.install_as_torch():
        import torch.optim.lr_scheduler as S
        from torch.optim.lr_scheduler import ChainedScheduler, CyclicLR

        assert CyclicLR is L.CyclicLR and ChainedScheduler is L.ChainedScheduler
        assert (S.PolynomialLR, S.MultiplicativeLR, S.SequentialLR) == (
            L.PolynomialLR,
            L.MultiplicativeLR,
            L.SequentialLR,
        )
    table = tg.torch_names.table().split(">torch.optim.lr_scheduler</code> |")[1]
    supported, missing = table.split("\n")[0].split("|")[:2]
    assert "`CyclicLR`" in supported and "`SequentialLR`" in supported and "none" in missing


def test_a_pytorch_program_with_a_cyclic_schedule_runs_unchanged(tmp_path: Path) -> None:
    program = tmp_path / "cyclic.py"
    program.write_text(
        "import torch\n"
        "from torch.optim.lr_scheduler import CyclicLR, SequentialLR, PolynomialLR\n"
        "w = torch.nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))\n"
        "opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)\n"
        "schedule = SequentialLR(opt, [PolynomialLR(opt, 3), CyclicLR(opt, 0.0, 1.0, 2)], [3])\n"
        "for _ in range(6):\n"
        "    opt.zero_grad(); (w ** 2).sum().backward(); opt.step(); schedule.step()\n"
        "    print(round(schedule.get_last_lr()[0], 6))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-m", "tinygrad_nn", "run", str(program)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["0.066667", "0.033333", "0.0", "0.5", "1.0", "0.5"]
