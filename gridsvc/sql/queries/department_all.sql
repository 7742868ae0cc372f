SELECT code, name_zh, name_en, categories FROM department WHERE active ORDER BY code
