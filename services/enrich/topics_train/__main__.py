"""``python -m services.enrich.topics_train`` (``make topics-train``): fits the Media Topic classifier, writes it."""

from services.enrich.topics_train.train import main

raise SystemExit(main())
