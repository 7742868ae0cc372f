INSERT INTO department (code, name_zh, name_en, categories, active)
VALUES (%(code)s, %(name_zh)s, %(name_en)s, %(categories)s, true)
ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
    categories = excluded.categories, active = true
