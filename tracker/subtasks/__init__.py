"""Hand-down (giao việc cho cá nhân): a unit's head breaks a received task into sub-tasks."""
