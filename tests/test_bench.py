"""The benchmark helpers that are not themselves timed: reading valgrind's summary."""

import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location(
    "bench_instructions", Path(__file__).parents[1] / "bench" / "instructions.py"
)
assert spec is not None and spec.loader is not None
instructions = importlib.util.module_from_spec(spec)
spec.loader.exec_module(instructions)


def test_the_instruction_total_is_read_from_callgrinds_summary() -> None:
    output = "==41== Events    : Ir\n==41== Collected : 409765123\n==41== I   refs: 409,765,123\n"
    assert instructions.parse_total(output) == 409765123


def test_output_without_a_total_is_an_error_that_shows_it() -> None:
    with pytest.raises(RuntimeError, match="valgrind: command not found"):
        instructions.parse_total("sh: valgrind: command not found")
