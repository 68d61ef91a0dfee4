"""`python -m comms`: the command line (comms/cli/)."""

import sys

from comms.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
