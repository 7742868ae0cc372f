"""The coordinate systems that Chinese phones and map SDKs send, and exact transforms between them.

A location reaching gridsvc is in one of four geographic systems, always as a (lon, lat) pair in
decimal degrees:

- ``Crs.WGS84`` (EPSG:4326): raw GNSS, iOS/Android system location, OpenStreetMap. gridsvc stores
  everything in WGS-84.
- ``Crs.CGCS2000`` (EPSG:4490): China Geodetic Coordinate System 2000, used by Tianditu and
  official survey data. Its frame and WGS-84's differ by a few centimetres, far below what a
  phone resolves, so gridsvc treats the two as identical: converting is a no-op, as it is in
  PROJ/pyproj (EPSG:4490 -> EPSG:4326 is a "ballpark" transformation that changes nothing).
- ``Crs.GCJ02``: the "Mars" system that Chinese law requires of published maps; AMap (Gaode),
  Tencent and Google Maps China report it. It is WGS-84 plus a deliberately non-linear offset
  of 20-710 m across China, 530-560 m in Nanjing.
- ``Crs.BD09``: Baidu's BD-09 (``bd09ll``), GCJ-02 offset again by 760-1010 m (880-940 m in
  Nanjing, 1150-1230 m from WGS-84).

GCJ-02 is only applied inside China, approximated, as every open implementation does, by the
bounding box :data:`GCJ02_BBOX` (lon 72.004-137.8347, lat 0.8293-55.8271). A point outside the
box passes through every transform unchanged; this includes BD-09, as in eviltransform. The box
also covers neighbouring countries (Mongolia, the Korean peninsula, parts of Japan and of
South-East Asia) where phones do not apply the offset: coordinates from there are converted
anyway. Whether a point is inside is decided on the coordinate as given, in its own system, so
a point within about 0.02 degree of the box edge may not round-trip; China's land is more than
a degree inside the box.

The forward transforms (WGS-84 -> GCJ-02 -> BD-09) are the published closed formulas. Their
inverses have no closed form, and the one-step approximations most libraries publish are off by
up to 4.7 m (GCJ-02) and 0.22 m (BD-09) in the box. Here every inverse is solved by fixed-point
iteration until the forward transform of the estimate reproduces the input within
:data:`CONVERGENCE_TOL_DEG` degrees (about 0.01 mm) on both axes; round trips then agree to
about 0.03 mm. Each point stops iterating on its own, so a point gives bit-for-bit the same
answer alone as inside any batch.

All transforms are vectorised over numpy arrays (no Python loop per point). They accept Python
or numpy scalars, which give back floats, or array-likes, which give back new float64 arrays of
the broadcast shape. A coordinate that is not a finite number, a longitude outside -180..180 or
a latitude outside -90..90 raises :class:`gridsvc.errors.InvalidCoordinate`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, Final, overload

import numpy as np
import numpy.typing as npt

from gridsvc.errors import InvalidCoordinate, UnknownCrs
from gridsvc.messages import Msg

__all__ = [
    "CONVERGENCE_TOL_DEG",
    "GCJ02_BBOX",
    "MAX_ITERATIONS",
    "Crs",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_gcj02_bbox",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

FloatArray = npt.NDArray[np.float64]
#: What the transforms take for a whole column of longitudes or latitudes, in degrees.
DegreesArray = npt.NDArray[Any] | Sequence[float]
_Kernel = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


class Crs(StrEnum):
    """A geographic coordinate system a client may send; values are the canonical names."""

    WGS84 = "wgs84"
    CGCS2000 = "cgcs2000"
    GCJ02 = "gcj02"
    BD09 = "bd09"

    @classmethod
    def parse(cls, value: str) -> Crs:
        """The system named by ``value``: a canonical name or a common alias, any case.

        Spaces, hyphens and underscores are ignored, so ``"WGS 84"``, ``"wgs-84"`` and
        ``"WGS_84"`` all name WGS-84. An EPSG code identifies the datum only: gridsvc reads
        every pair as (lon, lat) whatever axis order the EPSG definition has.

        Raises:
            UnknownCrs: for anything else; its message lists every accepted value.
        """
        crs = _LOOKUP.get(_normalise_name(str(value)))
        if crs is None:
            raise UnknownCrs(
                "crs.unknown",
                field="crs",
                value=str(value)[:40],
                accepted=_accepted_values(),
                details={"accepted": [member.value for member in cls]},
            )
        return crs

    @classmethod
    def _missing_(cls, value: object) -> Crs | None:
        # Lets Crs("EPSG:4326") and pydantic fields typed Crs accept the aliases too; an
        # unknown name still raises ValueError, as for any Enum.
        return _LOOKUP.get(_normalise_name(value)) if isinstance(value, str) else None


# Display form; lookup ignores case, spaces, hyphens and underscores.
_ALIASES: Final[dict[Crs, tuple[str, ...]]] = {
    Crs.WGS84: ("wgs-84", "epsg:4326", "4326", "gps", "crs84", "ogc:crs84"),
    Crs.CGCS2000: ("cgcs-2000", "epsg:4490", "4490", "cgcs", "tianditu"),
    Crs.GCJ02: ("gcj-02", "gcj", "gcj02ll", "mars", "amap", "gaode", "autonavi", "tencent", "qq"),
    Crs.BD09: ("bd-09", "bd09ll", "baidu"),
}


def _normalise_name(name: str) -> str:
    return "".join(ch for ch in name.strip().lower() if ch not in " -_")


_LOOKUP: Final[dict[str, Crs]] = {
    _normalise_name(name): crs
    for crs, aliases in _ALIASES.items()
    for name in (crs.value, *aliases)
}


def _accepted_values() -> list[Msg]:
    return [
        Msg("crs.aliases", {"name": crs.value, "aliases": aliases})
        for crs, aliases in _ALIASES.items()
    ]


# --- constants of the published formulas ----------------------------------------------------

#: (lon_min, lat_min, lon_max, lat_max) in degrees, bounds included: the box inside which
#: GCJ-02 and BD-09 offsets apply.
GCJ02_BBOX: Final[tuple[float, float, float, float]] = (72.004, 0.8293, 137.8347, 55.8271)
#: An inverse stops once the forward transform of its estimate is this close to the input,
#: in degrees, on both axes (1e-10 degree is about 0.01 mm).
CONVERGENCE_TOL_DEG: Final = 1e-10
#: Updates an inverse may make; at most 4 were needed over 1M random points in the box.
MAX_ITERATIONS: Final = 30

# GCJ-02 scales its offset, computed in metres, to degrees on the Krasovsky 1940 ellipsoid.
_KRASOVSKY_A_M: Final = 6378245.0
_KRASOVSKY_E2: Final = 0.00669342162296594323
_GCJ02_ORIGIN_LON: Final = 105.0
_GCJ02_ORIGIN_LAT: Final = 35.0
_TWO_THIRDS: Final = 2.0 / 3.0
# BD-09 perturbs GCJ-02's polar form with this angular frequency (per degree), then shifts.
_BD09_FREQ: Final = math.pi * 3000.0 / 180.0
_BD09_DLON: Final = 0.0065
_BD09_DLAT: Final = 0.006


# --- the four kernels, on validated float64 arrays of points inside the box ------------------


def _gcj02_offset_deg(
    lon_wgs84: FloatArray, lat_wgs84: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 minus WGS-84 at a WGS-84 point, (dlon, dlat) in degrees.

    The published formula: an offset in metres, a polynomial plus sine terms in the distance
    (degrees) from 105E 35N, turned into degrees with the Krasovsky radii of curvature. Sines
    are ~90% of the cost, so sin(3t) = sin(t)(3 - 4 sin^2 t) gets sin(pi x) from sin(pi x/3)
    and sin(6 pi x) from sin(2 pi x), and cos(lat) comes from sin(lat) (lat > 0 in the box):
    8 sines instead of 12, equal to the textbook evaluation within 3e-14 degree.
    """
    x = lon_wgs84 - _GCJ02_ORIGIN_LON
    y = lat_wgs84 - _GCJ02_ORIGIN_LAT
    sin_x_3 = np.sin(x * (math.pi / 3.0))
    sin_x = sin_x_3 * (3.0 - 4.0 * sin_x_3 * sin_x_3)
    sin_2x = np.sin(x * (2.0 * math.pi))
    sin_6x = sin_2x * (3.0 - 4.0 * sin_2x * sin_2x)
    sin_y_3 = np.sin(y * (math.pi / 3.0))
    sin_y = sin_y_3 * (3.0 - 4.0 * sin_y_3 * sin_y_3)
    sqrt_abs_x = np.sqrt(np.abs(x))
    xy = x * y
    shared_m = (20.0 * sin_6x + 20.0 * sin_2x) * _TWO_THIRDS
    north_m = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * xy
        + 0.2 * sqrt_abs_x
        + shared_m
        + (20.0 * sin_y + 40.0 * sin_y_3) * _TWO_THIRDS
        + (160.0 * np.sin(y * (math.pi / 12.0)) + 320.0 * np.sin(y * (math.pi / 30.0)))
        * _TWO_THIRDS
    )
    east_m = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * xy
        + 0.1 * sqrt_abs_x
        + shared_m
        + (20.0 * sin_x + 40.0 * sin_x_3) * _TWO_THIRDS
        + (150.0 * np.sin(x * (math.pi / 12.0)) + 300.0 * np.sin(x * (math.pi / 30.0)))
        * _TWO_THIRDS
    )
    sin_lat = np.sin(np.radians(lat_wgs84))
    sin2_lat = sin_lat * sin_lat
    w = 1.0 - _KRASOVSKY_E2 * sin2_lat
    sqrt_w = np.sqrt(w)
    # Metres to degrees: divide by the meridian radius of curvature a(1-e2)/w^1.5 (north) and
    # by the parallel's radius a cos(lat)/w^0.5 (east).
    dlat = north_m * (180.0 / math.pi) * (w * sqrt_w) / (_KRASOVSKY_A_M * (1.0 - _KRASOVSKY_E2))
    dlon = east_m * (180.0 / math.pi) * sqrt_w / (_KRASOVSKY_A_M * np.sqrt(1.0 - sin2_lat))
    return dlon, dlat


