"""Daily operation: the daily run and its lock, the scheduler, status and the press review."""
