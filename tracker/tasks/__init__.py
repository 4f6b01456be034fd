"""Tasks: the conclusions assigned to units, their progress and history."""
