"""The docs' PyTorch example (examples/gpt_pytorch.py) runs unchanged under `python -m
tinygrad_nn run`, agrees with real PyTorch when the weights are copied, and is explained
by `run --explain` (issue 25)."""

from __future__ import annotations

import importlib.util
import re
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn import viz
from tinygrad_nn.torch_names import PYTORCH, table

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "gpt_pytorch.py"
HAS_TORCH = importlib.util.find_spec("torch") is not None  # (checked before any install)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tinygrad_nn", "run", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )


def test_the_gpt_example_runs_unchanged_and_learns() -> None:
    ran = run(str(EXAMPLE), "--quick", "--steps", "6")
    assert ran.returncode == 0, ran.stderr
    losses = [float(v) for v in re.findall(r"loss (\d\.\d+)", ran.stdout)]
    final = float(re.search(r"final loss: (\S+)", ran.stdout).group(1))
    assert len(losses) == 6 and abs(final - losses[-1]) < 1e-4
    assert np.log(28) - 0.1 < losses[0] < np.log(28) + 0.1  # ~uniform over the characters
    assert losses[-1] < losses[0]
    assert re.search(r"sample: '.{21}'", ran.stdout)


def test_run_explain_draws_the_gpt_by_module(tmp_path: Path) -> None:
    ran = run("--explain", str(tmp_path), str(EXAMPLE), "--quick")
    assert ran.returncode == 0, ran.stderr
    assert "final loss:" in ran.stdout  # the script went on after the explanation
    explanation = (tmp_path / "explain.txt").read_text()
    assert explanation.startswith("Backward pass of loss")
    assert "nll_loss" in explanation and "softmax" in explanation
    dot = (tmp_path / "graph.dot").read_text()
    for module in ("CausalSelfAttention", "LayerNorm", "MLP", "Embedding"):
        assert module in dot, module
    if viz.dot_available():
        assert "CausalSelfAttention" in (tmp_path / "graph.svg").read_text()


def _quick_state(torch_module: object, example: dict) -> dict[str, np.ndarray]:
    torch_module.manual_seed(1)
    sizes = {k: v for k, v in example["QUICK"].items() if k not in ("steps", "batch_size")}
    model = example["GPT"](example["VOCAB_SIZE"], **sizes)
    return {name: np.array(value.tolist()) for name, value in model.state_dict().items()}


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
def test_the_gpt_example_agrees_with_pytorch_to_1e_10() -> None:
    """Same initial weights (PyTorch's, copied), same batches: the losses of every step and
    the trained weights agree in float64."""
    import torch

    theirs_example = runpy.run_path(str(EXAMPLE), run_name="gpt")
    state = _quick_state(torch, theirs_example)
    theirs = theirs_example["main"](["--quick", "--steps", "6"], state=state)
    with tg.install_as_torch():
        ours_example = runpy.run_path(str(EXAMPLE), run_name="gpt")
        ours = ours_example["main"](["--quick", "--steps", "6"], state=state)
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-10)
    trained = dict(theirs["model"].named_parameters())
    mine = dict(ours["model"].named_parameters())
    assert trained.keys() == mine.keys()
    for name, p in trained.items():
        np.testing.assert_allclose(
            mine[name].detach().numpy(), p.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=name
        )


def test_a_tied_weight_is_in_the_state_dict_under_both_names() -> None:
    with tg.install_as_torch():
        example = runpy.run_path(str(EXAMPLE), run_name="gpt")
        model = example["GPT"](example["VOCAB_SIZE"], block_size=8, n_embd=16)
    state = model.state_dict()
    assert "lm_head.weight" in state and "wte.weight" in state


def test_the_supported_table_covers_every_module() -> None:
    page = (ROOT / "docs" / "pytorch.md").read_text()
    assert "<!-- torch-names-table -->" in page  # docs/_hooks/torch_pages.py puts table() there
    made = table()
    for module, names in PYTORCH.items():
        if names:
            assert f">{module}</code> |" in made, module
    assert "`Linear`" in made and "`multinomial`" in made
