"""``python -m quality.entities`` (``make quality-entities``): the entity-quality report; exit 1 on a missed target."""

from quality.entities.report import main

raise SystemExit(main())
