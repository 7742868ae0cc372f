"""Split polygons into children of prescribed weight, then node the cuts into one exact coverage.

Two coordinate systems meet here:

* lon/lat degrees (EPSG:4326) for every polygon that is kept;
* a local equirectangular plane in kilometres, origin at 新街口, for seeds, sampling and
  distances. The map between the two is affine, so a straight cut in the plane is a straight
  cut in lon/lat and a power diagram stays one after the round trip. Its scale error across
  Nanjing (31.2–32.6°N) is under 1.5 %, which only shapes the synthetic cells, never the
  areas that are reported.

A parent is split with a capacity-constrained power diagram: sample points carry a density,
each child has a target share of the parent's total density, and Lloyd steps (seeds to the
weighted centroid of their samples) alternate with weight updates until each power cell holds
about its share. Children are then cut by straight power-diagram edges.

Exactness does not come from the diagram but from :func:`node_faces`: all cuts of a level,
city-wide, are noded together with snap rounding on a fixed grid and polygonized, so every
face edge exists once and two neighbours share it vertex for vertex. Units are unions of
faces, hence siblings neither overlap nor leave gaps, and parents are unions of children.

The layout is chaotic in its last bits: a seed moved by one unit in the last place can move a
sample across a power-cell edge, and a cut across a snapping pixel, so the same seed must give
the same bits on every machine. Every number on the way to a geometry is therefore made with
+, −, ×, ÷ and √ alone, which IEEE 754 rounds exactly and so identically on every CPU:

* no BLAS: ``a @ b`` and ``np.dot`` run a kernel OpenBLAS picks by CPU model (SkylakeX,
  Haswell, …, ``OPENBLAS_CORETYPE``), with its own order and fused multiply-adds. One dot
  product here, rounded by the SkylakeX kernel, moved 258 of 1,380 units by up to 0.16 m;
* no transcendental function of libm or of numpy's SIMD loops: glibc picks FMA variants of
  ``cos``, ``pow`` and ``exp`` per CPU and numpy its own AVX2/AVX-512 loops, none correctly
  rounded. Distances are :func:`norm`, ``t ** 1.5`` is ``t * √t``, and cos(32.041°) is a
  constant.

GEOS's noding and pyproj's geodesic areas come after the layout and are checked by the tests
within stated tolerances (``tests/core/test_dataset.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import Geometry

CENTRE_LON_LAT = (118.784, 32.041)  # 新街口, the centre of the old city
_KM_PER_DEG_LAT = math.pi / 180.0 * 6371.0088
# cos(32.041°) as a literal (math.cos(math.radians(32.041)) on CPython 3.11 / glibc 2.36):
# libm's cos may round its last bit differently on another CPU.
_COS_CENTRE_LAT = 0.8476686767890902
_KM_PER_DEG_LON = _KM_PER_DEG_LAT * _COS_CENTRE_LAT
_ORIGIN = np.array(CENTRE_LON_LAT)
_SCALE = np.array([_KM_PER_DEG_LON, _KM_PER_DEG_LAT])

Points = NDArray[np.float64]
"""An (n, 2) array of plane coordinates in km."""


def norm(dx: NDArray[np.float64], dy: NDArray[np.float64]) -> NDArray[np.float64]:
    """√(dx² + dy²) element-wise, from correctly rounded operations only (not ``np.hypot``)."""
    length: NDArray[np.float64] = np.sqrt(dx * dx + dy * dy)
    return length


def lonlat_to_plane(geom: Geometry) -> Geometry:
    """Map a lon/lat (EPSG:4326) geometry to the local plane (km)."""
    return shapely.transform(geom, lambda xy: (xy - _ORIGIN) * _SCALE)


def plane_to_lonlat(geom: Geometry) -> Geometry:
    """Map a plane (km) geometry back to lon/lat degrees."""
    return shapely.transform(geom, lambda xy: xy / _SCALE + _ORIGIN)


def points_to_plane(lon_lat: Points) -> Points:
    """Map an (n, 2) array of (lon, lat) degrees to plane km."""
    plane: Points = (lon_lat - _ORIGIN) * _SCALE
    return plane


def sample_uniform(parent_km: Geometry, n: int, rng: np.random.Generator) -> Points:
    """Draw ``n`` points uniformly inside a plane polygon (rejection from its bounding box)."""
    shapely.prepare(parent_km)
    minx, miny, maxx, maxy = parent_km.bounds
    fill = parent_km.area / ((maxx - minx) * (maxy - miny))
    found: list[Points] = []
    count = 0
    while count < n:
        batch = rng.uniform((minx, miny), (maxx, maxy), size=(int(1.3 * n / fill) + 16, 2))
        inside = batch[shapely.contains_xy(parent_km, batch[:, 0], batch[:, 1])]
        found.append(inside)
        count += len(inside)
    return np.concatenate(found)[:n]


@dataclass(frozen=True)
class PowerDiagram:
    """Seeds with additive weights: a point belongs to the seed minimising |p - s|² - w.

    ``seeds_km`` is (k, 2) in the plane, ``weights_km2`` is (k,) in km².
    """

    seeds_km: Points
    weights_km2: NDArray[np.float64]

    def label(self, points_km: Points) -> NDArray[np.intp]:
        """Index of the cell each plane point falls in. O(n·k) memory and time."""
        # |p - s|² - w minus the per-point constant |p|². Element-wise rather than a matrix
        # product, so no BLAS kernel (FMA or not) can change a rounding between machines.
        s = self.seeds_km
        power = s[:, 0] * s[:, 0] + s[:, 1] * s[:, 1] - self.weights_km2
        x, y = points_km[:, :1], points_km[:, 1:]
        labels: NDArray[np.intp] = np.argmin(power - 2.0 * (x * s[:, 0] + y * s[:, 1]), axis=1)
        return labels

    def cells_km(self, bounds_km: tuple[float, float, float, float]) -> list[Geometry]:
        """The power cells clipped to a rectangle, each as the intersection of half-planes."""
        minx, miny, maxx, maxy = bounds_km
        reach = 4.0 * math.sqrt((maxx - minx) * (maxx - minx) + (maxy - miny) * (maxy - miny))
        frame = shapely.box(minx, miny, maxx, maxy)
        centre = np.array([(minx + maxx) / 2.0, (miny + maxy) / 2.0])
        s, w = self.seeds_km, self.weights_km2
        power = s[:, 0] * s[:, 0] + s[:, 1] * s[:, 1] - w
        cells = []
        for i in range(len(s)):
            halves = [frame]
            for j in range(len(s)):
                if j == i:
                    continue
                normal = s[j] - s[i]
                length = math.sqrt(normal[0] * normal[0] + normal[1] * normal[1])
                unit = normal / length
                # The bisector: unit·p = offset; cell i is the side with unit·p <= offset.
                offset = (power[j] - power[i]) / (2.0 * length)
                # unit·centre written out: ``unit @ centre`` is a BLAS call (see the module).
                foot = centre + unit * (offset - (unit[0] * centre[0] + unit[1] * centre[1]))
                along = np.array([-unit[1], unit[0]]) * reach
                back = unit * reach
                halves.append(
                    shapely.Polygon(
                        [foot - along, foot + along, foot + along - back, foot - along - back]
                    )
                )
            cells.append(shapely.intersection_all(halves))
        return cells


def weighted_kmeans(
    points_km: Points, mass: NDArray[np.float64], k: int, rng: np.random.Generator, steps: int = 25
) -> Points:
    """Lloyd's algorithm on weighted points; seeds start at k distinct mass-weighted draws."""
    start = rng.choice(len(points_km), size=k, replace=False, p=mass / mass.sum())
    seeds = points_km[start].copy()
    zero = np.zeros(k)
    for _ in range(steps):
        labels = PowerDiagram(seeds, zero).label(points_km)
        seeds = _weighted_centroids(points_km, mass, labels, seeds)
    return seeds


