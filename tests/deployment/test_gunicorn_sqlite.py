"""SQLite under several gunicorn workers: concurrent writes wait, none fails as "locked"."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import make_app
from tests.factories import build_world, make_task
from tracker import ROOT
from tracker.auth.operations import create_api_token
from tracker.extensions import db
from tracker.tasks.models import TaskEvent

WORKERS = 4
THREADS = 8
POSTS_PER_THREAD = 10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, token: str, body: dict | None = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method="POST" if body is not None else "GET",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_four_workers_post_at_once(tmp_path: Path) -> None:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        pytest.skip("gunicorn is not installed in this environment")
    url = f"sqlite:///{tmp_path}/office.db"
    app = make_app(url, "sqlite", tmp_path / "instance")
    with app.app_context():
        db.create_all()
        world = build_world()
        task_ids = [world.task.id] + [
            make_task(world.meeting, world.office, world.noivu).id for _ in range(THREADS - 1)
        ]
        token = create_api_token(world.lead_user)
        db.session.commit()
        db.engine.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": url,
        "TRACKER_SECRET_KEY": "gunicorn-test",
        "TRACKER_FIXED_NOW": "2017-04-10T09:00:00+07:00",
    }
    server = subprocess.Popen(
        [
            str(gunicorn),
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/api/v1/tasks"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        answers: list[int] = []

        def worker(task_id: int) -> None:
            for n in range(POSTS_PER_THREAD):
                status, task = _request(f"{base}/{task_id}", token)
                status, _ = _request(
                    f"{base}/{task_id}/updates",
                    token,
                    {"note": f"Báo cáo lần {n}", "progress": n * 10, "version": task["version"]},
                )
                answers.append(status)

        threads = [threading.Thread(target=worker, args=(task_id,)) for task_id in task_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    assert answers.count(200) == THREADS * POSTS_PER_THREAD, (answers, output[-2000:])
    assert "database is locked" not in output
    with app.app_context():
        reports = db.session.scalar(
            sa.select(sa.func.count()).select_from(TaskEvent).where(TaskEvent.kind == "progress")
        )
        db.engine.dispose()
    assert reports == THREADS * POSTS_PER_THREAD
