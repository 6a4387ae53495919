"""Formula strings -> LaTeX -> MathML (tinygrad_nn.viz.typeset), on every op's strings."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

import tinygrad_nn  # noqa: F401 (registers every op class, the nn ones too)
from tinygrad_nn.ops import Op
from tinygrad_nn.viz import typeset

pytest.importorskip("latex2mathml")


def all_ops() -> list[type[Op]]:
    found: list[type[Op]] = []
    todo = [Op]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return sorted(set(found), key=lambda c: c.__name__)


def op_strings() -> list[tuple[str, str]]:
    return [(cls.__name__, s) for cls in all_ops() for s in (cls.formula, *cls.derivatives) if s]


# The op strings that are words around math (set as \text{} runs around the math tokens
# they name) rather than one expression. Each is still typeset; none falls back to <code>.
PROSE = {
    "z = x converted to dtype",
    "dL/dx = g converted back to the dtype of x",
    "dL/dx = g summed over the broadcast axes",
    "dL/dx_i = the slice of g where x_i was placed",
    "dL/dx = g summed from the end (a reversed cumsum)",
    "dL/dx_i = einsum(output, the others -> subscripts of x_i)(g, ...)",
    "z = x reversed along axes",
    "dL/dx = g reversed along the same axes",
    "dL/dx = zeros like x, with g added at index (repeats accumulate)",
    "dL/dx = -g w[t_i] / sum_i w[t_i] at [i, t_i], 0 elsewhere",
    "dz/dx = product of the other factors",
    "z = zeros(shape), then z[index] += x",
    "dL/dx = g summed over the copies",
    "dL/dx = transpose(g, the inverse permutation of axes)",
    "z = windows of x (im2col): z[n, i, j, c, k] = x[n, c, i*s + ki*d, j*s + kj*d]",
    "dL/dx = each window's g added back where it was read (col2im)",
}


def test_the_catalogue_has_its_strings() -> None:
    names = {name for name, _ in op_strings()}
    assert {"Mul", "MatMul", "Sigmoid", "Sqrt", "Exp", "Pow", "SquaredError"} <= names
    assert len(op_strings()) > 100


@pytest.mark.parametrize(("op", "formula"), op_strings(), ids=lambda v: str(v)[:40])
def test_every_op_string_typesets_to_mathml(op: str, formula: str) -> None:
    """Each converts to LaTeX that latex2mathml accepts, and the MathML is well-formed XML
    with the math's structure (no <code> fallback)."""
    tex = typeset.latex(formula)
    out = typeset.mathml(formula)
    assert "<code" not in out, (op, formula, tex)
    root = ET.fromstring(out)
    assert root.tag == "{http://www.w3.org/1998/Math/MathML}math"
    if formula.startswith(("dz/d", "dL/d")):
        assert tex.startswith(r"\frac{\partial "), tex
    assert typeset.reads_as_math(formula) == (formula not in PROSE), (formula, tex)


def test_the_prose_list_names_only_real_op_strings() -> None:
    """The documented list cannot go stale: each entry is an op's string today."""
    strings = {s for _, s in op_strings()}
    assert strings >= PROSE, PROSE - strings


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("z = x ** 2", "z = x^{2}"),
        ("z = a / b", r"z = \frac{a}{b}"),
        ("z = sqrt(x)", r"z = \sqrt{x}"),
        ("z = exp(x)", "z = e^{x}"),
        ("dz/dx = sigmoid(x)", r"\frac{\partial z}{\partial x} = \sigma(x)"),
        ("dL/dx = g @ y.T", r"\frac{\partial L}{\partial x} = g \, y^{\top}"),
        ("z = x * y", r"z = x \cdot y"),
        ("dz/dx = 2 (x - y)", r"\frac{\partial z}{\partial x} = 2 \, (x - y)"),
        ("z = t log p", r"z = t \, \log \, p"),
        ("z = broadcast_to(x, shape)", r"z = \mathrm{broadcast\_to}(x, \mathrm{shape})"),
        ("z = x**(y - 1)", "z = x^{y - 1}"),
        ("z = 1 / (1 + exp(-x))", r"z = \frac{1}{1 + e^{-x}}"),
        ("z = |x|", r"z = \lvert x \rvert"),
        (
            "dz/dx = [lo <= x <= hi]",
            r"\frac{\partial z}{\partial x} = [\mathrm{lo} \le x \le \mathrm{hi}]",
        ),
        ("z = sum(x, axis)", r"z = \sum_{\mathrm{axis}} x"),
        ("z = log10(x)", r"z = \log_{10}(x)"),
        ("z = floor(x / y)", r"z = \lfloor \frac{x}{y} \rfloor"),
        ("z = alpha x_i", r"z = \alpha \, x_{i}"),
        ("z = W1 @ layer1", r"z = W_{1} \, \mathrm{layer1}"),
        (
            "z = 1 if x > 0 else slope",
            r"z = \begin{cases} 1 & x > 0 \\ \mathrm{slope} & \text{otherwise} \end{cases}",
        ),
        (
            "dz/dx = 1   (0 at x = 0)",
            r"\frac{\partial z}{\partial x} = 1 \quad (0 \text{ at } x = 0)",
        ),
        (
            "dL/dx = g summed over the copies",
            r"\frac{\partial L}{\partial x} = g \text{ summed over the copies}",
        ),
    ],
)
def test_the_notation(formula: str, expected: str) -> None:
    assert typeset.latex(formula) == expected


def test_a_tensor_named_by_the_user_reads_as_one_name() -> None:
    """Drawings substitute the user's names (dL/dweights1 = X.T @ g)."""
    assert typeset.latex("dL/dweights1 = X.T @ g") == (
        r"\frac{\partial L}{\partial \mathrm{weights1}} = X^{\top} \, g"
    )
    assert typeset.latex("dz/doutput = 2 (output - y)") == (
        r"\frac{\partial z}{\partial \mathrm{output}} = 2 \, (\mathrm{output} - y)"
    )


def test_special_characters_in_words_are_escaped() -> None:
    tex = typeset.latex("dz/dx = 50% of the x_total & more")
    out = typeset.mathml("dz/dx = 50% of the x_total & more")
    assert r"\%" in tex and r"\&" in tex
    assert "<code" not in out
    ET.fromstring(out)


def test_what_latex2mathml_rejects_shows_as_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """A string whose LaTeX does not convert still shows, as escaped <code>."""
    monkeypatch.setattr(typeset, "latex", lambda formula: r"\frac{")
    out = typeset.mathml("z = <b>")
    assert out == '<code class="formula">z = &lt;b&gt;</code>'


def test_display_math() -> None:
    assert 'display="block"' in typeset.mathml("z = x * y", display=True)
    assert 'display="inline"' in typeset.mathml("z = x * y")
    assert re.search(r"<mfrac>", typeset.tex_mathml(r"\frac{a}{b}", display=True))
