import json
import signal
import sys

INTERRUPTED = "interrupted before the command started; nothing was done"

try:
    from bcser_utils import config

    try:  # before the command line loads: some modules read $BCSER_MODE as they are imported
        config.check_environment()
    except ValueError as err:  # the one line cli.main would print, had it loaded
        print(f"error: {err}", file=sys.stderr)
        if "--json" in sys.argv[1:]:
            print(json.dumps({"error": str(err)}))
        sys.exit(2)

    from bcser_utils.app.cli import main

    code = main()
except KeyboardInterrupt:  # Ctrl-C while the command line loads (main handles its own)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C cannot break the exit
    print(f"error: {INTERRUPTED}", file=sys.stderr)
    if "--json" in sys.argv[1:]:
        print(json.dumps({"error": INTERRUPTED}))
    code = 130
sys.exit(code)
