import json
import sys

from bcser_utils import config

try:  # before the command line loads: some modules read $BCSER_MODE as they are imported
    config.check_environment()
except ValueError as err:  # the one line cli.main would print, had it loaded
    print(f"error: {err}", file=sys.stderr)
    if "--json" in sys.argv[1:]:
        print(json.dumps({"error": str(err)}))
    sys.exit(2)

from bcser_utils.app.cli import main  # noqa: E402

sys.exit(main())
