"""Keeping the data safe: backups and restores."""
