"""seed = HMAC-SHA256(secret, student / kind) mod 2^32: versions only the instructor can reproduce.

A question's seed decides its answer, and the package is public: whoever knows the seed prints the
answer. So nothing a student sees carries a seed. An instructor's *secret* (a passphrase, or the
contents of a key file) and a student's id (or a bank's variant number) give the seed through
HMAC-SHA256; without the secret the seeds cannot be found or reproduced, with it every version can
be printed again, graded again and keyed. Printed versions carry a *version code*: a short HMAC of
the same inputs, which names a version without revealing it.

The book's own quizzes use the seeds :data:`BOOK_SEEDS`, whose answers are on public pages; a drawn
seed never falls among them, and public exports start after them.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from .registry import MAX_SEED, QuizError

#: The seeds the book's chapters show (their answers are public): never in an exam or an export.
BOOK_SEEDS = range(0, 1000)
#: The first seed of an export made without a secret.
FIRST_PUBLIC_SEED = BOOK_SEEDS.stop
MIN_SECRET_LENGTH = 8


def read_secret(secret: str | None = None, secret_file: str | Path | None = None) -> bytes:
    """The instructor's secret as bytes: the passphrase, or the contents of a key file."""
    if secret is not None and secret_file is not None:
        raise QuizError("give either a secret or a secret file, not both")
    if secret_file is not None:
        try:
            raw = Path(secret_file).read_bytes().strip()
        except OSError as exc:
            raise QuizError(f"cannot read the secret file {secret_file}: {exc.strerror}") from None
    elif secret is not None:
        raw = str(secret).encode("utf-8")
    else:
        raise QuizError("a secret is needed (--secret PASSPHRASE or --secret-file FILE)")
    if len(raw) < MIN_SECRET_LENGTH:
        raise QuizError(f"the secret must be at least {MIN_SECRET_LENGTH} characters long")
    return raw


def _mac(secret: bytes, *parts: object) -> bytes:
    msg = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return hmac.new(secret, msg, hashlib.sha256).digest()


def version_seed(secret: bytes, who: str, kind: str) -> int:
    """The seed of ``kind`` for ``who`` (a student id, or ``variant-3``): HMAC-SHA256 mod 2^32,
    redrawn (deterministically) while it falls among the book's seeds."""
    for attempt in range(100):
        seed = int.from_bytes(_mac(secret, "seed", who, kind, attempt)[:4], "big") % (MAX_SEED + 1)
        if seed not in BOOK_SEEDS:
            return seed
    raise AssertionError("unreachable: 100 draws among 2^32 seeds all fell in the book's seeds")


def version_code(secret: bytes, who: str) -> str:
    """A short code printed on every page of ``who``'s exam: names the version, reveals nothing."""
    digest = _mac(secret, "code", who)
    return digest[:5].hex().upper()


def question_code(secret: bytes | None, kind: str, seed: int) -> str:
    """An opaque name for one question version in a bank (never its seed)."""
    return _mac(secret or b"cnnmath-public", "question", kind, seed)[:5].hex()
