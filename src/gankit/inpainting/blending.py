"""Poisson blending at the seam (Pérez et al. 2003, "Poisson Image Editing"), the last step of Yeh et al. 2017.

Inside the hole the blended image f keeps the generated image g's gradients, and on the hole's border it meets the
known pixels x: the discrete Poisson equation, for each missing pixel p with in-image 4-neighbours N(p),

    |N(p)| f_p - sum_{q in N(p), q missing} f_q = sum_{q in N(p)} (g_p - g_q) + sum_{q in N(p), q known} x_q

a sparse linear system solved directly (scipy.sparse.linalg.spsolve). Known pixels are kept as they are.
"""
from __future__ import annotations

import numpy as np
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.linalg import spsolve


def poisson_blend(generated: torch.Tensor, known: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """One image: generated and known (C, H, W) in [-1, 1], mask (H, W) with 1 = known. Returns (C, H, W)."""
    g, x = generated.double().numpy(), known.double().numpy()
    hole = mask.numpy() == 0
    channels, height, width = g.shape
    index = -np.ones((height, width), dtype=np.int64)
    rows_hole, cols_hole = np.nonzero(hole)
    index[rows_hole, cols_hole] = np.arange(len(rows_hole))
    n = len(rows_hole)
    diagonal = np.zeros(n)
    rhs = np.zeros((n, channels))
    off_rows, off_cols = [], []
    for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        r, c = rows_hole + dr, cols_hole + dc
        inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
        p, r, c = np.nonzero(inside)[0], r[inside], c[inside]
        diagonal[p] += 1
        rhs[p] += (g[:, rows_hole[p], cols_hole[p]] - g[:, r, c]).T  # the guidance: g's Laplacian
        neighbour_missing = hole[r, c]
        off_rows.append(p[neighbour_missing])
        off_cols.append(index[r[neighbour_missing], c[neighbour_missing]])
        boundary = ~neighbour_missing
        rhs[p[boundary]] += x[:, r[boundary], c[boundary]].T  # Dirichlet condition: the known pixels
    off_rows, off_cols = np.concatenate(off_rows), np.concatenate(off_cols)
    A = coo_matrix((np.concatenate([diagonal, -np.ones(len(off_rows))]),
                    (np.concatenate([np.arange(n), off_rows]), np.concatenate([np.arange(n), off_cols]))),
                   shape=(n, n)).tocsc()
    solution = spsolve(A, rhs).reshape(n, channels)
    out = x.copy()
    out[:, rows_hole, cols_hole] = solution.T
    return torch.from_numpy(out).float().clamp(-1, 1)
