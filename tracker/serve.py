"""`make run`: the web server and, beside it, the reminder scheduler; Ctrl-C stops both."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

from werkzeug.serving import run_simple


def main() -> None:
    """Serve the app on 127.0.0.1:5000 and run `tracker scheduler` as a second process."""
    from tracker import create_app
    from tracker.cli import main as cli

    scheduler: subprocess.Popen[bytes] | None = None
    tracker_bin = shutil.which("tracker") or os.path.join(
        os.path.dirname(sys.executable), "tracker"
    )
    if "scheduler" in cli.commands and os.path.exists(tracker_bin):
        scheduler = subprocess.Popen([tracker_bin, "scheduler"])
    app = create_app()
    try:
        run_simple(
            os.environ.get("TRACKER_HOST", "127.0.0.1"),
            int(os.environ.get("TRACKER_PORT", "5000")),
            app,
            threaded=True,
            use_reloader=False,
        )
    finally:
        if scheduler is not None and scheduler.poll() is None:
            scheduler.send_signal(signal.SIGINT)
            try:
                scheduler.wait(timeout=10)
            except subprocess.TimeoutExpired:
                scheduler.kill()


if __name__ == "__main__":
    main()
