"""`python -m localcloud`: run the local cloud until SIGTERM or SIGINT."""

import sys

from .server import main

sys.exit(main())
