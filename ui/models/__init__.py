"""Qt item models over the core's objects (records, checklist items, timeline events)."""
