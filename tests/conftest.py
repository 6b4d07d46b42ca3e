import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "cnnmath",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("cnnmath")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
