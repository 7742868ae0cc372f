"""gridsvc: the grid hierarchy, event assignment, statistics and maps of grid-based social
governance, over PostGIS. The library never imports a web framework; ``api`` wraps it."""

__version__ = "0.1.0"
