"""install_as_torch(), `python -m tinygrad_nn run [--explain OUT]`, torch.autograd.Function,
torch.device: PyTorch programs run unchanged on tinygrad_nn's own objects (issue 25)."""

from __future__ import annotations

import importlib.util
import re
import runpy
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import tinygrad_nn as tg
from tests.torch_draws import draw_from_tinygrad_nn
from tinygrad_nn.backprop import FREED_GRAPH_MESSAGE
from tinygrad_nn.errors import TracingError
from tinygrad_nn.torch_names import PYTORCH, Function, device, table
from tinygrad_nn.torch_names.explain import ExplainFirstBackward

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = sorted((ROOT / "tests" / "programs").glob("*.py"))
# Written the usual way, with torch.manual_seed, torch.randn, default initialisation and
# dropout: PyTorch draws from tinygrad_nn's generator to agree (tests/torch_draws.py).
SEEDED = {
    "mnist_cnn",
    "bigram_attention_lm",
    "vae",
    "polynomial_fit",
    "char_rnn_classify",
    "seq2seq_attention",
    "dcgan_toy",
    "tiny_resnet",
    "d2l_rnn",
}
# Written for PyTorch's float32 default (no set_default_dtype): PyTorch runs them in float32,
# tinygrad_nn in its float64, so they agree to float32's rounding, grown over training.
FLOAT32 = {"dcgan_toy": 1e-3, "d2l_rnn": 1e-4}  # (Adam divides by sqrt(v))
HAS_TORCH = importlib.util.find_spec("torch") is not None  # (checked before any install)


@pytest.fixture
def torch():
    """tinygrad_nn as torch for one test; sys.modules is restored afterwards."""
    before = {k: v for k, v in sys.modules.items() if k == "torch" or k.startswith("torch.")}
    with tg.install_as_torch():
        import torch

        yield torch
    after = {k: v for k, v in sys.modules.items() if k == "torch" or k.startswith("torch.")}
    assert after == before


def test_the_torch_modules_are_tinygrad_nns_own_objects(torch) -> None:
    import torch.nn.functional as F
    import torch.nn.init
    from torch.optim.lr_scheduler import StepLR
    from torch.utils.data import DataLoader, TensorDataset

    assert torch.nn.Linear is tg.nn.Linear and torch.nn.GRU is tg.nn.GRU
    assert F.relu is tg.nn.functional.relu and F is sys.modules["torch.nn.functional"]
    assert torch.optim.Adam is tg.optim.Adam and StepLR is tg.optim.lr_scheduler.StepLR
    assert DataLoader is tg.data.DataLoader and TensorDataset is tg.data.TensorDataset
    assert torch.autograd.grad is tg.autograd.grad and torch.autograd.Function is Function
    assert torch.Tensor is tg.Tensor and torch.tensor is tg.tensor and torch.exp is tg.Tensor.exp
    assert torch.no_grad is tg.no_grad and torch.manual_seed is tg.manual_seed
    assert (torch.float32, torch.float64, torch.float, torch.double) == (
        np.float32,
        np.float64,
        np.float32,
        np.float64,
    )
    assert (torch.int64, torch.long, torch.bool) == (np.int64, np.int64, np.bool_)
    assert torch.tensor([1, 2]).dtype == torch.long
    assert torch.allclose(torch.tensor([1.0]), torch.tensor([1.0 + 1e-9]))
    assert not torch.allclose(torch.tensor([1.0]), torch.tensor([1.1]))
    assert torch.cuda.is_available() is (
        importlib.util.find_spec("cupy") is not None and torch.cuda.device_count() > 0
    )


def test_a_name_tinygrad_nn_lacks_is_refused_by_name(torch) -> None:
    with pytest.raises(
        AttributeError, match=r"torch\.nn\.Bilinear is not supported by tinygrad_nn"
    ):
        torch.nn.Bilinear(4, 4, 2)
    with pytest.raises(
        AttributeError, match=r"torch\.nn\.functional\.interpolate is not supported"
    ):
        _ = torch.nn.functional.interpolate
    with pytest.raises(ModuleNotFoundError, match=r"torch\.distributed is not supported"):
        import torch.distributed
    with pytest.raises(ImportError, match=r"cannot import name 'Bilinear' from 'torch\.nn'"):
        from torch.nn import Bilinear  # noqa: F401
    # names whose tinygrad_nn namesake means something else are not answered at all
    assert not hasattr(torch, "compile")
    # (transpose and max mean PyTorch's now: tests/test_torch_tensor_surface.py)
    assert torch.transpose is tg.Tensor.transpose and torch.max is tg.Tensor.max


