"""The load test itself, run small: 5 users for 12 s against gunicorn and PostgreSQL."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_URL

RUNNER = Path(__file__).with_name("run.py")


@pytest.mark.postgres
@pytest.mark.slow
def test_a_short_load_run_has_no_failure(tmp_path: Path) -> None:
    if not PG_URL:
        pytest.skip("the load test needs PostgreSQL: set TRACKER_TEST_DATABASE_URL")
    if importlib.util.find_spec("locust") is None:
        pytest.skip("locust is not installed (pip install -e '.[test]')")
    server = PG_URL.rsplit("/", 1)[0]
    out = tmp_path / "result.json"
    run = subprocess.run(
        [
            sys.executable,
            str(RUNNER),
            "--server",
            server,
            "--units-users",
            "4",
            "--chairs",
            "1",
            "--seconds",
            "12",
            "--warmup",
            "0",
            # Short pauses so that 5 people try every action within the window.
            "--wait",
            "0.1,0.4",
            "--workers",
            "2",
            "--tasks",
            "2000",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        # Generous: the run itself is short; a loaded CI machine starts locust slowly.
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["failures"] == 0, result["errors"] + result["ramp"]["errors"]
    assert result["users_ready"] == 5
    # The mix's own list (locustfile.ENDPOINTS), read in the runner's locust process: the
    # test cannot import locust, which monkey-patches the standard library with gevent.
    assert result["endpoints_expected"]
    assert result["endpoints_exercised"] == result["endpoints_expected"]
    assert result["requests"] > 50
    # Each progress report locust saw succeed is a history entry in the database.
    posted = result["endpoints"].get("progress_post", {}).get("requests", 0)
    posted += result["ramp"]["endpoints"].get("progress_post", {}).get("requests", 0)
    assert result["progress_events_written"] == posted > 0
