"""``python -m hub_databricks.testing``: serve a fake Databricks workspace."""

from hub_databricks.testing.cli import main

raise SystemExit(main())
