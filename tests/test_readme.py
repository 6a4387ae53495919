"""The README's runnable examples run (the blocks that start with an import)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_examples_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    runnable = [block for block in blocks if block.startswith("import")]
    assert runnable, "the README lost its runnable example"
    for block in runnable:
        namespace: dict = {}
        exec(compile(block, str(README), "exec"), namespace)
    predictions = namespace["model"](namespace["tg"].Tensor(namespace["X"])).detach().numpy()
    assert ((predictions > 0.5) == (namespace["y"] > 0.5)).all()


def test_readme_shows_the_code_compile_really_generates() -> None:
    from tinygrad_nn import optim, tutorial

    text = README.read_text()
    shown = text[text.index("y = np.array([[0.0], [1.0]") :].split("```")[0].rstrip("\n")
    W1, W2 = tutorial.seed_weights(*tutorial.initial_weights(0))  # the seed's (3, 4), (4, 1)
    seed_step = tutorial.compiled_seed_step((W1, W2), optim.SGD([W1, W2], lr=1.0))
    seed_step(tutorial.Tensor(tutorial.X))
    assert shown == seed_step.source
