import gzip
import hashlib
import io
import tarfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from cnnmath import data
from cnnmath.data import DatasetCorruptError, DatasetNotFoundError, DatasetSpec, FileSpec


def idx_bytes(arr: np.ndarray) -> bytes:
    return (
        bytes([0, 0, 0x08, arr.ndim])
        + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
        + arr.astype(np.uint8).tobytes()
    )


def write_idx_set(
    d: Path, n_train: int = 12, n_test: int = 5, seed: int = 0, size: int = 28
) -> dict[str, bytes]:
    """Four gzipped IDX files in the (Fashion-)MNIST layout; returns their gz bytes by name."""
    rng = np.random.default_rng(seed)
    d.mkdir(parents=True, exist_ok=True)
    out = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        for kind, arr in (
            ("images-idx3", rng.integers(0, 256, (n, size, size))),
            ("labels-idx1", rng.integers(0, 10, n)),
        ):
            name = f"{prefix}-{kind}-ubyte.gz"
            blob = gzip.compress(idx_bytes(arr), mtime=0)
            (d / name).write_bytes(blob)
            out[name] = blob
    return out


def cifar_archive(path: Path, n_per_batch: int = 4, seed: int = 0, drop_bytes: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for member in data._CIFAR_MEMBERS:
            rec = np.concatenate(
                [rng.integers(0, 10, (n_per_batch, 1)), rng.integers(0, 256, (n_per_batch, 3072))],
                axis=1,
            )
            blob = rec.astype(np.uint8).tobytes()
            if drop_bytes:
                blob = blob[:-drop_bytes]
            info = tarfile.TarInfo(member)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """A registry entry for 'mnist' whose checksums are those of generated files served from file://."""
    served = tmp_path / "server"
    blobs = write_idx_set(served)
    spec = DatasetSpec(
        "mnist",
        tuple(FileSpec(n, hashlib.sha256(b).hexdigest(), size=len(b)) for n, b in blobs.items()),
        mirrors=(served.as_uri() + "/",),
        how_to_get="(test) fetch it again",
    )
    monkeypatch.setitem(data.REGISTRY, "mnist", spec)
    monkeypatch.setenv("CNNMATH_DATA", str(tmp_path / "cache"))
    return served, blobs


def test_read_idx_roundtrip_and_errors(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(data.read_idx(idx_bytes(arr)), arr)
    with pytest.raises(DatasetCorruptError, match="truncated: 30 bytes, expected 40"):
        data.read_idx(idx_bytes(arr)[:30])
    with pytest.raises(DatasetCorruptError, match="not an IDX file"):
        data.read_idx(b"\x1f\x8b\x08\x00junk")
    with pytest.raises(DatasetCorruptError, match="longer than its header"):
        data.read_idx(idx_bytes(arr) + b"\0")
    gz = tmp_path / "x.gz"
    gz.write_bytes(gzip.compress(idx_bytes(arr))[:-10])
    with pytest.raises(DatasetCorruptError, match="not a complete gzip file"):
        data.read_idx(gz)


def test_download_verifies_and_loads(fake_mnist, tmp_path):
    served, blobs = fake_mnist
    d = data.download("mnist", progress=False)
    assert d == tmp_path / "cache" / "mnist"
    assert {p.name for p in d.iterdir()} == set(blobs)  # no temporary files left behind
    train, test = data.load_mnist()
    assert (
        train.x.shape == (12, 1, 28, 28)
        and test.x.shape == (5, 1, 28, 28)
        and train.x.dtype == np.uint8
    )
    raw = data.read_idx(served / "train-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(train.x[:, 0], raw)


def test_tampered_download_is_rejected_and_keeps_the_good_copy(fake_mnist):
    served, _ = fake_mnist
    d = data.download("mnist", progress=False)
    good = (d / "t10k-labels-idx1-ubyte.gz").read_bytes()
    (d / "t10k-labels-idx1-ubyte.gz").write_bytes(good[:-3])  # the cached copy gets damaged
    for name in ("t10k-labels-idx1-ubyte.gz",):  # and the server now serves something else
        (served / name).write_bytes(gzip.compress(b"tampered"))
    with pytest.raises(DatasetCorruptError, match="could not download a valid t10k-labels"):
        data.download("mnist", progress=False)
    assert (d / "t10k-labels-idx1-ubyte.gz").read_bytes() == good[
        :-3
    ]  # not replaced by the bad download
    assert not list(d.glob("*.part"))
    with pytest.raises(
        DatasetCorruptError, match=r"bytes, expected .*Delete it and get a fresh copy"
    ):
        data.load_mnist()


def test_missing_dataset_says_where_it_looked_and_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNMATH_DATA", str(tmp_path))
    monkeypatch.setitem(
        data.REGISTRY,
        "fashion-mnist",
        replace(data.REGISTRY["fashion-mnist"], system_dirs=(str(tmp_path / "none"),)),
    )
    with pytest.raises(DatasetNotFoundError, match="apt-get install dataset-fashion-mnist") as err:
        data.load_fashion_mnist()
    assert str(tmp_path / "none") in str(err.value)


def test_corrupt_content_is_detected_by_content_checksum(tmp_path):
    write_idx_set(tmp_path)  # the right file names, but not Fashion-MNIST's content
    with pytest.raises(DatasetCorruptError, match="decompresses to the wrong content"):
        data.load_fashion_mnist(tmp_path)
    train, _ = data.load_fashion_mnist(tmp_path, verify=False)  # structure is still checked
    assert train.x.shape == (12, 1, 28, 28)


def test_cifar10_binary_archive(tmp_path, monkeypatch):
    blob = cifar_archive(tmp_path / "cifar-10-binary.tar.gz")
    spec = replace(
        data.REGISTRY["cifar-10"],
        files=(
            FileSpec("cifar-10-binary.tar.gz", hashlib.sha256(blob).hexdigest(), size=len(blob)),
        ),
    )
    monkeypatch.setitem(data.REGISTRY, "cifar-10", spec)
    train, test = data.load_cifar10(tmp_path)
    assert train.x.shape == (20, 3, 32, 32) and test.x.shape == (4, 3, 32, 32)
    assert train.class_names[0] == "airplane" and train.y.max() <= 9


def test_cifar10_truncated_record_and_wrong_checksum(tmp_path, monkeypatch):
    blob = cifar_archive(tmp_path / "cifar-10-binary.tar.gz", drop_bytes=7)
    spec = replace(
        data.REGISTRY["cifar-10"],
        files=(FileSpec("cifar-10-binary.tar.gz", hashlib.sha256(blob).hexdigest()),),
    )
    monkeypatch.setitem(data.REGISTRY, "cifar-10", spec)
    with pytest.raises(DatasetCorruptError, match="not a whole number of 3073-byte"):
        data.load_cifar10(tmp_path)
    monkeypatch.setitem(
        data.REGISTRY,
        "cifar-10",
        replace(spec, files=(FileSpec("cifar-10-binary.tar.gz", "0" * 64),)),
    )
    with pytest.raises(DatasetCorruptError, match="wrong SHA-256"):
        data.load_cifar10(tmp_path)


def test_real_fashion_mnist_is_complete_and_verified():
    # `make test` installs Debian's dataset-fashion-mnist first; without it this fails with the
    # DatasetNotFoundError message that says how to get the data.
    train, test = data.load_fashion_mnist()
    assert train.x.shape == (60000, 1, 28, 28) and test.x.shape == (10000, 1, 28, 28)
    assert np.all(np.bincount(train.y) == 6000) and np.all(np.bincount(test.y) == 1000)
    assert train.class_names[6] == "Shirt"


def test_bundled_datasets_have_their_documented_sizes():
    iris = data.load_iris()
    assert iris.x.shape == (150, 4) and len(iris) == 150 and set(iris.y) == {0, 1, 2}
    digits = data.load_digits()
    assert digits.x.shape == (1797, 1, 8, 8) and digits.x.max() == 16


def test_split_is_seeded_disjoint_and_complete():
    tr, te = data.train_test_split(100, 0.3, seed=1)
    tr2, _ = data.train_test_split(100, 0.3, seed=1)
    assert len(te) == 30 and np.array_equal(tr, tr2)
    assert set(tr) | set(te) == set(range(100)) and not set(tr) & set(te)
    with pytest.raises(ValueError, match="strictly between"):
        data.train_test_split(10, 1.0, seed=0)
    with pytest.raises(ValueError, match="empty"):
        data.train_test_split(3, 0.01, seed=0)


def test_split_validation_and_to_float():
    ds = data.load_iris()
    tr, va = data.split_validation(ds, 30, seed=0)
    assert len(tr) == 120 and len(va) == 30
    with pytest.raises(ValueError, match="n_validation"):
        data.split_validation(ds, 150, seed=0)
    x = data.to_float(np.array([0, 255], dtype=np.uint8))
    assert x.dtype == np.float32 and x.tolist() == [0.0, 1.0]


def test_standardize_uses_training_statistics_only(rng):
    a, b = rng.normal(5, 2, (50, 3)), rng.normal(0, 1, (10, 3))
    sa, sb = data.standardize(a, b)
    np.testing.assert_allclose(sa.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(sb, (b - a.mean(0)) / a.std(0))


def test_unknown_dataset():
    with pytest.raises(ValueError, match="unknown dataset"):
        data.download("imagenet")


def test_read_idx_header_product_cannot_overflow():
    # three dimensions of 2^31: the product is 2^93, which int64 arithmetic wraps to 0
    header = bytes([0, 0, 0x08, 3]) + (2**31).to_bytes(4, "big") * 3
    with pytest.raises(
        DatasetCorruptError, match=r"truncated: 24 bytes, expected 9903520314283042199192993808 "
    ):
        data.read_idx(header + b"\0" * 8)
    with pytest.raises(TypeError, match="source must be a path"):
        data.read_idx(5)  # bytes(5) would have been five zero bytes


def test_to_float_refuses_what_is_not_pixels():
    with pytest.raises(TypeError, match="images must hold integer pixel values"):
        data.to_float(
            np.linspace(0, 1, 4)
        )  # already scaled: dividing again by 255 is silently wrong
    with pytest.raises(ValueError, match=r"pixel values 0\.\.255; got values from 0 to 300"):
        data.to_float(np.array([0, 300]))
    with pytest.raises(TypeError, match="dtype must be np.float32 or np.float64"):
        data.to_float(np.zeros(2, np.uint8), np.int64)


def test_standardize_and_split_check_their_arguments():
    with pytest.raises(ValueError, match=r"train \(the training features\) contains 1 non-finite"):
        data.standardize(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="at least two examples"):
        data.standardize(np.ones((1, 3)))
    with pytest.raises(
        ValueError, match=r"others\[0\] must have examples shaped like train's \(3,\)"
    ):
        data.standardize(np.ones((4, 3)), np.ones((2, 2)))
    with pytest.raises(TypeError, match=r"n \(the number of examples\) must be an integer"):
        data.train_test_split(10.5, 0.3, seed=0)
    with pytest.raises(TypeError, match="test_fraction must be a number"):
        data.train_test_split(10, "0.3", seed=0)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        data.train_test_split(10, 0.3, seed=-1)
    with pytest.raises(ValueError, match=r"x must hold one example per label \(3\)"):
        data.Dataset(np.ones((4, 2)), np.arange(3), ("a", "b", "c"))


def test_random_flip_mirrors_a_seeded_part_and_keeps_the_dtype():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(400, 2, 3, 5), dtype=np.uint8)
    before = x.copy()
    out = data.random_flip(x, seed=3)
    assert out.dtype == np.uint8 and out.shape == x.shape and out is not x
    same = np.all(out == x, axis=(1, 2, 3))
    mirrored = np.all(out == x[..., ::-1], axis=(1, 2, 3))
    assert np.all(same | mirrored)  # every image is itself or its mirror image
    assert 150 < mirrored.sum() < 250  # about half (p = 0.5)
    assert np.array_equal(out, data.random_flip(x, seed=3))  # the seed repeats it
    assert not np.array_equal(out, data.random_flip(x, seed=4))
    assert np.array_equal(data.random_flip(x, seed=3, p=0.0), x)
    assert np.array_equal(data.random_flip(x, seed=3, p=1.0), x[..., ::-1])
    assert np.array_equal(x, before)  # the input is not changed


@pytest.mark.parametrize(
    "args, message",
    [
        ((np.zeros((2, 3, 4)), 0), "images"),
        ((np.zeros((2, 1, 3, 4)), -1), "seed"),
        ((np.zeros((2, 1, 3, 4)), 0, 1.5), r"p \(the probability"),
        ((np.full((2, 1, 3, 4), np.nan), 0), "images"),
    ],
)
def test_random_flip_bad_arguments(args, message):
    with pytest.raises((ValueError, TypeError), match=message):
        data.random_flip(*args)
