"""compile: trace a function once and emit the straight-line NumPy a person would write.

The seed's author wrote ``feedforward`` and ``backprop`` by hand. The engine derives the
same computation one op at a time, paying Python's overhead on every op. ``compile``
closes the loop: it runs the function once on the real inputs (the *trace*), then
interprets every op's forward and backward rule a third way — with symbolic values that
write source code — and turns the whole forward and backward pass into one Python
function of NumPy calls:

    >>> import numpy as np
    >>> import tinygrad_nn as tg
    >>> @tg.compile
    ... def loss(x, w):
    ...     h = (x @ w).tanh()
    ...     return (h * h).sum()
    >>> x, w = tg.Tensor(np.ones((2, 3))), tg.Tensor(np.full((3, 1), 0.1), requires_grad=True)
    >>> value, (d_w,) = loss(x, w)
    >>> print(loss.source)
    def loss(x, w):
        h = np.tanh(x @ w)
        mul_out = h * h
        loss = mul_out.sum()
        # backward
        d_h = h + h
        d_w = x.T @ (d_h * (1 - mul_out))
        return loss, (d_w,)

Common subexpressions are shared (``h * h`` is computed once, for the loss and for
tanh's derivative ``1 - h**2``), gradients are named ``d_<value>``, and fan-out shows as
an explicit sum (``h`` feeds both sides of ``h * h``, so ``d_h = h + h``).

A function that calls ``loss.backward()`` (and ``optimizer.step()``) is a whole
training step: the code then holds the forward, the backward and the optimizer's update
(parameters updated in place, ``W1 -= d_W1``), and a call returns what the function
returns; see :mod:`~tinygrad_nn.compile.step`.

The compiler works in passes, one module each (as torch.fx keeps its tracer, graph,
namer and code writer apart); :mod:`~tinygrad_nn.compile.pipeline` runs them in order:

1. :mod:`~tinygrad_nn.compile.tracing` runs the function once, recording its graph of
   tensors (and a training step's ``backward()`` and ``optimizer.step()`` calls);
2. :mod:`~tinygrad_nn.compile.evaluate` interprets every op's forward rule with symbolic
   values (:mod:`~tinygrad_nn.compile.symbolic_xp`), then drives the engine's own
   backward loop with them; :mod:`~tinygrad_nn.compile.step` plays a training step's
   calls, the optimizer's update rule interpreted the same way. The values form a
   :class:`~tinygrad_nn.compile.graph.Graph`, the intermediate form (``loss.graph``
   prints it), built by :mod:`~tinygrad_nn.compile.program` (:mod:`~tinygrad_nn.compile.values`
   are its nodes);
3. :mod:`~tinygrad_nn.compile.rewrites` simplify each value as it joins the graph, one
   function per pass: dtype handling (weak scalars), constant folding, identities,
   sharing (common subexpressions);
4. :mod:`~tinygrad_nn.compile.inplace` writes a parameter's update into its own array;
5. :mod:`~tinygrad_nn.compile.naming` decides which values get a line and names them
   (by the rules of :mod:`~tinygrad_nn.compile.names`; constants by
   :mod:`~tinygrad_nn.compile.literals`);
6. :mod:`~tinygrad_nn.compile.writer` writes the source from the named graph, changing
   nothing in it;
7. :mod:`~tinygrad_nn.compile.compiled` is the callable, with its cache of traces.

The trace is cached per input signature (shapes, dtypes, which inputs require grad, and
the values of integer inputs, except those named in ``compile(dynamic=[...])``, which
are arguments of the code); a new signature traces again. The cache keeps the
:data:`MAX_TRACES` newest signatures and warns once when it has to drop one: a function
retraced that often (say, with each minibatch's integer labels as a static input) gains
nothing from compiling.

What a trace cannot see: Python decisions made on tensor *values* (``if loss > 1``,
``.item()``, comparisons feeding ``where``) would be frozen into the code, so they raise
:class:`TracingError` during the trace. So does a value read through ``.data`` that ends
up in the code: every trace runs the function twice, the second time with other values
in its float inputs and trainable outside tensors, and the two programs must be equal.
Tensors the function reads from outside that require grad (a module's parameters) are
arguments of the compiled code and are read at every call; other outside values (data
arrays, constants) are frozen at trace time. Which outside tensors require grad is part
of the trace: changing it (freezing a weight) traces again.
"""

from tinygrad_nn.compile.compiled import MAX_TRACES, CompiledFunction, compile
from tinygrad_nn.compile.pipeline import generate
from tinygrad_nn.errors import TracingError

__all__ = ["MAX_TRACES", "CompiledFunction", "TracingError", "compile", "generate"]
