"""Typeset math from the ops' formula strings: ``"dz/dx = y * x**(y - 1)"`` -> LaTeX -> MathML.

Each op writes what it computes and its local derivatives as plain strings (``formula``,
``derivatives``), in Python's notation with a few conventions of its own. This module
turns one such string into LaTeX (:func:`latex`) and into MathML (:func:`mathml`), which
browsers draw natively: the docs site converts at build time, so no page loads a math
renderer from the internet.

The notation read, and what it becomes:

- ``x ** 2`` -> :math:`x^{2}`; ``a / b`` -> ``\\frac{a}{b}``; ``x * y`` -> ``x \\cdot y``;
  ``2 (x - y)`` (side by side) and ``x @ y`` (a matrix product) stay side by side,
  thinly spaced; ``y.T`` -> ``y^{\\top}``;
- ``sqrt(x)``, ``exp(x)`` (``e^{x}``), ``log``, ``log2``, ``sin`` ..., ``sigmoid`` (``\\sigma``),
  ``floor``, ``sum(x, axis)`` (``\\sum_{axis} x``) and ``sum_i``; other calls stay calls;
- ``dz/dx`` at the start -> ``\\frac{\\partial z}{\\partial x}``; ``[x > 0]`` is an Iverson
  bracket (1 where it holds); ``a if c else b`` -> cases; ``|x|``; ``==``, ``<=``, ``not``;
- names: ``x_i`` -> :math:`x_{i}`, ``W1`` -> :math:`W_{1}`, ``alpha`` -> :math:`\\alpha`,
  other words upright;
- prose (``"g summed over the broadcast axes"``) stays words, in ``\\text{}``, around the
  math tokens it names; a comment after the formula (``"   (0 at x = 0)"``) follows a space.

Examples:
    >>> latex("dz/dx = 1 / (2 sqrt(x))")
    '\\\\frac{\\\\partial z}{\\\\partial x} = \\\\frac{1}{2 \\\\, \\\\sqrt{x}}'
    >>> mathml("z = x ** 2").startswith('<math xmlns="http://www.w3.org/1998/Math/MathML"')
    True
"""

from __future__ import annotations

import html
import re
from typing import Any

from tinygrad_nn.viz.typeset_parse import Parser, ProseError, Token, is_word, tokenize

# Function names and how each is written; a call not listed is \operatorname{name}(...).
PLAIN_FUNCTIONS = {"log", "sin", "cos", "tan", "sinh", "cosh", "tanh", "arcsin", "arccos"}
PLAIN_FUNCTIONS |= {"arctan", "max", "min"}
RENAMED = {"sigmoid": r"\sigma", "Phi": r"\Phi", "phi": r"\phi", "log2": r"\log_{2}"}
RENAMED |= {"log10": r"\log_{10}", "maximum": r"\max", "minimum": r"\min"}
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "mu", "pi"}
GREEK |= {"rho", "sigma", "tau", "omega", "psi", "Gamma", "Delta", "Sigma", "Omega"}
OPERATORS = {"*": r"\cdot", "@": r"\,", "+": "+", "-": "-", "<": "<", ">": ">"}
OPERATORS |= {"<=": r"\le", ">=": r"\ge", "==": "=", "!=": r"\ne", "/": "/", "=": "="}
OPERATORS |= {",": ",", "|": "|", "(": "(", ")": ")", "[": "[", "]": "]", "...": r"\ldots"}
OPERATORS |= {"**": r"^", "+=": r"\mathrel{+}=", "->": r"\to"}
DERIVATIVE = re.compile(r"^d([A-Za-z]\w*)/d([A-Za-z]\w*)$")
COMMENT = re.compile(r"^(.*?\S)\s{2,}\((.*)\)\s*$")  # "formula   (a comment)"
SUMMANDS_IN_BRACKETS = {"+", "-", "*", "@", "juxtapose"}
EQUALS = re.compile(r"\s(\+?=)\s")  # the statement's = signs, spaced as the ops write them


