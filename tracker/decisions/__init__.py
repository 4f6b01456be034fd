"""What waits for the chair and the office: results to confirm, extensions to decide."""
