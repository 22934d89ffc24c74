"""``python -m skii_glass`` runs the ``skii-glass`` command line."""

from .cli import main

raise SystemExit(main())
