"""``python -m hub_core`` is the ``hub`` command."""

from hub_core.cli import main

main()
