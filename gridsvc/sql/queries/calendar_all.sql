SELECT day, working FROM calendar_day
