"""``portledger demo`` (``command``) and the import scenario it plays (``scenario``), with its template bill.

Both are HTTP clients of the running stack: the scenario is one API call per step, as any client
would make it; the rules it shows are the contracts'.
"""
