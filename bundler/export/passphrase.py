"""Passphrases for packages: a generated one to offer, and a strength check for typed ones.

The generated passphrase is seven words drawn uniformly (``secrets``) from the EFF large word
list, joined by hyphens: ``7 × log2(7772) ≈ 90.5`` bits, and easy to read aloud over the phone
("seven words, with dashes between them"). A typed passphrase is judged by ``zxcvbn`` (Dropbox's
estimator, as maintained on PyPI), not by a length rule: ``password123`` is refused, a long
sentence is not. The patient's own name, ID and birth date count as guessable (``user_inputs``).

Passphrases are never logged, stored or put in an error message; :class:`Strength` holds the
estimator's verdict, not the passphrase.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import math
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from bundler.errors import UsageError

__all__ = [
    "DEFAULT_WORDS",
    "MIN_BITS",
    "Strength",
    "WeakPassphrase",
    "check_passphrase",
    "generate_passphrase",
    "passphrase_bits",
    "require_strong",
    "word_list",
]

DEFAULT_WORDS: Final = 7
MIN_BITS: Final = 80
_SEPARATOR: Final = "-"
_WORDLIST: Final = ("wordlists", "eff_large_wordlist.txt")
_WORDLIST_SHA256: Final = "addd35536511597a02fa0a9ff1e5284677b8883b83e986e43f15a3db996b903e"
_WORD: Final = re.compile(r"[a-z]+")
_REQUIRED_SCORE: Final = 4  # zxcvbn: >= 10^10 guesses, "strong protection, offline slow hash"
_ZXCVBN_MAX: Final = 72  # zxcvbn 4.5 refuses longer input; the first 72 characters are judged


class WeakPassphrase(UsageError):
    """A typed passphrase the estimator judges too easy to guess; the message says why."""

    code = "weak_passphrase"


@functools.cache
def word_list() -> tuple[str, ...]:
    """The EFF large word list without its four hyphenated words: 7,772 words, a–z only.

    Raises ``RuntimeError`` if the packaged file is not the one we ship (a damaged install).
    """
    resource = importlib.resources.files("bundler_resources").joinpath(*_WORDLIST)
    data = resource.read_bytes()
    if hashlib.sha256(data).hexdigest() != _WORDLIST_SHA256:
        raise RuntimeError("the passphrase word list is damaged; reinstall the app")
    words = []
    for line in data.decode("ascii").splitlines():
        _dice, _, word = line.partition("\t")
        if _WORD.fullmatch(word):
            words.append(word)
    if len(set(words)) != len(words):
        raise RuntimeError("the passphrase word list has duplicates")
    return tuple(words)


def passphrase_bits(words: int = DEFAULT_WORDS) -> float:
    """Entropy of a generated passphrase of ``words`` words, in bits."""
    return words * math.log2(len(word_list()))


def generate_passphrase(words: int = DEFAULT_WORDS) -> str:
    """A random passphrase: ``words`` words from :func:`word_list`, joined by hyphens.

    Raises :class:`~bundler.errors.UsageError` if ``words`` gives fewer than 80 bits.
    """
    if passphrase_bits(words) < MIN_BITS:
        raise UsageError(f"A generated passphrase needs at least {MIN_BITS} bits; use more words.")
    pool = word_list()
    return _SEPARATOR.join(secrets.choice(pool) for _ in range(words))


@dataclass(frozen=True, slots=True)
class Strength:
    """The estimator's verdict on a passphrase (which it does not hold)."""

    acceptable: bool
    score: int  # zxcvbn 0..4
    guesses_log10: float
    reason: str  # why it is refused, in plain words; "" when acceptable
    suggestions: tuple[str, ...] = ()


def _user_words(user_inputs: Iterable[str]) -> list[str]:
    out: list[str] = []
    for text in user_inputs:
        if not text:
            continue
        out.append(text)
        out.extend(p for p in re.split(r"[\^\s,.\-_/]+", text) if len(p) >= 2)
    return out


def check_passphrase(passphrase: str, *, user_inputs: Iterable[str] = ()) -> Strength:
    """Judge a typed passphrase with zxcvbn.

    Parameters
    ----------
    passphrase
        What the user typed.
    user_inputs
        Words an attacker may know: the patient's names, IDs, birth date. A passphrase built
        from them is judged weak.

    Returns
    -------
    Strength
        ``acceptable`` when zxcvbn scores it 4 (at least 10^10 guesses); otherwise ``reason``
        says why, from zxcvbn's feedback.
    """
    from zxcvbn import zxcvbn

    if not passphrase:
        return Strength(False, 0, 0.0, "The passphrase is empty.")
    result = zxcvbn(passphrase[:_ZXCVBN_MAX], user_inputs=_user_words(user_inputs))
    score = int(result["score"])
    feedback = result.get("feedback") or {}
    suggestions = tuple(str(s) for s in feedback.get("suggestions") or ())
    if score >= _REQUIRED_SCORE:
        return Strength(True, score, float(result["guesses_log10"]), "", suggestions)
    warning = str(feedback.get("warning") or "").strip()
    reason = "This passphrase is too easy to guess"
    reason += f": {warning[0].lower()}{warning[1:]}" if warning else "."
    if not reason.endswith("."):
        reason += "."
    return Strength(False, score, float(result["guesses_log10"]), reason, suggestions)


def require_strong(passphrase: str, *, user_inputs: Iterable[str] = ()) -> None:
    """Raise :class:`WeakPassphrase` (with the reason and a hint) unless acceptable."""
    verdict = check_passphrase(passphrase, user_inputs=user_inputs)
    if verdict.acceptable:
        return
    hint = " ".join(verdict.suggestions) or "Use a longer passphrase of several uncommon words."
    raise WeakPassphrase(f"{verdict.reason} {hint} Or use the generated passphrase the app offers.")