def name(text: str) -> str:
    """One name in LaTeX: ``x_i`` -> ``x_{i}``, ``W1`` -> ``W_{1}``, ``beta`` -> ``\\beta``.

    Examples:
        >>> name("x_i"), name("W1"), name("alpha"), name("layer1")
        ('x_{i}', 'W_{1}', '\\\\alpha', '\\\\mathrm{layer1}')
    """
    if text in GREEK or text in PLAIN_FUNCTIONS:  # t log p: a function written without ()
        return "\\" + text
    if text == "sum_i":
        return r"\sum_{i}"
    base, _, sub = text.partition("_")
    if sub and (len(base) == 1 or base in GREEK):
        return f"{name(base)}_{{{name(sub) if not sub.isdigit() else sub}}}"
    if len(text) > 1 and text[0].isalpha() and text[1:].isdigit():
        return f"{text[0]}_{{{text[1:]}}}"
    if len(text) == 1 or text.isdigit():
        return text
    return r"\mathrm{" + text.replace("_", r"\_") + "}"


def text(words: str) -> str:
    """Prose inside math: ``\\text{...}``, with LaTeX's special characters escaped."""
    escaped = re.sub(r"([\\{}_#%&$^~])", r"\\\1", words)
    return r"\text{" + escaped + "}"


def unwrap(node: Any) -> Any:
    """A parenthesised group's content: a fraction or exponent shows its grouping itself."""
    return node[1] if node[0] == "group" else node


def call(fn: str, args: list[Any]) -> str:
    """A function call in LaTeX: the special forms first, then plain and renamed ones."""
    first = args[0] if args else ("name", "")
    if fn == "sqrt" and len(args) == 1:
        return rf"\sqrt{{{render(first)}}}"
    if fn == "exp" and len(args) == 1:
        return f"e^{{{render(first)}}}"
    if fn == "floor" and len(args) == 1:
        return rf"\lfloor {render(first)} \rfloor"
    if fn in ("sum", "prod") and 1 <= len(args) <= 2:
        big = r"\sum" if fn == "sum" else r"\prod"
        under = f"_{{{render(args[1])}}}" if len(args) == 2 else ""
        body = render(first)
        if first[0] == "bin" and first[1] in SUMMANDS_IN_BRACKETS:  # sum(g * z) + 1
            body = f"({body})"
        return f"{big}{under} {body}"
    inside = ", ".join(render(a) for a in args)
    if "\\frac" in inside or "\\sum" in inside:  # brackets as tall as what they hold
        inside = rf"\left({inside}\right)"
    else:
        inside = f"({inside})"
    if fn in PLAIN_FUNCTIONS:
        head = "\\" + fn
    elif fn in RENAMED:
        head = RENAMED[fn]
    elif "_" in fn:  # latex2mathml sets \operatorname{a\_b} in italics: upright by hand
        head = r"\mathrm{" + fn.replace("_", r"\_") + "}"
    else:
        head = r"\operatorname{" + fn + "}"
    return head + inside


