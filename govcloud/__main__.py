"""`python -m govcloud`: the same command line as `govcloud`."""
from __future__ import annotations

from govcloud.cli import main

if __name__ == "__main__":
    main()
