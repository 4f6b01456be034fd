"""The working-day calendar as the admin adjusts it (swapped Saturdays, bridge days off)."""