def render(node: Any) -> str:
    """LaTeX for one node of :class:`typeset_parse.Parser`'s tree."""
    kind = node[0]
    if kind == "num":
        return str(node[1])
    if kind == "name":
        return name(node[1])
    if kind == "ellipsis":
        return r"\ldots"
    if kind == "text":
        return text(node[1])
    if kind == "group":
        return f"({render(node[1])})"
    if kind == "iverson":
        return f"[{render(node[1])}]"
    if kind == "abs":
        return rf"\lvert {render(node[1])} \rvert"
    if kind == "neg":
        return f"-{render(node[1])}"
    if kind == "not":
        return rf"\lnot {render(node[1])}"
    if kind == "star":
        return f"{{*}}{render(node[1])}"
    if kind == "call":
        return call(node[1], node[2])
    if kind == "index":
        return f"{render(node[1])}[{', '.join(render(a) for a in node[2])}]"
    if kind == "T":
        return f"{render(node[1])}^{{\\top}}"
    if kind == "attr":
        return f"{render(node[1])}.\\mathrm{{{node[2]}}}"
    if kind == "bigsum":
        return f"\\sum_{{{name(node[1])}}} {render(node[2])}"
    if kind == "cmp":
        return " ".join(render(n) if i % 2 == 0 else OPERATORS[n] for i, n in enumerate(node[1]))
    if kind == "if":
        then, condition, otherwise = (render(n) for n in node[1:])
        return (
            rf"\begin{{cases}} {then} & {condition} \\ {otherwise} & \text{{otherwise}}"
            r" \end{cases}"
        )
    _, op, left, right = node  # "bin"
    if op == "/":
        return rf"\frac{{{render(unwrap(left))}}}{{{render(unwrap(right))}}}"
    if op == "**":
        return f"{render(left)}^{{{render(unwrap(right))}}}"
    if op == "juxtapose":  # a thin space: t \log p, not tlogp
        return f"{render(left)} \\, {render(right)}"
    return f"{render(left)} {OPERATORS[op]} {render(right)}"


PUNCTUATION = {"(", ")", ",", ":"}


def prose(part: str) -> str:
    """A part that is words around math: runs of words (with their punctuation) in
    ``\\text{}``, each run of math between them typeset as an expression where it reads
    as one, token by token where not.

    Examples:
        >>> prose("g summed over x_i")
        'g \\\\text{ summed over } x_{i}'
    """
    tokens = tokenize(part, strict=False)
    runs: list[tuple[bool, list[Token]]] = []  # (words?, tokens)
    for token in tokens:
        words = token[0] == "other" or (token[0] == "name" and is_word(token[1]))
        if runs and runs[-1][0] == words:
            runs[-1][1].append(token)
        else:
            runs.append((words, [token]))
    pieces: list[tuple[bool, str]] = []  # (text?, content): neighbouring texts merge
    for i, (words, run) in enumerate(runs):
        if words:
            pieces.append((True, spaced(run, lead=i > 0)))
            continue
        lead = next((k for k, t in enumerate(run) if t[1] not in PUNCTUATION), len(run))
        trail = next((k for k, t in enumerate(reversed(run)) if t[1] not in PUNCTUATION), 0)
        middle = run[lead : len(run) - trail]
        if lead:
            pieces.append((True, spaced(run[:lead], lead=i > 0)))
        if middle:
            if pieces and pieces[-1][0] and middle[0][2]:  # the space before the math
                pieces[-1] = (True, pieces[-1][1] + " ")
            pieces.append((False, math_run(middle)))
        if trail:
            pieces.append((True, spaced(run[len(run) - trail :], lead=True)))
    merged: list[tuple[bool, str]] = []
    for piece in pieces:
        if merged and merged[-1][0] and piece[0]:
            merged[-1] = (True, merged[-1][1] + piece[1])
        else:
            merged.append(piece)
    return " ".join(text(content) if is_text else content for is_text, content in merged)


def spaced(run: list[Token], lead: bool) -> str:
    """The tokens' text with the spaces the source had before each."""
    words = "".join((" " if t[2] and k else "") + t[1] for k, t in enumerate(run))
    return (" " if lead and run[0][2] else "") + words


def math_run(run: list[Token]) -> str:
    """Tokens between words: one expression if they read as one, else one by one."""
    try:
        return render(Parser(run).expression_only())
    except ProseError:
        pass
    out = []
    for kind, token, _ in run:
        if kind == "name":
            out.append(name(token))
        elif kind == "num":
            out.append(token)
        else:
            out.append(OPERATORS.get(token, text(token)))
    return " ".join(out)


