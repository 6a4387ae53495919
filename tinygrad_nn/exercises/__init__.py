"""Exercises: check your own hand-derived gradients, and learn what went wrong.

:func:`check` takes a loss and your gradients by name (``dW1=...``), computes the true
ones with the engine, and says per name *exact*, *close* (with the difference) or
*wrong* — and for a wrong one the likely mistake: transposed, a broadcast axis not
summed, a fan-out contribution missing, the sign flipped, a factor 2 or N off, an
activation's derivative at the wrong value, an upstream gradient left out, a softmax's
sum along the wrong axis, a step of the chain rule not taken...

- :mod:`.names`: which tensor ``dW1`` means (the drawings' naming rules);
- :mod:`.truth`: the engine's gradients, with every chain-rule step;
- :mod:`.shapes`, :mod:`.diagnose`: the mistakes, by shape and by value, with
  :mod:`.rules` (one op's rule miswritten: an activation's, a softmax's, a product's),
  :mod:`.elsewhere` (another value's gradient, a sum along the wrong axis) and
  :mod:`.words` (the sign's, a factor's and a product rule's words);
- :mod:`.report`: the verdicts, as text and as an HTML table;
- :mod:`.fill_in`, :mod:`.program`: :func:`fill_in`, exercises made from any compiled
  training step (the backward lines blanked, the learner's lines graded).

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import exercises
    >>> x = tg.Tensor([1.0, -1.0], requires_grad=True)
    >>> loss = x.sigmoid().sum()
    >>> s = x.sigmoid().data
    >>> result = exercises.check(loss, dx=s * (1 - s), show=False)
    >>> result.ok
    True
"""

from tinygrad_nn.exercises.check import check
from tinygrad_nn.exercises.fill_in import FillIn, fill_in
from tinygrad_nn.exercises.report import CheckResult, Verdict

__all__ = ["CheckResult", "FillIn", "Verdict", "check", "fill_in"]