def _gcj02_from_wgs84(
    lon_wgs84: FloatArray, lat_wgs84: FloatArray
) -> tuple[FloatArray, FloatArray]:
    dlon, dlat = _gcj02_offset_deg(lon_wgs84, lat_wgs84)
    return lon_wgs84 + dlon, lat_wgs84 + dlat


def _bd09_from_gcj02(lon_gcj02: FloatArray, lat_gcj02: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The published BD-09 formula: GCJ-02 degrees taken as plane coordinates, their polar
    radius and angle perturbed, then shifted by (0.0065, 0.006) degrees."""
    radius = np.hypot(lon_gcj02, lat_gcj02) + 0.00002 * np.sin(lat_gcj02 * _BD09_FREQ)
    angle = np.arctan2(lat_gcj02, lon_gcj02) + 0.000003 * np.cos(lon_gcj02 * _BD09_FREQ)
    return radius * np.cos(angle) + _BD09_DLON, radius * np.sin(angle) + _BD09_DLAT


def _bd09_to_gcj02_closed_form(
    lon_bd09: FloatArray, lat_bd09: FloatArray
) -> tuple[FloatArray, FloatArray]:
    # The widely published approximate inverse: the perturbation evaluated at the shifted BD-09
    # point instead of the unknown GCJ-02 one. Off by up to 0.22 m: only a starting guess here.
    x = lon_bd09 - _BD09_DLON
    y = lat_bd09 - _BD09_DLAT
    radius = np.hypot(x, y) - 0.00002 * np.sin(y * _BD09_FREQ)
    angle = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD09_FREQ)
    return radius * np.cos(angle), radius * np.sin(angle)


def _invert(
    forward: _Kernel,
    lon_target: FloatArray,
    lat_target: FloatArray,
    lon_guess: FloatArray,
    lat_guess: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Solve forward(lon, lat) == (lon_target, lat_target) by fixed-point iteration.

    Each forward transform is the identity plus an offset that changes slowly (by a few
    thousandths of a degree per degree for GCJ-02, about 0.02 for BD-09), so each update
    ``estimate -= forward(estimate) - target`` gains about two digits: over 1M points spread
    across the box, GCJ-02 needs 2-4 updates from the target itself and BD-09 1-3 from the
    closed-form guess. A point leaves the iteration as soon as its residual is within
    CONVERGENCE_TOL_DEG on both axes, so later rounds only work on the stragglers and a
    point's result does not depend on the other points of the batch.
    """
    if np.ndim(lon_target) == 0:
        return _invert_one(forward, lon_target, lat_target, lon_guess, lat_guess)
    lon_est = np.array(lon_guess, dtype=np.float64, order="C")  # fresh, updated in place
    lat_est = np.array(lat_guess, dtype=np.float64, order="C")
    lon_flat, lat_flat = lon_est.reshape(-1), lat_est.reshape(-1)  # views
    lon_goal, lat_goal = np.ravel(lon_target), np.ravel(lat_target)
    pending = np.arange(lon_flat.size)
    for _ in range(MAX_ITERATIONS):
        lon_fwd, lat_fwd = forward(lon_flat[pending], lat_flat[pending])
        lon_residual = lon_fwd - lon_goal[pending]
        lat_residual = lat_fwd - lat_goal[pending]
        unconverged = (np.abs(lon_residual) > CONVERGENCE_TOL_DEG) | (
            np.abs(lat_residual) > CONVERGENCE_TOL_DEG
        )
        pending = pending[unconverged]
        if pending.size == 0:
            return lon_est, lat_est
        lon_flat[pending] -= lon_residual[unconverged]
        lat_flat[pending] -= lat_residual[unconverged]
    raise RuntimeError(  # unreachable inside the box: a bug, not bad input
        f"inverse transform did not converge in {MAX_ITERATIONS} iterations "
        f"for {pending.size} point(s)"
    )


def _invert_one(
    forward: _Kernel,
    lon_target: FloatArray,
    lat_target: FloatArray,
    lon_guess: FloatArray,
    lat_guess: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """:func:`_invert` for one point given as numpy scalars: the same updates and the same
    stopping rule, without the bookkeeping of pending points (a one-point inverse on arrays
    cost ~0.4 ms, nearly all of it that bookkeeping and per-array overhead)."""
    lon_est, lat_est = lon_guess, lat_guess
    for _ in range(MAX_ITERATIONS):
        lon_fwd, lat_fwd = forward(lon_est, lat_est)
        lon_residual = lon_fwd - lon_target
        lat_residual = lat_fwd - lat_target
        if not (abs(lon_residual) > CONVERGENCE_TOL_DEG or abs(lat_residual) > CONVERGENCE_TOL_DEG):
            return lon_est, lat_est
        lon_est = lon_est - lon_residual
        lat_est = lat_est - lat_residual
    raise RuntimeError(  # unreachable inside the box: a bug, not bad input
        f"inverse transform did not converge in {MAX_ITERATIONS} iterations for 1 point(s)"
    )


def _wgs84_from_gcj02(
    lon_gcj02: FloatArray, lat_gcj02: FloatArray
) -> tuple[FloatArray, FloatArray]:
    return _invert(_gcj02_from_wgs84, lon_gcj02, lat_gcj02, lon_gcj02, lat_gcj02)


def _gcj02_from_bd09(lon_bd09: FloatArray, lat_bd09: FloatArray) -> tuple[FloatArray, FloatArray]:
    lon_guess, lat_guess = _bd09_to_gcj02_closed_form(lon_bd09, lat_bd09)
    return _invert(_bd09_from_gcj02, lon_bd09, lat_bd09, lon_guess, lat_guess)


def _bd09_from_wgs84(lon_wgs84: FloatArray, lat_wgs84: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _bd09_from_gcj02(*_gcj02_from_wgs84(lon_wgs84, lat_wgs84))


def _wgs84_from_bd09(lon_bd09: FloatArray, lat_bd09: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _wgs84_from_gcj02(*_gcj02_from_bd09(lon_bd09, lat_bd09))


# --- validation and the scalar/array plumbing ------------------------------------------------


def _as_degrees(value: float | DegreesArray, axis: str) -> FloatArray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidCoordinate("coord.not_degrees", field=axis[:3]) from None


def _check_range(degrees: FloatArray, limit: float, axis: str) -> None:
    valid = np.abs(degrees) <= limit  # False for NaN and ±inf too
    if valid.all():
        return
    bad_at = np.flatnonzero(~valid)
    first = int(bad_at[0])
    bad_value = float(degrees.flat[first])
    field = axis[:3]
    about = {"field": field, "value": repr(bad_value), "limit": limit}
    if math.isfinite(bad_value):
        problem = Msg("coord.range", about)
        hint = Msg("coord.hint_swapped")
    else:
        problem = Msg("coord.not_finite_axis", about)
        hint = Msg("coord.hint_real")
    if degrees.ndim == 0:
        raise InvalidCoordinate("coord.one", hint=hint, field=field, problem=problem)
    raise InvalidCoordinate(
        "coord.point",
        hint=hint,
        field=field,
        problem=problem,
        index=first,
        count=int(bad_at.size),
        total=int(degrees.size),
        details={"index": first, "invalid_count": int(bad_at.size)},
    )


def _validated(
    lon: float | DegreesArray, lat: float | DegreesArray
) -> tuple[FloatArray, FloatArray]:
    lon_deg = _as_degrees(lon, "longitude")
    lat_deg = _as_degrees(lat, "latitude")
    if lon_deg.shape != lat_deg.shape:
        try:
            lon_deg, lat_deg = np.broadcast_arrays(lon_deg, lat_deg)
        except ValueError:
            raise InvalidCoordinate(
                "coord.unpaired", lon_shape=lon_deg.shape, lat_shape=lat_deg.shape
            ) from None
    _check_range(lon_deg, 180.0, "longitude")
    _check_range(lat_deg, 90.0, "latitude")
    return lon_deg, lat_deg


def in_gcj02_bbox(lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
    """Whether each point is inside :data:`GCJ02_BBOX`, where the offsets apply.

    ``lon``/``lat`` are degrees in any of the four systems (the box is too coarse for the
    difference to matter except within ~0.01 degree of its edge).
    """
    lon_min, lat_min, lon_max, lat_max = GCJ02_BBOX
    inside: npt.NDArray[np.bool_] = (
        (lon >= lon_min) & (lon <= lon_max) & (lat >= lat_min) & (lat <= lat_max)
    )
    return inside


def _is_scalar(value: float | DegreesArray) -> bool:
    return not isinstance(value, np.ndarray) and np.ndim(value) == 0


def _apply(
    kernel: _Kernel, lon: float | DegreesArray, lat: float | DegreesArray
) -> tuple[FloatArray, FloatArray] | tuple[float, float]:
    """Validate, run ``kernel`` on the points inside the box only, and shape the result."""
    lon_deg, lat_deg = _validated(lon, lat)
    if lon_deg.size == 1:
        # one point (a report, GET /v1/locate): the kernel on numpy scalars (a 0-d array
        # turns into one at the first operation), ~5x faster than on a 1-element array; the
        # same arithmetic and ufuncs as on arrays, and test_crs asserts it gives the batch's
        # result bit for bit
        lon_0d, lat_0d = lon_deg.reshape(()), lat_deg.reshape(())
        if in_gcj02_bbox(lon_0d, lat_0d):
            lon_0d, lat_0d = kernel(lon_0d, lat_0d)
        if _is_scalar(lon) and _is_scalar(lat):
            return float(lon_0d), float(lat_0d)
        return np.full(lon_deg.shape, lon_0d), np.full(lat_deg.shape, lat_0d)
    inside = in_gcj02_bbox(lon_deg, lat_deg)
    if inside.all():
        lon_out, lat_out = kernel(lon_deg, lat_deg)
    else:
        lon_out, lat_out = lon_deg.copy(), lat_deg.copy()
        if inside.any():
            lon_out[inside], lat_out[inside] = kernel(lon_deg[inside], lat_deg[inside])
    if _is_scalar(lon) and _is_scalar(lat):
        return float(lon_out), float(lat_out)
    # numpy hands back numpy scalars for 0-d input; keep the promise of arrays in, arrays out.
    return np.asarray(lon_out, dtype=np.float64), np.asarray(lat_out, dtype=np.float64)


def _identity(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return lon.copy(), lat.copy()


# --- public transforms ------------------------------------------------------------------------


@overload
def wgs84_to_gcj02(lon_wgs84: float, lat_wgs84: float) -> tuple[float, float]: ...
@overload
def wgs84_to_gcj02(
    lon_wgs84: DegreesArray, lat_wgs84: DegreesArray
) -> tuple[FloatArray, FloatArray]: ...
def wgs84_to_gcj02(
    lon_wgs84: float | DegreesArray, lat_wgs84: float | DegreesArray
) -> tuple[FloatArray, FloatArray] | tuple[float, float]:
    """WGS-84 degrees to GCJ-02 degrees, (lon_gcj02, lat_gcj02); exact (closed formula).

    Points outside :data:`GCJ02_BBOX` are returned unchanged.
    """
    return _apply(_gcj02_from_wgs84, lon_wgs84, lat_wgs84)


@overload
def gcj02_to_wgs84(lon_gcj02: float, lat_gcj02: float) -> tuple[float, float]: ...
@overload
def gcj02_to_wgs84(
    lon_gcj02: DegreesArray, lat_gcj02: DegreesArray
) -> tuple[FloatArray, FloatArray]: ...
def gcj02_to_wgs84(
    lon_gcj02: float | DegreesArray, lat_gcj02: float | DegreesArray
) -> tuple[FloatArray, FloatArray] | tuple[float, float]:
    """GCJ-02 degrees to WGS-84 degrees, (lon_wgs84, lat_wgs84), by iteration.

    The result maps back onto the input under :func:`wgs84_to_gcj02` within
    :data:`CONVERGENCE_TOL_DEG` on both axes. Points outside :data:`GCJ02_BBOX` are returned
    unchanged.
    """
    return _apply(_wgs84_from_gcj02, lon_gcj02, lat_gcj02)


@overload
def gcj02_to_bd09(lon_gcj02: float, lat_gcj02: float) -> tuple[float, float]: ...
@overload
def gcj02_to_bd09(
    lon_gcj02: DegreesArray, lat_gcj02: DegreesArray
) -> tuple[FloatArray, FloatArray]: ...
def gcj02_to_bd09(
    lon_gcj02: float | DegreesArray, lat_gcj02: float | DegreesArray
) -> tuple[FloatArray, FloatArray] | tuple[float, float]:
    """GCJ-02 degrees to BD-09 degrees, (lon_bd09, lat_bd09); exact (closed formula).

    Points outside :data:`GCJ02_BBOX` are returned unchanged.
    """
    return _apply(_bd09_from_gcj02, lon_gcj02, lat_gcj02)


@overload
def bd09_to_gcj02(lon_bd09: float, lat_bd09: float) -> tuple[float, float]: ...
@overload
def bd09_to_gcj02(
    lon_bd09: DegreesArray, lat_bd09: DegreesArray
) -> tuple[FloatArray, FloatArray]: ...
def bd09_to_gcj02(
    lon_bd09: float | DegreesArray, lat_bd09: float | DegreesArray
) -> tuple[FloatArray, FloatArray] | tuple[float, float]:
    """BD-09 degrees to GCJ-02 degrees, (lon_gcj02, lat_gcj02), by iteration.

    Starts from the published closed-form approximation (off by up to 0.22 m) and iterates
    until :func:`gcj02_to_bd09` of the result is within :data:`CONVERGENCE_TOL_DEG` of the
    input. Points outside :data:`GCJ02_BBOX` are returned unchanged.
    """
    return _apply(_gcj02_from_bd09, lon_bd09, lat_bd09)


@overload
def wgs84_to_bd09(lon_wgs84: float, lat_wgs84: float) -> tuple[float, float]: ...
@overload
def wgs84_to_bd09(
    lon_wgs84: DegreesArray, lat_wgs84: DegreesArray
) -> tuple[FloatArray, FloatArray]: ...
def wgs84_to_bd09(
    lon_wgs84: float | DegreesArray, lat_wgs84: float | DegreesArray
) -> tuple[FloatArray, FloatArray] | tuple[float, float]:
    """WGS-84 degrees to BD-09 degrees, (lon_bd09, lat_bd09), through GCJ-02.

    Points outside :data:`GCJ02_BBOX` (tested on the WGS-84 input) are returned unchanged.
    """
    return _apply(_bd09_from_wgs84, lon_wgs84, lat_wgs84)


@overload
def bd09_to_wgs84(lon_bd09: float, lat_bd09: float) -> tuple[float, float]: ...
@overload
def bd09_to_wgs84(
    lon_bd09: DegreesArray, lat_bd09: DegreesArray
) -> tuple[FloatArray, FloatArray]: ...
def bd09_to_wgs84(
    lon_bd09: float | DegreesArray, lat_bd09: float | DegreesArray
) -> tuple[FloatArray, FloatArray] | tuple[float, float]:
    """BD-09 degrees to WGS-84 degrees, (lon_wgs84, lat_wgs84), through GCJ-02, by iteration.

    Points outside :data:`GCJ02_BBOX` (tested on the BD-09 input) are returned unchanged.
    """
    return _apply(_wgs84_from_bd09, lon_bd09, lat_bd09)


_TO_WGS84: Final[dict[Crs, _Kernel]] = {
    Crs.WGS84: _identity,
    Crs.CGCS2000: _identity,
    Crs.GCJ02: _wgs84_from_gcj02,
    Crs.BD09: _wgs84_from_bd09,
}
_FROM_WGS84: Final[dict[Crs, _Kernel]] = {
    Crs.WGS84: _identity,
    Crs.CGCS2000: _identity,
    Crs.GCJ02: _gcj02_from_wgs84,
    Crs.BD09: _bd09_from_wgs84,
}


@overload
def to_wgs84(lon: float, lat: float, crs: Crs) -> tuple[float, float]: ...
@overload
def to_wgs84(lon: DegreesArray, lat: DegreesArray, crs: Crs) -> tuple[FloatArray, FloatArray]: ...
def to_wgs84(
    lon: float | DegreesArray, lat: float | DegreesArray, crs: Crs
) -> tuple[FloatArray, FloatArray] | tuple[float, float]:
    """Degrees in ``crs`` to WGS-84 degrees, (lon_wgs84, lat_wgs84).

    The door for everything a client sends. WGS-84 and CGCS2000 input is validated and copied
    unchanged; GCJ-02 and BD-09 are inverted by iteration (see :func:`gcj02_to_wgs84`).
    """
    return _apply(_TO_WGS84[Crs.parse(crs)], lon, lat)


@overload
def from_wgs84(lon_wgs84: float, lat_wgs84: float, crs: Crs) -> tuple[float, float]: ...
@overload
def from_wgs84(
    lon_wgs84: DegreesArray, lat_wgs84: DegreesArray, crs: Crs
) -> tuple[FloatArray, FloatArray]: ...
def from_wgs84(
    lon_wgs84: float | DegreesArray, lat_wgs84: float | DegreesArray, crs: Crs
) -> tuple[FloatArray, FloatArray] | tuple[float, float]:
    """WGS-84 degrees to degrees in ``crs``, (lon, lat), e.g. to draw on an AMap or Baidu map.

    Exact inverse of :func:`to_wgs84` within :data:`CONVERGENCE_TOL_DEG` inside the box.
    """
    return _apply(_FROM_WGS84[Crs.parse(crs)], lon_wgs84, lat_wgs84)
