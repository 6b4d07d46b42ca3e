"""Datasets for the book, offline first, verified always, never unpickled.

- :func:`load_fashion_mnist`: the 70,000 Fashion-MNIST images of the sources, read from Debian's
  ``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist``), from a directory you
  name, or from the user cache filled by :func:`download`.
- :func:`load_mnist`: MNIST in the same IDX format (user cache or :func:`download`).
- :func:`load_cifar10`: CIFAR-10 in its *binary* version (records of 1 label byte and 3,072 pixel
  bytes), never the pickled Python version.
- :func:`load_iris`, :func:`load_digits`: scikit-learn's bundled copies.

Every file is checked before use: its SHA-256 (of the archive as published, or of the
decompressed content where only that is stable, as for Fashion-MNIST, whose Debian copy is
recompressed) and its structure (IDX magic number, dimensions and length; CIFAR-10 record size).
A missing file raises :class:`DatasetNotFoundError` and a damaged one :class:`DatasetCorruptError`;
both say what to do. A download goes to a temporary file in the cache, is verified, and only
then replaces the cached file (``os.replace``), so a failed or tampered download never destroys a
good copy. (This is the one file the package writes without :func:`cnnmath.files.write_atomically`,
which renames its file as soon as it is written: a download must first be verified, by reading the
whole file back, and a second mirror tried if it fails.)

The cache directory is ``$CNNMATH_DATA`` or ``~/.cache/cnnmath``.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .arguments import as_float_array, check_finite, labels, number, positive_int
from .arguments import path as check_path
from .arguments import seed as check_seed

__all__ = [
    "Dataset",
    "DatasetNotFoundError",
    "DatasetCorruptError",
    "FileSpec",
    "DatasetSpec",
    "REGISTRY",
    "cache_dir",
    "read_idx",
    "load_fashion_mnist",
    "load_mnist",
    "load_cifar10",
    "load_iris",
    "load_digits",
    "download",
    "verify_file",
    "train_test_split",
    "split_validation",
    "standardize",
    "to_float",
    "random_flip",
    "FASHION_MNIST_CLASSES",
    "CIFAR10_CLASSES",
]

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are in none of the places searched."""


class DatasetCorruptError(ValueError):
    """A dataset file exists but is truncated, has the wrong checksum or the wrong structure."""


@dataclass(frozen=True)
class Dataset:
    """Features ``x`` (one example per row, or images ``(N, C, H, W)``), labels ``y`` and names."""

    x: np.ndarray
    y: np.ndarray
    class_names: tuple[str, ...]
    feature_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        labels(self.y, "y (the labels)")
        if not isinstance(self.x, np.ndarray) or self.x.ndim < 1 or self.x.dtype.kind not in "iufb":
            raise TypeError(
                "x must be an array of real numbers, one example per row; got "
                f"{type(self.x).__name__}"
                + (
                    f" of dtype {self.x.dtype} and shape {self.x.shape}"
                    if hasattr(self.x, "shape")
                    else ""
                )
            )
        if len(self.x) != len(self.y):
            raise ValueError(
                f"x must hold one example per label ({len(self.y)}); got shape {np.shape(self.x)}"
            )
        names = self.class_names
        if not isinstance(names, (tuple, list)) or not all(isinstance(c, str) for c in names):
            raise TypeError(f"class_names must be a tuple of str; got {self.class_names!r}")
        fn = self.feature_names
        if not isinstance(fn, (tuple, list)) or not all(isinstance(c, str) for c in fn):
            raise TypeError(f"feature_names must be a tuple of str; got {self.feature_names!r}")

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def subset(self, idx: np.ndarray) -> "Dataset":
        return Dataset(self.x[idx], self.y[idx], self.class_names, self.feature_names)


