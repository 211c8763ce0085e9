import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def pytest_configure(config):
    import os

    os.environ.setdefault("PYTHONHASHSEED", "0")
