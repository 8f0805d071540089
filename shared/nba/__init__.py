"""NBA domain knowledge: schedules, games and teams (pure, no I/O)."""
