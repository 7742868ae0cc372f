INSERT INTO calendar_day (day, working, note) VALUES (%(day)s, %(working)s, %(note)s)
ON CONFLICT (day) DO UPDATE SET working = excluded.working, note = excluded.note
