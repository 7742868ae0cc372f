-- Fragment of store.filter_where: the events (alias e) whose point lies in a WGS-84 box.
e.geom && ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326)