def part(source: str) -> str:
    """One side of an ``=``: a derivative's name, an expression, or prose."""
    found = DERIVATIVE.match(source.strip())
    if found:
        top, bottom = (name(n) for n in found.groups())
        return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"
    try:
        return render(Parser(tokenize(source)).expression_only())
    except ProseError:
        return prose(source)


def reads_as_math(formula: str) -> bool:
    """Whether each side of the formula's ``=`` signs is one expression (a comment after
    it aside), rather than words around math.

    Examples:
        >>> reads_as_math("dz/dx = 1 / y   (y is not 0)"), reads_as_math("z = x summed over axes")
        (True, False)
    """
    found = COMMENT.match(formula)
    sides = EQUALS.split(f" {(found.group(1) if found else formula).strip()} ")[::2]
    for side in sides:
        if DERIVATIVE.match(side.strip()):
            continue
        try:
            Parser(tokenize(side)).expression_only()
        except ProseError:
            return False
    return True


def statement(source: str) -> str:
    """``a = b = c`` (``+=`` too), each side typeset by :func:`part`."""
    pieces = EQUALS.split(f" {source.strip()} ")
    out = part(pieces[0])
    for sign, side in zip(pieces[1::2], pieces[2::2], strict=True):
        out += f" {OPERATORS[sign]} {part(side)}"
    return out


def latex(formula: str) -> str:
    """An op's formula or derivative string as LaTeX (see the module's notation list).

    Examples:
        >>> latex("z = x ** 2")
        'z = x^{2}'
        >>> latex("dL/dx = g @ y.T")
        '\\\\frac{\\\\partial L}{\\\\partial x} = g \\\\, y^{\\\\top}'
        >>> latex("z = sign(x)   (0 at x = 0)")
        'z = \\\\operatorname{sign}(x) \\\\quad (0 \\\\text{ at } x = 0)'
    """
    found = COMMENT.match(formula)
    if not found:
        return statement(formula)
    main, comment = found.groups()
    return rf"{statement(main)} \quad ({statement(comment)})"


def tex_mathml(tex: str, display: bool = False) -> str:
    """LaTeX as MathML (latex2mathml: the viz and docs extras), inline or as a display equation.

    Examples:
        >>> tex_mathml("x^{2}")[-66:]
        '<mrow><msup><mi>x</mi><mrow><mn>2</mn></mrow></msup></mrow></math>'
    """
    try:
        from latex2mathml.converter import convert
    except ImportError:
        raise ImportError(
            "typesetting needs the latex2mathml package: pip install 'tinygrad-nn[viz]'"
        ) from None
    return convert(TEXT.sub(verbatim_text, tex), display="block" if display else "inline")


TEXT = re.compile(r"\\text\{((?:[^{}\\]|\\.)*)\}")


def verbatim_text(found: re.Match[str]) -> str:
    """latex2mathml copies ``\\text{}`` into ``<mtext>`` as it is: undo LaTeX's escapes
    and escape for XML instead (``\\&`` -> ``&amp;``; braces as character references)."""
    words = re.sub(r"\\(.)", r"\1", found.group(1))
    words = html.escape(words, quote=False).replace("%", "&#37;")
    words = words.replace("{", "&#123;").replace("}", "&#125;")
    return r"\text{" + words + "}"


def mathml(formula: str, display: bool = False) -> str:
    """An op's formula or derivative string as MathML, which browsers draw natively (for
    HTML pages: the docs, ``explain``'s HTML, the step-through page). A string that cannot
    be typeset comes back as ``<code>`` with its text, so a page still shows it.

    Examples:
        >>> from tinygrad_nn import ops
        >>> "<mfrac>" in mathml(ops.Div.derivatives[0])    # dz/dx = 1 / y
        True
        >>> mathml("z = x ** 2", display=True).count('display="block"')
        1
    """
    try:
        return tex_mathml(latex(formula), display)
    except ImportError:
        raise
    except Exception:  # latex2mathml rejected it: show the string itself
        return f'<code class="formula">{html.escape(formula)}</code>'
