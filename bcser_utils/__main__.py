import sys

from bcser_utils.app.cli import main

sys.exit(main())
