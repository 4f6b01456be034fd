"""Meetings and their conclusion notices."""
