"""`python -m localcloud`: run the local cloud until SIGTERM or SIGINT; `python -m localcloud
scenario on|off|list …` switches failure scenarios of a running one (`scenarios.py`)."""

import sys

if sys.argv[1:2] == ["scenario"]:
    from .scenarios import main

    sys.exit(main(sys.argv[2:]))

from .server import main

sys.exit(main())
