-- The stored categories' sensitive flags (gridsvc.events.taxonomy_db.store_taxonomy compares
-- them with an incoming taxonomy's).
SELECT code, sensitive FROM category