def test_install_is_explicit_and_restores_what_was_there() -> None:
    code = "import sys, tinygrad_nn; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
    # A real PyTorch this process imported (the oracle's) is set aside and put back after.
    kept = {k: sys.modules.pop(k) for k in list(sys.modules) if k.split(".")[0] == "torch"}
    real = types.ModuleType("torch")  # stands for a real PyTorch imported before
    sys.modules["torch"] = real
    try:
        installation = tg.install_as_torch()
        assert tg.install_as_torch() is installation  # a second call: the same one
        assert sys.modules["torch"] is not real and sys.modules["torch"].Tensor is tg.Tensor
        installation.uninstall()
        assert sys.modules["torch"] is real and "torch.nn" not in sys.modules
    finally:
        sys.modules.pop("torch", None)
        sys.modules.update(kept)


def test_device_cpu_is_numpy_and_cuda_needs_cupy() -> None:
    assert device("cpu").library() == ("numpy", None)
    assert device("cuda:1") == device("cuda", 1) and str(device("cuda", 1)) == "cuda:1"
    assert device("cpu") == "cpu" == tg.tensor([1.0]).device
    assert repr(device("cpu")) == "device(type='cpu')"
    with pytest.raises(RuntimeError, match=r"torch.device\('mps'\): tinygrad_nn runs on 'cpu'"):
        device("mps")
    if importlib.util.find_spec("cupy") is None:
        with pytest.raises(RuntimeError, match="runs CUDA through CuPy"):
            device("cuda").library()


def test_the_docs_table_is_the_mapping() -> None:
    """docs/pytorch.md holds a marker that the docs build (docs/_hooks/torch_pages.py)
    replaces with table(): the page's table is the mapping, one row per module."""
    page = (ROOT / "docs" / "pytorch.md").read_text()
    assert page.count("<!-- torch-names-table -->") == 1
    assert "`torch.nn` |" not in page and "torch.nn</code> |" not in page  # no pasted copy
    assert set(PYTORCH) >= {"torch", "torch.nn", "torch.nn.functional", "torch.utils.data"}
    rows = table().splitlines()[2:]
    modules = [row.split("</code>")[0].rpartition(">")[2] for row in rows]
    assert modules == [m for m, names in PYTORCH.items() if names]


# ---------------------------------------------------------------- torch.autograd.Function


class ScaledProduct(Function):
    """z = alpha * x * y (y broadcast), with its derivatives written by hand."""

    @staticmethod
    def forward(ctx, x, y, alpha):
        ctx.save_for_backward(x, y)
        ctx.alpha = alpha
        return alpha * x * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = g * ctx.alpha * y if ctx.needs_input_grad[0] else None
        gy = g * ctx.alpha * x if ctx.needs_input_grad[1] else None
        return gx, gy, None


class Exp(Function):  # saves its output, in PyTorch's newer form (setup_context)
    @staticmethod
    def forward(x):
        return x.exp()

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g * z


def leaf(*shape, seed=0):
    return tg.Tensor(np.random.default_rng(seed).normal(size=shape), requires_grad=True)


def test_function_gradients_match_finite_differences() -> None:
    x, y = leaf(2, 3), leaf(3, seed=1)  # y is broadcast: the engine sums its gradient back
    assert tg.gradcheck(lambda a, b: ScaledProduct.apply(a, b, 1.5), [x, y])
    assert tg.gradcheck(lambda a: Exp.apply(a), [x])
    # backward written with Tensor ops is differentiable again (create_graph=True)
    assert tg.gradgradcheck(lambda a, b: ScaledProduct.apply(a, b, 1.5), [x, y])
    assert tg.gradgradcheck(lambda a: Exp.apply(a), [x])
    seen = []

    class Spy(Function):
        @staticmethod
        def forward(ctx, a, b):
            seen.append(ctx.needs_input_grad)
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, g

    Spy.apply(x, tg.tensor(2.0))
    assert seen == [(True, False)]


def test_function_saved_tensors_are_released_by_backward() -> None:
    x = leaf(3)
    out = Exp.apply(x).sum()
    assert out.op.parents[0].saved[-1] is not None  # the output, kept because it was saved
    out.backward(retain_graph=True)
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(x.detach().numpy()))
    with pytest.raises(RuntimeError, match=re.escape(FREED_GRAPH_MESSAGE[:40])):
        out.backward()


