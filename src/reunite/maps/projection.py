"""The Albers equal-area conic projection used for maps of China.

Standard parallels 25°N and 47°N, central meridian 105°E (the parameters China's national atlases
and most published maps of the whole country use); spherical formulas (Snyder 1987, *Map
Projections — A Working Manual*, USGS Professional Paper 1395, eqs. 14-1 to 14-4), which are
exact enough for a drawing: the ellipsoidal correction moves points by well under a pixel.
Output is in units of the Earth's radius, y pointing north.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["albers"]

_PHI1, _PHI2, _LAM0 = math.radians(25.0), math.radians(47.0), math.radians(105.0)
_N = (math.sin(_PHI1) + math.sin(_PHI2)) / 2
_C = math.cos(_PHI1) ** 2 + 2 * _N * math.sin(_PHI1)
_RHO0 = math.sqrt(_C) / _N  # origin latitude 0


def albers(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Project longitude/latitude degrees (scalars or arrays) to (x, y), y north, unit sphere."""
    lam = np.radians(np.asarray(lon, dtype=float))
    phi = np.radians(np.asarray(lat, dtype=float))
    rho = np.sqrt(_C - 2 * _N * np.sin(phi)) / _N
    theta = _N * (lam - _LAM0)
    return rho * np.sin(theta), _RHO0 - rho * np.cos(theta)
