"""The command line and the examples, each run for real on a short schedule."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_nn.__main__ import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tutorial_command(tmp_path, capsys) -> None:
    assert main(["tutorial", "--steps", "300", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Predicted" in out and "Actual" in out
    difference = float(out.split("steps: ")[1].split()[0])
    assert difference < 1e-12
    rows = (tmp_path / "loss.csv").read_text().strip().splitlines()
    assert rows[0] == "iteration,loss_by_hand,loss_autodiff" and len(rows) == 301
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tutorial_command_as_a_process(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_nn", "tutorial", "--steps", "20", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "largest difference" in result.stdout


def test_tutorial_example_script(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "tutorial.py"), "--steps", "10", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Predicted" in result.stdout


def test_xor_example_learns_xor(capsys) -> None:
    xor = load_example("xor")
    _, losses = xor.train(steps=300)
    assert losses[-1] < 0.05
    xor.main(["--steps", "5"])
    assert "want" in capsys.readouterr().out


def test_moons_example_reaches_97_percent(tmp_path) -> None:
    moons = load_example("moons")
    accuracy = moons.main(["--out", str(tmp_path)])
    assert accuracy >= 0.97
    assert (tmp_path / "moons.png").stat().st_size > 1000


def test_regression_example_fits_the_sine(tmp_path) -> None:
    regression = load_example("regression")
    final_mse = regression.main(["--steps", "600", "--out", str(tmp_path)])
    assert final_mse < 0.05
    assert (tmp_path / "regression.png").stat().st_size > 1000


def test_binary_addition_rnn_learns_to_carry(capsys) -> None:
    accuracy = load_example("binary_addition_rnn").main(["--quick"])
    assert accuracy >= 0.99
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"accuracy: {accuracy:.3f}"


def test_sort_transformer_learns_to_sort(capsys) -> None:
    accuracy = load_example("sort_transformer").main(["--quick"])
    assert accuracy >= 0.95
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == f"exact-match accuracy: {accuracy:.3f}"


def test_digits_cnn_reads_digits(tmp_path, capsys) -> None:
    pytest.importorskip("sklearn")
    accuracy = load_example("digits_cnn").main(["--quick", "--out", str(tmp_path)])
    assert accuracy >= 0.9
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"test accuracy: {accuracy:.3f}"
    for picture in ("digits_filters.png", "digits_mistakes.png"):
        assert (tmp_path / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    compiled = load_example("digits_cnn").main(["--quick", "--compiled", "--out", str(tmp_path)])
    assert compiled == accuracy  # the same training, step by compiled step


def test_bad_arguments(capsys) -> None:
    assert main(["tutorial", "--steps", "0"]) == 2
    with pytest.raises(SystemExit):
        main(["no-such-command"])


def test_help_is_plain_text_with_defaults(capsys) -> None:
    for argv in (["--help"], ["tutorial", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
    out = capsys.readouterr().out
    assert "``" not in out and ".venv/bin/python -m tinygrad_nn" in out
    assert "(default: 1500)" in out and "(default: 1.0)" in out


def test_gradient_flow_example_shows_the_sigmoid_gradients_vanish(tmp_path, capsys) -> None:
    pytest.importorskip("matplotlib")
    example = load_example("gradient_flow")
    (sigmoid, _), (relu, _) = example.compare().values()
    from tinygrad_nn import viz

    first, last = viz.gradient_stats(sigmoid)[0], viz.gradient_stats(sigmoid)[-2]
    assert first.mean_abs_grad < 1e-8 * last.mean_abs_grad  # vanished
    first, last = viz.gradient_stats(relu)[0], viz.gradient_stats(relu)[-2]
    assert first.mean_abs_grad > 1e-3 * last.mean_abs_grad  # flows
    example.main(["--out", str(tmp_path / "flow.png")])
    assert "ratio" in capsys.readouterr().out
    assert (tmp_path / "flow.png").stat().st_size > 10_000
