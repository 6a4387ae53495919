"""Shared test settings: hypothesis runs derandomized, so CI is stable and repeatable."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=50,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# tests/programs/ holds PyTorch-style scripts that `import torch`: they are run by
# tests/test_as_torch.py under install_as_torch(), never imported by pytest's doctest search.
collect_ignore_glob = ["programs/*"]
