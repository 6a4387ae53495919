"""torch.accelerator and torch.backends under install_as_torch(): what examples/mnist and
nanoGPT ask before they choose a device, and the switches they set."""

from __future__ import annotations

import importlib.util

import pytest

import tinygrad_nn as tg
from tinygrad_nn.devices import cuda_available, cuda_device_count

HAS_TORCH = importlib.util.find_spec("torch") is not None


def test_the_accelerator_is_cuda_through_cupy_or_none() -> None:
    with tg.install_as_torch():
        import torch

        assert torch.accelerator.is_available() is cuda_available()
        assert torch.accelerator.device_count() == cuda_device_count()
        expected = torch.device("cuda") if cuda_device_count() else None
        assert torch.accelerator.current_accelerator() == expected
        if not cuda_available():
            assert torch.accelerator.current_accelerator(check_available=True) is None
        use_accel = torch.accelerator.is_available()  # examples/mnist's choice
        device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")
        assert torch.ones(2).to(device).device == device


def test_there_is_no_mps_and_no_cudnn() -> None:
    with tg.install_as_torch():
        import torch

        assert torch.backends.mps.is_available() is False
        assert torch.backends.mps.is_built() is False
        assert torch.backends.cudnn.is_available() is False


def test_the_switches_are_accepted_per_installation() -> None:
    with tg.install_as_torch():
        import torch
        import torch.backends.cudnn as cudnn

        assert (cudnn.enabled, cudnn.allow_tf32, cudnn.benchmark, cudnn.deterministic) == (
            True,
            True,
            False,
            False,
        )
        cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True  # nanoGPT's line
        assert torch.backends.cudnn.benchmark is True
        x = torch.ones(2, 2)
        assert (x @ x).tolist() == [[2.0, 2.0], [2.0, 2.0]]  # nothing changed
        torch.backends.cuda.matmul.allow_tf32 = False
        with pytest.raises(AttributeError, match=r"torch\.backends\.cudnn\.nope is not supported"):
            _ = cudnn.nope
    with tg.install_as_torch():
        import torch

        assert torch.backends.cudnn.benchmark is False  # a fresh installation: the defaults


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
def test_the_defaults_are_pytorchs() -> None:
    import torch

    assert torch.backends.mps.is_available() is False  # (the CPU machines these tests run on)
    assert (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic) == (False, False)
    assert torch.backends.cudnn.allow_tf32 is True and torch.backends.cudnn.enabled is True
    assert torch.backends.cuda.matmul.allow_tf32 is False
    assert torch.accelerator.current_accelerator(check_available=True) is None or (
        torch.accelerator.is_available()
    )


def test_inference_mode_is_no_grad_as_block_and_decorators() -> None:
    with tg.install_as_torch():
        import torch

        x = torch.ones(2, requires_grad=True)
        with torch.inference_mode():
            assert not (x * 2).requires_grad and not torch.is_grad_enabled()
        assert torch.is_grad_enabled()

        @torch.inference_mode()
        def called(t):
            return t * 2

        @torch.inference_mode
        def bare(t):
            return t * 2

        def walk(t):
            yield t * 2
            yield t * 3

        assert not called(x).requires_grad and not bare(x).requires_grad
        assert not any(y.requires_grad for y in torch.inference_mode()(walk)(x))
        with torch.inference_mode(False):
            assert (x * 2).requires_grad
        with torch.no_grad(), torch.inference_mode(False):
            assert torch.is_grad_enabled()  # False records, even inside no_grad
        with pytest.raises(TypeError, match=r"inference_mode\(\): mode must be a bool"):
            torch.inference_mode(1)


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
def test_inference_mode_agrees_with_pytorch() -> None:
    import torch

    x = torch.ones(2, requires_grad=True)
    with torch.inference_mode():
        assert not (x * 2).requires_grad and not torch.is_grad_enabled()
    with torch.inference_mode(False):
        assert (x * 2).requires_grad
    with torch.no_grad(), torch.inference_mode(False):
        assert torch.is_grad_enabled()
    assert not torch.inference_mode(lambda t: t * 2)(x).requires_grad