def test_function_errors_name_the_function() -> None:
    class TooFew(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g

    class WrongShape(TooFew):
        @staticmethod
        def backward(ctx, g):
            return g, tg.ones(7)

    x, y = leaf(3), leaf(3, seed=1)
    with pytest.raises(
        RuntimeError,
        match=r"TooFewBackward returned an incorrect number of "
        r"gradients \(expected 2, got 1\)",
    ):
        TooFew.apply(x, y).sum().backward()
    assert x.grad is None and y.grad is None  # nothing written
    with pytest.raises(
        RuntimeError,
        match=r"WrongShapeBackward returned an invalid gradient at "
        r"index 1 - got \[7\] but expected shape compatible with \[3\]",
    ):
        WrongShape.apply(x, y).sum().backward()

    class Pair(Function):
        @staticmethod
        def forward(ctx, a):
            return a, a

    with pytest.raises(TypeError, match=r"Pair\.forward returned 2 values"):
        Pair.apply(x)

    class Dirty(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.mark_dirty(a)
            return a

    with pytest.raises(AttributeError, match=r"ctx\.mark_dirty is not supported by tinygrad_nn"):
        Dirty.apply(x)
    with pytest.raises(TracingError, match=r"Exp is a torch\.autograd\.Function"):
        tg.compile(lambda a: Exp.apply(a).sum())(x)


# ---------------------------------------------------------------- programs, run unchanged


def run_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tinygrad_nn", "run", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )


def final_loss(stdout: str) -> float:
    return float(re.search(r"final loss: (\S+)", stdout).group(1))


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.stem)
def test_programs_run_unchanged(program: Path, torch) -> None:
    ran = run_command(str(program))
    assert ran.returncode == 0, ran.stderr
    ours = runpy.run_path(str(program), run_name="program")["main"]()
    assert np.isfinite(ours["loss"]) and ours["grads"]
    np.testing.assert_allclose(final_loss(ran.stdout), ours["loss"], rtol=1e-13)


@pytest.fixture
def one_torch_thread():
    """PyTorch on one thread for a test: these programs are small, and on shared CPUs its
    thread pool makes them several times slower (seq2seq_attention: 7 s against 1 s)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.stem)
def test_programs_agree_with_pytorch(
    program: Path, monkeypatch: pytest.MonkeyPatch, one_torch_thread: None
) -> None:
    import torch

    if program.stem in SEEDED:
        draw_from_tinygrad_nn(monkeypatch)
    rtol = FLOAT32.get(program.stem, 1e-10)
    atol = 1e-12 if rtol == 1e-10 else rtol * 1e-2
    if program.stem in FLOAT32:  # (an earlier program set PyTorch's default to float64)
        default = torch.get_default_dtype()
        torch.set_default_dtype(torch.float32)
    try:
        theirs = runpy.run_path(str(program), run_name="program")["main"]()
    finally:
        if program.stem in FLOAT32:
            torch.set_default_dtype(default)
    monkeypatch.undo()
    with tg.install_as_torch():
        ours = runpy.run_path(str(program), run_name="program")["main"]()
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=rtol)
    assert ours["grads"].keys() == theirs["grads"].keys()
    for name, grad in theirs["grads"].items():
        np.testing.assert_allclose(ours["grads"][name], grad, rtol=rtol, atol=atol, err_msg=name)
    for key in theirs.keys() - {"loss", "grads"}:  # accuracy, gradient norms...: numbers agree
        values = np.asarray(theirs[key])
        if values.dtype.kind in "fiub":  # (sampled text comes from each library's own RNG)
            np.testing.assert_allclose(ours[key], values, rtol=rtol, atol=atol, err_msg=key)


def test_run_passes_arguments_and_explains_the_first_backward(tmp_path: Path) -> None:
    program = ROOT / "tests" / "programs" / "sequence_model.py"
    plain = run_command(str(program), "--steps", "2")
    explained = run_command("--explain", str(tmp_path / "out"), str(program), "--steps", "2")
    assert plain.returncode == explained.returncode == 0, explained.stderr
    assert final_loss(plain.stdout) == final_loss(explained.stdout)  # the script went on
    out = tmp_path / "out"
    assert "Backward pass of" in (out / "explain.txt").read_text()
    assert "GRU" in (out / "graph.dot").read_text()  # collapsed: one box per module call
    custom = run_command(
        "--explain", str(tmp_path / "f"), str(ROOT / "tests/programs/custom_function.py")
    )
    assert custom.returncode == 0, custom.stderr
    assert "Swish.backward(ctx, g)[0]" in (tmp_path / "f" / "explain.txt").read_text()
    if tg.viz.dot_available():
        assert (tmp_path / "f" / "backprop.html").exists() and (
            tmp_path / "f" / "graph.svg"
        ).exists()
    missing = run_command(str(tmp_path / "nope.py"))
    assert missing.returncode == 2 and "no such script" in missing.stderr


def test_explain_hook_is_removed_afterwards(tmp_path: Path) -> None:
    original = tg.Tensor.backward
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with ExplainFirstBackward(tmp_path, quiet=True) as explainer:
        (x * x).sum().backward()
        assert tg.Tensor.backward is original  # after the first: back already
        (x * 3).sum().backward()
    assert tg.Tensor.backward is original
    assert explainer.written[0] == tmp_path / "explain.txt"
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])
