"""The seed network, by hand and with autodiff, side by side.

Run: python examples/tutorial.py [--steps 1500] [--lr 1.0] [--seed 0] [--out DIR]
(the same as ``python -m tinygrad_nn tutorial``).
"""

import sys

from tinygrad_nn.__main__ import main

if __name__ == "__main__":
    sys.exit(main(["tutorial", *sys.argv[1:]]))
