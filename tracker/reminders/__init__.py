"""Reminders: planning, delivery by e-mail and webhook, in-app notifications, the scheduler."""
