"""Where torch computes (cnnmath.devices): the device picker and the device's description."""

import pytest
import torch

from cnnmath import devices


def test_devices_are_named_and_cuda_is_never_pretended():
    assert devices.device("cpu").type == "cpu"
    assert devices.device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if torch.cuda.is_available():
        assert devices.device("cuda").type == "cuda"
    else:
        with pytest.raises(RuntimeError, match="finds no CUDA GPU"):
            devices.device("cuda")
    with pytest.raises(ValueError, match="device must be"):
        devices.device("tpu")
    info = devices.describe("cpu")
    assert info["device_name"].startswith("CPU") and info["torch"] == torch.__version__
    assert "cuda" not in info
