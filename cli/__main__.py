"""``python -m cli``: the ``portledger`` command without the installed script."""

from cli.main import app

app()
