"""Naming the values of generated code.

The rules, in order:

1. A name is made of the characters Python allows in identifiers, after NFKC
   normalisation (the form Python itself compares names in: ``ℌ`` is ``H``, ``W₁`` is
   ``W1``); any other character becomes ``_``. An empty name becomes ``v``; one that starts
   with a digit or is a keyword gets the prefix ``v_``.
2. A name already taken gets ``_2``, ``_3``... (``h``, ``h_2``).
3. Values nobody named are temporaries: ``t1``, ``t2``... (and unnamed array constants
   ``_c1``, ``_c2``...), numbered from 1.
4. ``np``, ``sigmoid``, ``scatter_add``, ``erf`` and ``class_mask`` are taken from the start: the
   generated code calls them.

Examples:
    >>> names = Namer()
    >>> [names.fresh(n) for n in ["h", "h", "t", "2x", "ℌ", "W₁"]]
    ['h', 'h_2', 't', 'v_2x', 'H', 'W1']
    >>> names.temporary("t"), names.temporary("t")
    ('t1', 't2')
"""

from __future__ import annotations

import keyword
import unicodedata

RESERVED = ("np", "sigmoid", "scatter_add", "erf", "class_mask")


class Namer:
    """Hands out fresh identifiers, never the same one twice."""

    def __init__(self) -> None:
        self.taken: set[str] = set(RESERVED)
        self.last_temporary = 0  # t1, t2... (and _c1...) share one count
        self.next_number: dict[str, int] = {}  # per base: where to look for a free suffix

    def copy(self) -> Namer:
        """An independent namer with the same names taken: the naming pass names a
        finished graph with one, so naming it again gives the same names."""
        other = Namer()
        other.taken = set(self.taken)
        other.last_temporary = self.last_temporary
        other.next_number = dict(self.next_number)
        return other

    def fresh(self, base: str) -> str:
        """A new identifier made from ``base`` (see the rules above)."""
        base = unicodedata.normalize("NFKC", base)
        base = "".join(c if ("_" + c).isidentifier() else "_" for c in base) or "v"
        if base[0].isdigit() or keyword.iskeyword(base):
            base = "v_" + base
        name = base
        if name in self.taken:  # searching on from the last suffix keeps naming linear
            number = self.next_number.get(base, 2)
            while f"{base}_{number}" in self.taken:
                number += 1
            name, self.next_number[base] = f"{base}_{number}", number + 1
        self.taken.add(name)
        return name

    def temporary(self, prefix: str) -> str:
        """The next free numbered name: ``t1``, ``t2``... (or ``_c1``... for constants)."""
        while True:
            self.last_temporary += 1
            name = f"{prefix}{self.last_temporary}"
            if name not in self.taken:
                break
        self.taken.add(name)
        return name
