"""Where torch computes (cnnmath.devices): the device picker and the device's description."""

import os
import platform
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnmath import devices

GPU = torch.cuda.is_available()


def test_devices_are_named_and_cuda_is_never_pretended():
    assert devices.device("cpu").type == "cpu"
    assert devices.device("auto").type == ("cuda" if GPU else "cpu")
    assert devices.device() == devices.device("auto")
    if GPU:
        assert devices.device("cuda").type == "cuda"
    else:
        with pytest.raises(RuntimeError, match="finds no CUDA GPU"):
            devices.device("cuda")
    with pytest.raises(ValueError, match="device must be"):
        devices.device("tpu")
    info = devices.describe("cpu")
    assert info["device_name"].startswith("CPU") and info["torch"] == torch.__version__
    assert "cuda" not in info


def test_a_torch_device_is_accepted_and_returned_as_it_is():
    assert devices.device(torch.device("cpu")) == torch.device("cpu")
    assert isinstance(devices.device("cpu"), torch.device)


@pytest.mark.skipif(GPU, reason="what a machine without a GPU answers")
@pytest.mark.parametrize("name", ["cuda", "cuda:0", "cuda:3"])
def test_asking_for_a_gpu_that_is_not_there_says_so_and_what_to_use(name):
    with pytest.raises(RuntimeError, match=rf"device '{name}' was asked for.*use 'cpu' or 'auto'"):
        devices.device(name)


@pytest.mark.skipif(not GPU, reason="needs a CUDA GPU")
def test_a_gpu_is_picked_and_described():
    assert devices.device("auto") == torch.device("cuda")
    assert devices.device("cuda:0") == torch.device("cuda:0")
    info = devices.describe("cuda")
    assert info["device"] == "cuda"
    assert info["device_name"] == torch.cuda.get_device_name(0)
    assert info["cuda"] == torch.version.cuda
    assert info["gpu_memory_gib"] > 0
    major, minor = torch.cuda.get_device_capability(0)
    assert info["compute_capability"] == f"{major}.{minor}"


@pytest.mark.parametrize("name", ["", "CPU", "gpu", "cuda:", "cuda:x", "cuda:-1", "cpu:0", "mps"])
def test_a_bad_device_name_is_refused_naming_the_choices(name):
    with pytest.raises(ValueError, match=r"name: device must be 'auto', 'cpu', 'cuda' or 'cuda:N'"):
        devices.device(name)


@pytest.mark.parametrize("name", [None, 0, 1.0, ["cpu"], b"cpu"])
def test_a_name_that_is_not_a_string_is_refused(name):
    with pytest.raises(TypeError, match="name must be a device name"):
        devices.device(name)


def test_the_description_names_the_versions_that_compute():
    info = devices.describe("cpu")
    assert info["device"] == "cpu"
    assert info["python"] == platform.python_version()
    assert info["numpy"] == np.__version__
    assert info["torch"] == torch.__version__
    assert info["cpu_count"] == os.cpu_count()
    assert info["torch_threads"] == torch.get_num_threads()
    assert info["device_name"] == f"CPU: {devices.cpu_model()}"
    assert devices.describe(torch.device("cpu")) == info
    with pytest.raises(ValueError, match="device must be"):
        devices.describe("tpu")


def test_the_cpu_model_is_the_processor_name_the_system_reports():
    model = devices.cpu_model()
    assert isinstance(model, str) and model
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        if names:
            assert model == names[0]
