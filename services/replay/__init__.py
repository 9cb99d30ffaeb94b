"""``dateline replay``: re-enrich every retained raw article into a new index generation, then swap the alias."""
