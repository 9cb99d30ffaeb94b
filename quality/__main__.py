"""``python -m quality`` (``make quality``): the extraction-quality report; exit status 1 when a target is missed."""

from quality.report import main

raise SystemExit(main())