@dataclass(frozen=True)
class FileSpec:
    """One file of a dataset and how to recognise a good copy of it.

    ``sha256`` is the digest of the file as published (the archive), ``content_sha256`` the digest
    of its gunzipped content; at least one is given. ``size`` is the published size in bytes.
    """

    name: str
    sha256: str | None = None
    content_sha256: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    files: tuple[FileSpec, ...]
    mirrors: tuple[str, ...]
    system_dirs: tuple[str, ...] = ()
    how_to_get: str = ""


REGISTRY: dict[str, DatasetSpec] = {
    "fashion-mnist": DatasetSpec(
        "fashion-mnist",
        (
            # Digests of the decompressed IDX files: identical for Debian's recompressed copy and
            # the
            # upstream archives (whose raw MD5s are f4a8712d..., 9018921c..., 8181f547...,
            # 15d48437...).
            FileSpec(
                "train-images-idx3-ubyte.gz",
                content_sha256="c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            ),
            FileSpec(
                "train-labels-idx1-ubyte.gz",
                content_sha256="bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            ),
            FileSpec(
                "t10k-images-idx3-ubyte.gz",
                content_sha256="5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            ),
            FileSpec(
                "t10k-labels-idx1-ubyte.gz",
                content_sha256="0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            ),
        ),
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ),
        system_dirs=("/usr/share/datasets/fashion-mnist",),
        how_to_get="On Debian or Ubuntu: sudo apt-get install dataset-fashion-mnist "
        "(what `make test` does). Online: "
        "python -c \"from cnnmath import data; data.download('fashion-mnist')\".",
    ),
    "mnist": DatasetSpec(
        "mnist",
        (
            FileSpec(
                "train-images-idx3-ubyte.gz",
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                size=9912422,
            ),
            FileSpec(
                "train-labels-idx1-ubyte.gz",
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                size=28881,
            ),
            FileSpec(
                "t10k-images-idx3-ubyte.gz",
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                size=1648877,
            ),
            FileSpec(
                "t10k-labels-idx1-ubyte.gz",
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                size=4542,
            ),
        ),
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        how_to_get="Online: python -c \"from cnnmath import data; data.download('mnist')\"; "
        "offline: copy the four *-ubyte.gz files into the cache directory.",
    ),
    "cifar-10": DatasetSpec(
        "cifar-10",
        (
            FileSpec(
                "cifar-10-binary.tar.gz",
                "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
                size=170052171,
            ),
        ),
        mirrors=("https://www.cs.toronto.edu/~kriz/",),
        how_to_get="Online: python -c \"from cnnmath import data; data.download('cifar-10')\"; "
        "offline: copy cifar-10-binary.tar.gz (the binary version) into the cache directory.",
    ),
}


def cache_dir(name: str | None = None) -> Path:
    """``$CNNMATH_DATA`` or ``~/.cache/cnnmath``, or its subdirectory for dataset ``name``."""
    root = Path(os.environ.get("CNNMATH_DATA", Path.home() / ".cache" / "cnnmath")).expanduser()
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a dataset name (str) or None; got {name!r}")
    return root / name if name else root


def _spec(name: str) -> DatasetSpec:
    if not isinstance(name, str) or name not in REGISTRY:
        raise ValueError(f"unknown dataset {name!r}: name must be one of {sorted(REGISTRY)}")
    return REGISTRY[name]


# --------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _gunzip(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError) as exc:  # truncated stream, bad CRC, not gzip
        raise DatasetCorruptError(f"{path} is not a complete gzip file ({exc})") from None


def verify_file(path: Path, spec: FileSpec, how_to_get: str = "") -> bytes | None:
    """Check ``path`` against ``spec``; return its decompressed content when that was needed.

    Raises :class:`DatasetCorruptError` naming the file, what was expected and what to do.
    """
    path = check_path(path, "path")
    if not isinstance(spec, FileSpec):
        raise TypeError(f"spec must be a FileSpec (see REGISTRY); got {type(spec).__name__}")
    if not path.is_file():
        raise FileNotFoundError(f"path {path} is not a file")
    advice = f" Delete it and get a fresh copy. {how_to_get}".rstrip()
    if spec.size is not None and path.stat().st_size != spec.size:
        raise DatasetCorruptError(
            f"{path} has {path.stat().st_size} bytes, expected {spec.size} (truncated or a "
            f"different file).{advice}"
        )
    if spec.sha256 is not None and _file_sha256(path) != spec.sha256:
        raise DatasetCorruptError(f"{path} has the wrong SHA-256 (expected {spec.sha256}).{advice}")
    if spec.content_sha256 is not None:
        content = _gunzip(path)
        if _sha256(content) != spec.content_sha256:
            raise DatasetCorruptError(
                f"{path} decompresses to the wrong content (SHA-256 expected "
                f"{spec.content_sha256}).{advice}"
            )
        return content
    return None


# --------------------------------------------------------------------------------------------
# Finding and downloading files
# --------------------------------------------------------------------------------------------


def _search_dirs(spec: DatasetSpec, root: str | Path | None) -> list[Path]:
    if root is not None:
        return [check_path(root, "root").expanduser()]
    return [*(Path(d) for d in spec.system_dirs), cache_dir(spec.name)]


def locate(name: str, root: str | Path | None = None) -> Path:
    """The first directory holding every file of dataset ``name`` (``root`` only, if given)."""
    spec = _spec(name)
    dirs = _search_dirs(spec, root)
    for d in dirs:
        if all((d / f.name).is_file() for f in spec.files):
            return d
    searched = ", ".join(str(d) for d in dirs)
    missing = ", ".join(f.name for f in spec.files)
    raise DatasetNotFoundError(
        f"{name}: the files {missing} are not all in any of: {searched}. {spec.how_to_get}"
    )


def download(name: str, directory: str | Path | None = None, *, progress: bool = True) -> Path:
    """Fetch every file of dataset ``name`` into ``directory`` (default: the cache), verified.

    Files already present and valid are kept. Each download is written to a temporary file in the
    same directory, checked with :func:`verify_file`, and only then moved into place; on any
    failure the temporary file is removed, the next mirror is tried, and an existing file is left
    as it was. Returns the directory.
    """
    spec = _spec(name)
    target = (
        check_path(directory, "directory").expanduser()
        if directory is not None
        else cache_dir(spec.name)
    )
    target.mkdir(parents=True, exist_ok=True)
    for f in spec.files:
        dest = target / f.name
        if dest.is_file():
            try:
                verify_file(dest, f)
                continue
            except DatasetCorruptError:
                pass  # replaced below, but only by a verified download
        errors = []
        for mirror in spec.mirrors:
            url = mirror.rstrip("/") + "/" + f.name
            fd, tmp_name = tempfile.mkstemp(prefix=f".{f.name}.", suffix=".part", dir=target)
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                _fetch(url, tmp, progress, f.name)
                verify_file(tmp, f, spec.how_to_get)
            except (OSError, DatasetCorruptError) as exc:
                errors.append(f"{url}: {exc}")
                tmp.unlink(missing_ok=True)
                continue
            os.replace(tmp, dest)
            break
        else:
            raise DatasetCorruptError(
                f"could not download a valid {f.name} from any mirror:\n  " + "\n  ".join(errors)
            )
    return target


def _fetch(url: str, dest: Path, progress: bool, label: str) -> None:
    from tqdm import tqdm

    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=label, disable=not progress) as bar:
            for chunk in iter(lambda: response.read(1 << 16), b""):
                out.write(chunk)
                bar.update(len(chunk))


# --------------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------------

_IDX_TYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(source: str | Path | bytes, what: str = "IDX data") -> np.ndarray:
    """Parse the IDX format of (Fashion-)MNIST: a magic number, the dimensions, then the values.

    ``source`` is a path (``.gz`` or raw) or the bytes themselves. The length is checked against
    the dimensions, so a truncated file is reported as such instead of misread.
    """
    if not isinstance(what, str):
        raise TypeError(f"what (the data's name in messages) must be a str; got {what!r}")
    if isinstance(source, (str, Path)):
        path = Path(source)
        what = str(path)
        raw = _gunzip(path) if path.suffix == ".gz" else path.read_bytes()
    elif isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
    else:
        raise TypeError(
            f"source must be a path (str or Path) or bytes; got {type(source).__name__}"
        )
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DatasetCorruptError(
            f"source: {what} is not an IDX file (bad magic number {raw[:4].hex() or 'empty'})"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DatasetCorruptError(f"{what}: IDX header is truncated or declares {ndim} dimensions")
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = (
        header + math.prod(dims) * dtype.itemsize
    )  # exact: int64 np.prod wraps for huge headers
    if len(raw) != expected:
        state = "truncated" if len(raw) < expected else "longer than its header says"
        raise DatasetCorruptError(
            f"{what} is {state}: {len(raw)} bytes, expected {expected} for shape {dims}"
        )
    return (
        np.frombuffer(raw, dtype=dtype, offset=header)
        .reshape(dims)
        .astype(dtype.newbyteorder("="), copy=False)
    )


def _load_idx_pair(
    spec: DatasetSpec,
    d: Path,
    images: FileSpec,
    labels: FileSpec,
    classes: tuple[str, ...],
    verify: bool,
) -> Dataset:
    arrays = []
    for f in (images, labels):
        content = verify_file(d / f.name, f, spec.how_to_get) if verify else None
        arrays.append(read_idx(content if content is not None else d / f.name, str(d / f.name)))
    x, y = arrays
    if x.ndim != 3 or y.ndim != 1 or x.shape[0] != y.shape[0]:
        raise DatasetCorruptError(
            f"{d}: images of shape {x.shape} do not match labels of shape {y.shape}"
        )
    if y.size and int(y.max()) >= len(classes):
        raise DatasetCorruptError(
            f"{d}: label {int(y.max())} is out of range for {len(classes)} classes"
        )
    return Dataset(x[:, None, :, :], y.astype(np.int64), classes)


def _load_idx_dataset(
    name: str, classes: tuple[str, ...], root: str | Path | None, verify: bool
) -> tuple[Dataset, Dataset]:
    spec = _spec(name)
    d = locate(name, root)
    f = {s.name.rsplit("-idx", 1)[0]: s for s in spec.files}  # "train-images", "t10k-labels", ...
    train = _load_idx_pair(spec, d, f["train-images"], f["train-labels"], classes, verify)
    test = _load_idx_pair(spec, d, f["t10k-images"], f["t10k-labels"], classes, verify)
    return train, test


def load_fashion_mnist(
    root: str | Path | None = None, *, verify: bool = True
) -> tuple[Dataset, Dataset]:
    """Fashion-MNIST as ``(train, test)``: 60,000 and 10,000 uint8 images ``(N, 1, 28, 28)``, 10
    classes.

    Looks in ``root`` if given, else in ``/usr/share/datasets/fashion-mnist`` and the user cache.
    """
    return _load_idx_dataset("fashion-mnist", FASHION_MNIST_CLASSES, root, verify)


def load_mnist(root: str | Path | None = None, *, verify: bool = True) -> tuple[Dataset, Dataset]:
    """MNIST as ``(train, test)``: 60,000 and 10,000 uint8 images ``(N, 1, 28, 28)`` of digits."""
    return _load_idx_dataset("mnist", tuple(str(i) for i in range(10)), root, verify)


_CIFAR_RECORD = 1 + 3 * 32 * 32
_CIFAR_MEMBERS = tuple(f"cifar-10-batches-bin/data_batch_{i}.bin" for i in range(1, 6)) + (
    "cifar-10-batches-bin/test_batch.bin",
)


def _parse_cifar_records(raw: bytes, what: str) -> tuple[np.ndarray, np.ndarray]:
    if len(raw) == 0 or len(raw) % _CIFAR_RECORD:
        raise DatasetCorruptError(
            f"{what} has {len(raw)} bytes, not a whole number of {_CIFAR_RECORD}-byte CIFAR-10 "
            "records (truncated?)"
        )
    rec = np.frombuffer(raw, np.uint8).reshape(-1, _CIFAR_RECORD)
    y = rec[:, 0].astype(np.int64)
    if y.max() > 9:
        raise DatasetCorruptError(
            f"{what}: label byte {int(y.max())} is not a CIFAR-10 class (0..9)"
        )
    return rec[:, 1:].reshape(-1, 3, 32, 32), y


def load_cifar10(root: str | Path | None = None, *, verify: bool = True) -> tuple[Dataset, Dataset]:
    """CIFAR-10 (binary version) as ``(train, test)``: 50,000 and 10,000 uint8 images ``(N, 3, 32,
    32)``.

    Reads ``cifar-10-binary.tar.gz`` (verified by SHA-256) without unpacking it to disk; only the
    six expected members are read, so no path in the archive is ever written.
    """
    spec = _spec("cifar-10")
    d = locate("cifar-10", root)
    archive = d / spec.files[0].name
    if verify:
        verify_file(archive, spec.files[0], spec.how_to_get)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            parts = {}
            for member in _CIFAR_MEMBERS:
                try:
                    fobj = tar.extractfile(member)
                except KeyError:
                    raise DatasetCorruptError(
                        f"{archive} has no member {member}; is it the binary version?"
                    ) from None
                if fobj is None:
                    raise DatasetCorruptError(f"{archive}: {member} is not a regular file")
                parts[member] = _parse_cifar_records(fobj.read(), f"{archive}:{member}")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DatasetCorruptError(
            f"{archive} is not a readable tar.gz archive ({exc}). {spec.how_to_get}"
        ) from None
    train = [parts[m] for m in _CIFAR_MEMBERS[:5]]
    x_test, y_test = parts[_CIFAR_MEMBERS[5]]
    return (
        Dataset(
            np.concatenate([p[0] for p in train]),
            np.concatenate([p[1] for p in train]),
            CIFAR10_CLASSES,
        ),
        Dataset(x_test, y_test, CIFAR10_CLASSES),
    )


def load_iris() -> Dataset:
    """Fisher's iris: 150 flowers, 4 measurements in cm, 3 species (scikit-learn's bundled copy)."""
    from sklearn.datasets import load_iris as _load

    d = _load()
    return Dataset(
        d.data.astype(np.float64),
        d.target.astype(np.int64),
        tuple(d.target_names),
        tuple(d.feature_names),
    )


def load_digits() -> Dataset:
    """1,797 handwritten digits, 8x8 pixels with values 0..16, as images ``(N, 1, 8, 8)``."""
    from sklearn.datasets import load_digits as _load

    d = _load()
    return Dataset(
        d.images.astype(np.float64)[:, None],
        d.target.astype(np.int64),
        tuple(str(c) for c in d.target_names),
    )


# --------------------------------------------------------------------------------------------
# Splits and scaling
# --------------------------------------------------------------------------------------------


def train_test_split(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a seeded random split of ``range(n)`` into a training and a test part."""
    n = positive_int(n, "n (the number of examples)", minimum=2)
    test_fraction = number(test_fraction, "test_fraction")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1; got {test_fraction}")
    order = np.random.default_rng(check_seed(seed)).permutation(n)
    n_test = int(round(n * test_fraction))
    if n_test == 0 or n_test == n:
        raise ValueError(
            f"a test_fraction of {test_fraction} of {n} examples leaves one part empty"
        )
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def split_validation(ds: Dataset, n_validation: int, seed: int) -> tuple[Dataset, Dataset]:
    """Hold out ``n_validation`` examples of ``ds``, chosen by a seeded shuffle: ``(train,
    validation)``."""
    if not isinstance(ds, Dataset):
        raise TypeError(f"ds must be a Dataset; got {type(ds).__name__}")
    n_validation = positive_int(n_validation, "n_validation")
    if not n_validation < len(ds):
        raise ValueError(f"n_validation must lie between 1 and {len(ds) - 1}; got {n_validation}")
    tr, va = train_test_split(len(ds), n_validation / len(ds), seed)
    return ds.subset(tr), ds.subset(va)


def standardize(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Scale each feature to mean 0 and standard deviation 1 using the training part's statistics
    only.

    ``train`` holds at least two finite examples (rows); each of ``others`` has examples of the
    same shape. A feature constant in ``train`` is only centred.
    """
    train = as_float_array(train, "train (the training features)")
    if train.ndim < 1 or len(train) < 2:
        raise ValueError(
            "train (the training features) needs at least two examples (rows); got shape "
            f"{train.shape}"
        )
    arrays = [train]
    for i, a in enumerate(others):
        a = as_float_array(a, f"others[{i}]")
        if a.shape[1:] != train.shape[1:] or a.ndim != train.ndim:
            raise ValueError(
                f"others[{i}] must have examples shaped like train's {train.shape[1:]}; got shape "
                f"{a.shape}"
            )
        arrays.append(a)
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    out = [(a - mean) / std for a in arrays]
    for i, a in enumerate(out):  # finite features whose spread overflows float
        check_finite(a, "train" if i == 0 else f"others[{i - 1}] (after scaling)")
    return out


def to_float(images: np.ndarray, dtype: type = np.float32) -> np.ndarray:
    """uint8 pixels 0..255 as floats in [0, 1].

    ``images`` must hold integer pixel values 0..255 (images already scaled to floats would be
    divided by 255 a second time); ``dtype`` is np.float32 or np.float64.
    """
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be np.float32 or np.float64; got {dtype!r}")
    if images is None or isinstance(images, (str, bytes, dict)):
        raise TypeError(
            f"images must be an array of integer pixels 0..255; got {type(images).__name__}"
        )
    try:
        arr = np.asarray(images)
    except ValueError as exc:  # ragged nested lists
        raise TypeError(f"images must be an array of integer pixels 0..255 ({exc})") from None
    if arr.dtype.kind not in "ui":
        raise TypeError(
            f"images must hold integer pixel values 0..255 (e.g. uint8); got dtype {arr.dtype}"
        )
    if arr.size and (arr.min() < 0 or arr.max() > 255):
        raise ValueError(
            f"images must hold pixel values 0..255; got values from {arr.min()} to {arr.max()}"
        )
    return (arr.astype(dtype) / dtype(255)).astype(dtype, copy=False)


def random_flip(images: np.ndarray, seed: int, p: float = 0.5) -> np.ndarray:
    """A copy of ``images`` (``(N, C, H, W)``) in which each image, with probability ``p``, is
    mirrored left to right: :math:`x'_{c,i,j} = x_{c,i,W-1-j}`.

    Data augmentation for classes that look the same in a mirror (a shirt, a shoe): every epoch
    sees a different mix of the two orientations, which keeps the network from learning which way
    an item faces. The choice is drawn from ``numpy.random.default_rng(seed)``, so a run repeats.
    """
    as_float_array(images, "images", ndim=4)  # checked; flipped in its own dtype (uint8 stays)
    arr = np.asarray(images)
    seed = check_seed(seed)
    p = number(p, "p")
    if not 0 <= p <= 1:
        raise ValueError(f"p (the probability of a flip) must lie in [0, 1]; got {p}")
    out = np.array(arr, copy=True)
    flip = np.random.default_rng(seed).random(len(arr)) < p
    out[flip] = arr[flip][..., ::-1]
    return out
