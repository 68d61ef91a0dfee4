"""Cosine similarity of embeddings, many against many in one matrix product.

The checks compare every sentence of a message with every approved statement (and every key
message with every sentence). In pure Python that is some 380 multiplications a pair under the
GIL, about 60 ms a message, which the other workers of a pack wait for; numpy does the whole
grid in one product and releases the GIL while it runs (docs/benchmarks.md, P11).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence

import numpy as np

Vectors = Sequence[Sequence[float]] | np.ndarray
Embed = Callable[[list[str]], Sequence[Sequence[float]]]

# per embedder (the object behind a bound method), held weakly: vectors of two models do not
# compare, and a new embedder that happens to get a dead one's address starts empty
_VECTORS: weakref.WeakKeyDictionary[object, dict[str, np.ndarray]] = weakref.WeakKeyDictionary()
_VECTOR_CAP = 20000


def embedded(texts: list[str], embed: Embed) -> np.ndarray:
    """The texts' embeddings as the rows of a matrix, kept per embedder and text: a map's
    statements and key messages are embedded once per process, not once per message, and a
    sentence the support check embedded is not embedded again by the fidelity check."""
    owner = getattr(embed, "__self__", embed)
    known = _VECTORS.setdefault(owner, {})
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    if missing:
        if len(known) + len(missing) > _VECTOR_CAP:
            known.clear()
        known.update(zip(missing, as_matrix(embed(missing)), strict=True))
    if not texts:
        return np.zeros((0, 0))
    return np.stack([known[t] for t in texts])


def as_matrix(vectors: Vectors) -> np.ndarray:
    """Embeddings as the rows of a float64 matrix (an embedder's floats are float64 in Python,
    so the products are those of the pure-Python sums, up to the order of the additions)."""
    if isinstance(vectors, np.ndarray) and vectors.dtype == np.float64 and vectors.ndim == 2:
        return vectors
    return np.asarray(vectors, dtype=np.float64)


def cosine_matrix(rows: Vectors, columns: Vectors) -> np.ndarray:
    """Cosine similarity of each row with each column: shape (rows, columns); a vector of
    length zero is 0.0 to everything, as it has no direction."""
    if not len(rows) or not len(columns):
        return np.zeros((len(rows), len(columns)))
    a, b = as_matrix(rows), as_matrix(columns)
    norms = np.outer(np.sqrt(np.einsum("ij,ij->i", a, a)), np.sqrt(np.einsum("ij,ij->i", b, b)))
    dots = a @ b.T
    return np.divide(dots, norms, out=np.zeros_like(dots), where=norms != 0)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors."""
    return float(cosine_matrix([a], [b])[0, 0])
