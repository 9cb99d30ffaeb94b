"""Entity, country and topic quality: our pipeline against plain spaCy on a hand-labelled set (issue 4)."""
