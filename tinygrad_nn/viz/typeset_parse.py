"""Reading an op's formula string into a small tree, for :mod:`tinygrad_nn.viz.typeset`.

The grammar is Python's expressions (``+ - * / @ **``, calls, indexing, ``.T``, ``a if c
else b``, comparisons) with the ops' own conventions: side by side is a product
(``2 (x - y)``, ``beta x``), ``[x > 0]`` is an Iverson bracket, ``|x|`` an absolute value,
``sum_i e`` a sum over ``i``. A string with English in it (``"g summed over the broadcast
axes"``) is not an expression: :class:`ProseError` says so and the caller sets it as words.

A node is a tuple whose first item names its kind: ``("num", "2")``, ``("name", "x")``,
``("bin", op, left, right)`` (op ``juxtapose`` for side by side), ``("call", fn, args)``,
``("index", base, args)``, ``("T", base)``, ``("attr", base, name)``, ``("group", e)``,
``("neg", e)``, ``("not", e)``, ``("star", e)``, ``("iverson", e)``, ``("abs", e)``,
``("bigsum", index, e)``, ``("cmp", [e, op, e, ...])``, ``("if", then, condition, else)``,
``("ellipsis",)``, ``("text", words)``.

Examples:
    >>> Parser(tokenize("2 (x - y)")).expression_only()
    ('bin', 'juxtapose', ('num', '2'), ('group', ('bin', '-', ('name', 'x'), ('name', 'y'))))
"""

from __future__ import annotations

import re
from typing import Any

Token = tuple[str, str, bool]  # (kind, text, whether white space came before it)

TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<num>\d+(?:\.\d+)?)|(?P<name>[A-Za-z_]\w*(?:'[a-z]+)?)"
    r"|(?P<op>\.\.\.|\*\*|<=|>=|==|!=|\+=|->|[-+*/@()\[\],|<>=.])|(?P<other>.)"
)
KEYWORDS = {"if", "else", "not"}
COMPARISONS = {"<", ">", "<=", ">=", "==", "!="}
# Names that are math, not English, though longer than a letter: functions and Greek letters.
KNOWN = {"sqrt", "exp", "log", "log2", "log10", "sin", "cos", "tan", "sinh", "cosh", "tanh"}
KNOWN |= {"arcsin", "arccos", "arctan", "sigmoid", "erf", "floor", "sign", "max", "min"}
KNOWN |= {"maximum", "minimum", "sum", "prod", "softmax", "Phi", "phi", "pi", "alpha", "beta"}
# English that never names a value: one of these makes a string prose.
ENGLISH = {"of", "the", "at", "as", "in", "to", "from", "by", "with", "where", "along", "over"}
ENGLISH |= {"like", "then", "each", "an", "is", "was", "and", "or", "for", "back", "same"}


class ProseError(ValueError):
    """The string is words, not an expression (or not one this grammar reads)."""


def is_word(token: str) -> bool:
    """An English word rather than a math name: letters only, longer than one, not known.

    Examples:
        >>> is_word("summed"), is_word("x"), is_word("sigmoid"), is_word("x_i")
        (True, False, False, False)
    """
    letters = token.replace("'", "")
    return letters.isalpha() and len(letters) > 1 and token not in KNOWN | KEYWORDS


def tokenize(source: str, strict: bool = True) -> list[Token]:
    """The tokens of ``source``; ``strict`` raises :class:`ProseError` on English or a
    character the grammar does not know (an apostrophe, a colon).

    Examples:
        >>> [t for _, t, _ in tokenize("x**2 + y.T")]
        ['x', '**', '2', '+', 'y', '.', 'T']
    """
    tokens: list[Token] = []
    spaced = False
    for match in TOKEN.finditer(source):
        kind = match.lastgroup or "other"
        if kind == "space":
            spaced = True
            continue
        tokens.append((kind, match.group(), spaced))
        spaced = False
    if strict:
        tokens = words_in_brackets(tokens)
        check_not_prose(source, tokens)
    return tokens


def words_in_brackets(tokens: list[Token]) -> list[Token]:
    """``(number of maxima)``, words alone in brackets, as one ``text`` token: a
    description of a value inside an expression (``[x == z] / (number of maxima)``)."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        end = i + 1
        while end < len(tokens) and tokens[end][0] == "name" and is_word(tokens[end][1]):
            end += 1
        if tokens[i][1] == "(" and end > i + 1 and end < len(tokens) and tokens[end][1] == ")":
            out.append(("text", " ".join(t[1] for t in tokens[i + 1 : end]), tokens[i][2]))
            i = end + 1
        else:
            out.append(tokens[i])
            i += 1
    return out


def check_not_prose(source: str, tokens: list[Token]) -> None:
    for i, (kind, token, _) in enumerate(tokens):
        called = i + 1 < len(tokens) and tokens[i + 1][1] == "(" and not tokens[i + 1][2]
        if kind == "other" or (token in ENGLISH and not called):  # where(c, x, y) is a call
            raise ProseError(f"{source!r} is prose ({token!r})")
        if i and is_word(token) and kind == "name" and is_word(tokens[i - 1][1]):
            raise ProseError(f"{source!r} is prose ({tokens[i - 1][1]} {token})")


class Parser:
    """Recursive descent over the tokens, one method per level of precedence."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens, self.at = tokens, 0

    # ------------------------------------------------------------ reading tokens

    def peek(self, offset: int = 0) -> Token:
        index = self.at + offset
        return self.tokens[index] if index < len(self.tokens) else ("end", "", False)

    def take(self, text: str | None = None) -> Token:
        token = self.peek()
        if token[0] == "end" or (text is not None and token[1] != text):
            raise ProseError(f"expected {text or 'more'}, found {token[1] or 'the end'}")
        self.at += 1
        return token

    def starts_term(self) -> bool:
        """Whether the next token begins a factor written side by side with the last."""
        kind, text, spaced = self.peek()
        if kind in ("num", "text") or text == "(":
            return True
        if kind == "name":
            return text not in KEYWORDS
        return text == "[" and spaced

    # ------------------------------------------------------------ the grammar

    def expression_only(self) -> Any:
        """The whole token list as one expression (ProseError if anything is left)."""
        node = self.ternary()
        if self.peek()[0] != "end":
            raise ProseError(f"unexpected {self.peek()[1]!r}")
        return node

    def ternary(self) -> Any:
        then = self.comparison()
        if self.peek()[1] != "if":
            return then
        self.take("if")
        condition = self.comparison()
        self.take("else")
        return ("if", then, condition, self.ternary())

    def comparison(self) -> Any:
        if self.peek()[1] == "not":
            self.take()
            return ("not", self.comparison())
        items = [self.additive()]
        while self.peek()[1] in COMPARISONS:
            items += [self.take()[1], self.additive()]
        return ("cmp", items) if len(items) > 1 else items[0]

    def additive(self) -> Any:
        left = self.term()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            left = ("bin", op, left, self.term())
        return left

    def term(self) -> Any:
        left = self.unary()
        while True:
            if self.peek()[1] in ("*", "/", "@"):
                op = self.take()[1]
                left = ("bin", op, left, self.unary())
            elif self.starts_term():
                left = ("bin", "juxtapose", left, self.power())
            else:
                return left

    def unary(self) -> Any:
        if self.peek()[1] == "-":
            self.take()
            return ("neg", self.unary())
        if self.peek()[1] == "*":  # *xs, in a call's arguments
            self.take()
            return ("star", self.unary())
        return self.power()

    def power(self) -> Any:
        base = self.postfix()
        if self.peek()[1] == "**":
            self.take()
            return ("bin", "**", base, self.unary())
        return base

    def postfix(self) -> Any:
        node = self.atom()
        while True:
            _, text, spaced = self.peek()
            if text == "(" and not spaced and node[0] == "name":
                self.take()
                node = ("call", node[1], self.arguments(")"))
            elif text == "[" and not spaced:
                self.take()
                node = ("index", node, self.arguments("]"))
            elif text == "." and self.peek(1)[0] == "name":
                self.take()
                attribute = self.take()[1]
                node = ("T", node) if attribute == "T" else ("attr", node, attribute)
            else:
                return node

    def arguments(self, close: str) -> list[Any]:
        args: list[Any] = []
        while self.peek()[1] != close:
            args.append(
                ("ellipsis",) if self.peek()[1] == "..." and self.take() else self.ternary()
            )
            if self.peek()[1] != close:
                self.take(",")
        self.take(close)
        return args

    def atom(self) -> Any:
        kind, text, _ = self.take()
        if kind == "num":
            return ("num", text)
        if kind == "text":
            return ("group", ("text", text))
        if kind == "name" and text not in KEYWORDS:
            if text.startswith("sum_") and self.peek()[2]:  # sum_i w[t_i] x[i, t_i]
                body = self.power()
                while self.starts_term():
                    body = ("bin", "juxtapose", body, self.power())
                return ("bigsum", text.removeprefix("sum_"), body)
            return ("name", text)
        if text == "(":
            inside = self.ternary()
            self.take(")")
            return ("group", inside)
        if text == "[":
            inside = self.comparison()
            self.take("]")
            return ("iverson", inside)
        if text == "|":
            inside = self.additive()
            self.take("|")
            return ("abs", inside)
        if text == "...":
            return ("ellipsis",)
        raise ProseError(f"unexpected {text!r}")
