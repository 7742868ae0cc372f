UPDATE department SET active = false WHERE NOT (code = ANY(%(codes)s))
