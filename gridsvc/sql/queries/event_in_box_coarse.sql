-- Fragment of store.filter_where for a caller who sees the %(coarse)s categories at points
-- rounded to 0.01° (store.redact, analysts and sensitive categories): those events are in
-- the box when their rounded point is, so that shrinking a box finds no more than the
-- rounded point shows. The index is searched with the box widened by half a step.
((e.category <> ALL (%(coarse)s::text[])
  AND e.geom && ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326))
 OR (e.category = ANY (%(coarse)s::text[])
     AND e.geom && ST_Expand(ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326), 0.005)
     AND ST_SetSRID(ST_MakePoint(round(ST_X(e.geom) * 100) / 100,
                                 round(ST_Y(e.geom) * 100) / 100), 4326)
         && ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326)))
