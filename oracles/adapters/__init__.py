"""One module per message source; each class implements ``oracles.base.Adapter``."""
