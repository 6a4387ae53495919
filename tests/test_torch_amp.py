"""torch.amp under install_as_torch(): nanoGPT train.py's GradScaler and autocast lines run,
and change nothing (tinygrad_nn has no float16 autocasting)."""

from __future__ import annotations

import importlib.util
from contextlib import nullcontext

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn.torch_names.amp import NO_CASTS

HAS_TORCH = importlib.util.find_spec("torch") is not None


def train_step(torch, scaler, ctx):
    """nanoGPT's step: scale, backward, unscale, clip, step, update."""
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.5, -1.0, 2.0]]))
        model.bias.fill_(0.1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    x, y = torch.tensor([[1.0, 2.0, 3.0], [0.0, 1.0, -1.0]]), torch.tensor([[1.0], [0.0]])
    for _ in range(3):
        with ctx:
            loss = torch.nn.functional.mse_loss(model(x), y)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
    return loss.item(), model.weight.detach().numpy().copy()


class NoScaler:
    """The step without any scaler, written out."""

    def scale(self, loss):
        return loss

    def unscale_(self, optimizer):
        pass

    def step(self, optimizer):
        optimizer.step()

    def update(self):
        pass


def test_a_disabled_scaler_is_the_plain_step() -> None:
    with tg.install_as_torch():
        import torch

        scaler = torch.amp.GradScaler("cuda", enabled=False)
        assert not scaler.is_enabled() and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
        scaled = train_step(torch, scaler, nullcontext())
        plain = train_step(torch, NoScaler(), nullcontext())
        assert scaled[0] == plain[0] and np.array_equal(scaled[1], plain[1])


def test_enabled_mixed_precision_warns_and_runs_in_full_precision() -> None:
    with tg.install_as_torch():
        import torch

        with pytest.warns(UserWarning, match=r"GradScaler is enabled, but .* Disabling\."):
            scaler = torch.amp.GradScaler(enabled=True)
        assert not scaler.is_enabled()
        with pytest.warns(UserWarning, match=NO_CASTS[:40]):
            ctx = torch.autocast(device_type="cuda", dtype=np.float16)
        with ctx:
            assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == np.float64
        with pytest.warns(FutureWarning, match=r"torch\.cuda\.amp\.GradScaler\(args\.\.\.\)"):
            torch.cuda.amp.GradScaler(enabled=False)
        with pytest.warns(FutureWarning, match=r"torch\.amp\.autocast\('cuda', args\.\.\.\)"):
            torch.cuda.amp.autocast(enabled=False)

        @torch.autocast("cpu", enabled=False)
        def forward(a):
            return a * 2

        assert forward(torch.ones(1)).tolist() == [2.0]
        assert torch.autocast is torch.amp.autocast


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
def test_the_disabled_scaler_agrees_with_pytorch() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("PyTorch's scaler is enabled where CUDA is")
    with pytest.warns(UserWarning, match=r"Disabling"):
        theirs_scaler = torch.amp.GradScaler("cuda", enabled=True)
    theirs = train_step(torch, theirs_scaler, nullcontext())
    assert not theirs_scaler.is_enabled() and theirs_scaler.state_dict() == {}
    with tg.install_as_torch():
        import torch as ours_torch

        ours = train_step(
            ours_torch, ours_torch.amp.GradScaler("cuda", enabled=False), nullcontext()
        )
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)  # (PyTorch's float32)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)
