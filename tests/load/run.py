"""Load test runner: a fresh PostgreSQL database with a synthetic province, gunicorn on
loopback, locust for a bounded time; prints requests/s, percentiles and failures, then stops
gunicorn and drops the database.

    .venv/bin/python tests/load/run.py                      # 50 unit users + 2 chairs, 60 s
    .venv/bin/python tests/load/run.py --seconds 120 --json result.json

Only loopback is ever a target. See docs/load-test.md.
"""

# Standard library only at the top: the locust half of this file (`_drive`, run in a child
# process) imports locust first, which monkey-patches the standard library with gevent.
from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
# The login limit per address (30 per 5 minutes) would lock out the 30th of 52 people logging
# in from the one loopback address; the load run raises it (per-account limits stay).
LOGIN_LIMIT_ADDRESS = "10000 per minute"
PROGRESS_NOTE = "Kiểm thử tải:"  # the locustfile's progress notes start with this


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=os.environ.get("TRACKER_LOAD_SERVER", DEFAULT_SERVER))
    parser.add_argument("--database", help="name of the database to create (default: generated)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--units-users", type=int, default=50, help="unit members logged in")
    parser.add_argument("--chairs", type=int, default=2, help="chairs logged in (at most 3)")
    parser.add_argument("--seconds", type=float, default=60, help="measured window")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
    parser.add_argument(
        "--warmup", type=float, default=10, help="seconds after the last login, not measured"
    )
    parser.add_argument("--wait", default="1,3", help="seconds between a user's actions: min,max")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--units", type=int, default=80)
    parser.add_argument("--users", type=int, default=200, help="users in the province")
    parser.add_argument("--year", default="2025", help="the year the dashboard shows")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the whole load test; 0 when it ran without a failed request, 1 otherwise."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_drive"]:
        return _drive(argv[1:])
    args = _parser().parse_args(argv)
    if args.chairs > 3 or args.units_users > args.users - 9:
        sys.exit("the synthetic province has 3 chairs and (users - 9) unit members")
    name = args.database or f"tracker_load_{secrets.token_hex(4)}"
    url = f"{args.server.rstrip('/')}/{name}"
    server = None
    with tempfile.TemporaryDirectory(prefix="tracker-load-") as tmp:
        _create_database(args.server, name)
        try:
            started = time.perf_counter()
            _migrate(url)
            counts = _seed(url, args, Path(tmp))
            print(f"database {name}: {counts} in {time.perf_counter() - started:.1f} s")
            port = _free_port()
            server = _start_gunicorn(url, port, args.workers, Path(tmp))
            result = _run_locust(f"http://127.0.0.1:{port}", args, Path(tmp))
            result["progress_events_written"] = _progress_events(url)
            result["conditions"] = {
                "tasks": args.tasks,
                "units": args.units,
                "users_in_database": args.users,
                "gunicorn_workers": args.workers,
                "database": "postgresql",
                "cpu_count": os.cpu_count(),
                "load_average_after": os.getloadavg(),
                "wait": args.wait,
                "spawn_rate": args.spawn_rate,
                "warmup": args.warmup,
            }
        finally:
            if server is not None:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
            if not args.keep:
                _drop_database(args.server, name)
    _print(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if result["failures"] == 0 else 1


def _admin_engine(server: str) -> Any:
    import sqlalchemy as sa

    return sa.create_engine(f"{server.rstrip('/')}/postgres", isolation_level="AUTOCOMMIT")


def _create_database(server: str, name: str) -> None:
    import sqlalchemy as sa

    engine = _admin_engine(server)
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def _drop_database(server: str, name: str) -> None:
    import sqlalchemy as sa

    engine = _admin_engine(server)
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(TRACKER_DATABASE_URL=url, TRACKER_SECRET_KEY=secrets.token_hex(32), **extra)
    return env


def _migrate(url: str) -> None:
    tracker = Path(sys.executable).with_name("tracker")
    subprocess.run(
        [str(tracker), "db", "upgrade"],
        cwd=ROOT,
        env=_env(url),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _seed(url: str, args: argparse.Namespace, tmp: Path) -> dict[str, int]:
    """The synthetic province of `tracker bench`, in the migrated schema."""
    import sqlalchemy as sa

    from tracker import create_app
    from tracker.extensions import db
    from tracker.performance.synthetic import build_province

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp), "SECRET_KEY": "seed"}
    )
    with app.app_context():
        counts = build_province(args.tasks, args.units, args.users)
        with db.engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
        db.engine.dispose()
    return counts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_gunicorn(url: str, port: int, workers: int, tmp: Path) -> subprocess.Popen[bytes]:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = _env(
        url,
        TRACKER_ENV="production",
        TRACKER_LOGIN_LIMIT_ADDRESS=LOGIN_LIMIT_ADDRESS,
        TRACKER_UPLOAD_DIR=str(tmp / "uploads"),
        TRACKER_BASE_URL=f"http://127.0.0.1:{port}",
    )
    log = (tmp / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [str(gunicorn), "-w", str(workers), "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError((tmp / "gunicorn.log").read_text()[-3000:])
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2)
            return server
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def _run_locust(host: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    out = tmp / "locust.json"
    env = {
        **os.environ,
        "LOAD_PASSWORD": _password(),
        "LOAD_CHAIRS": str(args.chairs),
        "LOAD_YEAR": args.year,
        "LOAD_WAIT": args.wait,
    }
    command = [sys.executable, __file__, "_drive", host, str(args.units_users + args.chairs)]
    command += [str(args.spawn_rate), str(args.warmup), str(args.seconds), str(out)]
    subprocess.run(command, env=env, check=True, cwd=ROOT)
    return json.loads(out.read_text())


def _password() -> str:
    from tracker.performance.synthetic import BENCH_PASSWORD

    return BENCH_PASSWORD


def _progress_events(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(
            sa.text("SELECT count(*) FROM task_events WHERE kind = 'progress' AND note LIKE :p"),
            {"p": PROGRESS_NOTE + "%"},
        ).scalar_one()
    engine.dispose()
    return int(count)


def _drive(argv: list[str]) -> int:
    """The locust half, in its own process: start every user, wait until all have logged in,
    reset the figures, measure for the window, stop (letting requests in flight finish)."""
    import gevent
    from locust.env import Environment

    host, users, spawn_rate, warmup, seconds, out = argv
    sys.path.insert(0, str(HERE))
    import locustfile

    env = Environment(
        user_classes=[locustfile.UnitUser, locustfile.ChairUser], host=host, stop_timeout=30
    )
    runner = env.create_local_runner()
    started = time.perf_counter()
    runner.start(int(users), float(spawn_rate))
    limit = started + 60 + int(users) / float(spawn_rate) * 5
    while locustfile.ready_users < int(users) and time.perf_counter() < limit:
        gevent.sleep(0.1)
    ready_s = time.perf_counter() - started
    # Each worker compiles its templates on first use, and 52 people who all logged in at once
    # click in step for a while: both are a start-up effect, not the steady load.
    gevent.sleep(float(warmup))
    ramp = {**_figures(env, time.perf_counter() - started), "ready_s": round(ready_s, 1)}
    env.stats.reset_all()
    window_start = time.perf_counter()
    timings: list[tuple[float, float]] = []

    def record(response_time: float, **_: Any) -> None:
        timings.append((time.perf_counter() - window_start, response_time))

    env.events.request.add_listener(record)
    gevent.sleep(float(seconds))
    runner.stop()
    window = time.perf_counter() - window_start
    measured = _figures(env, window)
    runner.quit()
    exceptions = [f"{e['count']}× {e['msg']}" for e in runner.exceptions.values()]
    exception_count = sum(e["count"] for e in runner.exceptions.values())
    result = {
        **measured,
        "users_ready": locustfile.ready_users,
        "users": int(users),
        "ramp": ramp,
        "task_exceptions": exceptions,
        "failures": measured["failures"] + ramp["failures"] + exception_count,
        "endpoints_exercised": sorted(set(measured["endpoints"]) | set(ramp["endpoints"])),
        "endpoints_expected": sorted(locustfile.ENDPOINTS),
        "slices": _slices(timings, float(seconds)),
    }
    Path(out).write_text(json.dumps(result))
    return 0


def _slices(timings: list[tuple[float, float]], seconds: float) -> list[dict[str, Any]]:
    """Requests and p95 per 10 s of the window: a slow start or a stall shows where it is."""
    slices = []
    for start in range(0, max(1, int(seconds + 9.99)), 10):
        times = sorted(ms for at, ms in timings if start <= at < start + 10)
        if times:
            p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
            slices.append({"from_s": start, "requests": len(times), "p95_ms": round(p95)})
    return slices


def _figures(env: Any, seconds: float) -> dict[str, Any]:
    def entry(stats: Any) -> dict[str, Any]:
        return {
            "requests": stats.num_requests,
            "failures": stats.num_failures,
            "rps": round(stats.num_requests / seconds, 2) if seconds else 0,
            "p50_ms": stats.get_response_time_percentile(0.5),
            "p95_ms": stats.get_response_time_percentile(0.95),
            "p99_ms": stats.get_response_time_percentile(0.99),
            "max_ms": round(stats.max_response_time or 0),
        }

    return {
        "seconds": round(seconds, 1),
        **entry(env.stats.total),
        "endpoints": {
            f"{name}": {"method": method, **entry(stats)}
            for (name, method), stats in sorted(env.stats.entries.items())
            if stats.num_requests
        },
        "errors": [
            f"{e.occurrences}× {e.method} {e.name}: {e.error}" for e in env.stats.errors.values()
        ],
    }


def _print(result: dict[str, Any]) -> None:
    conditions = result["conditions"]
    print(
        f"\n{result['users']} users ({result['users_ready']} ready), "
        f"gunicorn -w {conditions['gunicorn_workers']}, PostgreSQL, "
        f"{conditions['tasks']:,} tasks; measured window {result['seconds']} s, "
        f"from {conditions['warmup']} s after the last login"
    )
    header = f"{'endpoint':<20}{'method':<8}{'reqs':>7}{'fails':>7}{'req/s':>8}"
    header += f"{'p50':>7}{'p95':>7}{'p99':>7}{'max':>7}"
    print(header)
    rows = [*result["endpoints"].items(), ("TOTAL", {"method": "", **result})]
    for name, e in rows:
        print(
            f"{name:<20}{e['method']:<8}{e['requests']:>7}{e['failures']:>7}{e['rps']:>8}"
            f"{e['p50_ms']:>7}{e['p95_ms']:>7}{e['p99_ms']:>7}{e['max_ms']:>7}"
        )
    login = result["ramp"]["endpoints"].get("login")
    if login:
        print(
            f"login phase ({result['ramp']['ready_s']} s, then {conditions['warmup']} s warm-up;"
            " not in the figures above): "
            f"{login['requests']} login requests, p50 {login['p50_ms']} ms, "
            f"p95 {login['p95_ms']} ms, {result['ramp']['failures']} failures"
        )
    print(
        f"failures: {result['failures']} (window {result['failures'] - result['ramp']['failures']}"
        f", login phase {result['ramp']['failures']}); "
        f"progress reports written: {result['progress_events_written']}"
    )
    print(
        "p95 per 10 s: "
        + ", ".join(f"{s['from_s']}s: {s['p95_ms']} ({s['requests']})" for s in result["slices"])
    )
    for line in result["errors"] + result["ramp"]["errors"] + result["task_exceptions"]:
        print("  " + line)


if __name__ == "__main__":
    sys.exit(main())
