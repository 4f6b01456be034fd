"""Business rules of reminders: the rules themselves, planning in SQL, preferences."""
