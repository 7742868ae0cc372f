"""Features as the OGC API - Features standard serves them (Part 1 Core, Part 2 CRS by
reference): the collections gridsvc offers, their items as GeoJSON features, and the
coordinate systems they can be written in. No HTTP here: ``api/routes/ogc.py`` makes the
links and the documents; a notebook can call these functions directly."""