def _weighted_centroids(
    points_km: Points, mass: NDArray[np.float64], labels: NDArray[np.intp], seeds: Points
) -> Points:
    k = len(seeds)
    total = np.bincount(labels, mass, minlength=k)
    sx = np.bincount(labels, mass * points_km[:, 0], minlength=k)
    sy = np.bincount(labels, mass * points_km[:, 1], minlength=k)
    moved = seeds.copy()
    held = total > 0
    moved[held, 0] = sx[held] / total[held]
    moved[held, 1] = sy[held] / total[held]
    return moved


def capacity_power_diagram(
    points_km: Points,
    mass: NDArray[np.float64],
    shares: NDArray[np.float64],
    seeds_km: Points,
    parent_area_km2: float,
    steps: int = 80,
    polish: int = 60,
) -> PowerDiagram:
    """Fit weights (and move seeds) so that cell i holds about ``shares[i]`` of the total mass.

    ``points_km`` are uniform samples of the parent, so a sample stands for
    ``parent_area_km2 / n`` km². For ``steps`` rounds, seeds move to the weighted centroid of
    their samples (which rounds the cells) and weights are updated; then ``polish`` rounds
    update weights only, which converges for fixed seeds. The weight step is Newton-like:
    raising w_i by Δ grows a roughly round cell by about πΔ/2, so
    Δ = (2/π)·(share/held − 1)·area, halved for damping; a cell whose error changes sign
    halves its own step (as in Rprop), which stops cells squeezed between close seeds from
    flipping between empty and oversized.
    """
    shares = shares / shares.sum()
    total_mass = mass.sum()
    sample_area = parent_area_km2 / len(points_km)
    seeds = seeds_km.copy()
    k = len(seeds)
    weights = np.zeros(k)
    rate = np.ones(k)
    last_gain = np.zeros(k)
    for step in range(steps + polish):
        labels = PowerDiagram(seeds, weights).label(points_km)
        held = np.bincount(labels, mass, minlength=k) / total_mass
        area = np.bincount(labels, minlength=k) * sample_area
        gain = np.clip(shares / np.maximum(held, 1e-9) - 1.0, -0.5, 2.0)
        rate = np.where(gain * last_gain < 0, rate * 0.5, np.minimum(rate * 1.2, 1.0))
        last_gain = gain
        weights = weights + rate / math.pi * gain * np.maximum(area, parent_area_km2 / k / 4)
        weights -= weights.mean()
        if step < steps:
            seeds = _weighted_centroids(points_km, mass, labels, seeds)
    return PowerDiagram(seeds, weights)


