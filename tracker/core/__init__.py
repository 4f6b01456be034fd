"""Shared building blocks: database base, time, working-day calendar, text, permissions."""
