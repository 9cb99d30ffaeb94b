"""The dead-letter queue's operations: ``dateline dlq replay``."""
