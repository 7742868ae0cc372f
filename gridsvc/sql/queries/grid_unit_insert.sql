INSERT INTO grid_unit (version_id, code, level, name, parent_code, sector_code, kind,
                       synthetic, area_km2, population, geom)
VALUES %s