def coherent_order(seeds_km: Points, start_km: Points, pull: float = 0.6) -> NDArray[np.intp]:
    """Order seeds as a walk from the one nearest ``start_km``, always to a near unvisited seed.

    The next seed minimises ``distance from here + pull · distance from the start``, so the
    walk stays compact and spirals outward: consecutive codes are neighbours, and the first
    codes sit near the start.
    """
    from_start = norm(*(seeds_km - start_km).T)
    order = [int(np.argmin(from_start))]
    free = np.ones(len(seeds_km), dtype=bool)
    free[order[0]] = False
    while free.any():
        here = seeds_km[order[-1]]
        cost = norm(*(seeds_km - here).T) + pull * from_start
        cost[~free] = np.inf
        order.append(int(np.argmin(cost)))
        free[order[-1]] = False
    return np.array(order, dtype=np.intp)


def cuts_lonlat(diagram: PowerDiagram, parent_lonlat: Geometry) -> Geometry:
    """The power-diagram edges inside a lon/lat parent, as lon/lat lines."""
    parent_km = lonlat_to_plane(parent_lonlat)
    minx, miny, maxx, maxy = parent_km.bounds
    pad = 0.1 * max(maxx - minx, maxy - miny) + 1.0
    cells = diagram.cells_km((minx - pad, miny - pad, maxx + pad, maxy + pad))
    lines = plane_to_lonlat(shapely.union_all(shapely.boundary(np.array(cells))))
    return shapely.intersection(lines, parent_lonlat)


def node_faces(lines: list[Geometry], grid_size: float) -> NDArray[np.object_]:
    """Node lines with snap rounding on a ``grid_size`` grid and return the bounded faces.

    Every face edge comes out of a single noding, so adjacent faces share it exactly.
    """
    noded = shapely.union_all(np.array(lines, dtype=object), grid_size=grid_size)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    bounded: NDArray[np.object_] = faces[shapely.area(faces) > 0]
    return bounded
