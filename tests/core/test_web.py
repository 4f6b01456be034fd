"""Headers, error pages and filters shared by every page."""

from __future__ import annotations

from datetime import date

from tracker.core.web import format_number, relative_deadline


def test_security_headers_on_every_response(client, world) -> None:
    for url in ("/login", "/no-such-page", "/static/app.css"):
        headers = client.get(url).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "script-src 'self';" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in headers
    secure = client.get("/login", base_url="https://tracker.vanho.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_inline_script_in_pages(login, world) -> None:
    for url in ("/tasks/mine", f"/tasks/{world.task.id}", "/login"):
        page = login(world.lead_user).get(url).get_data(as_text=True)
        assert "<script>" not in page and "onclick=" not in page


def test_vietnamese_formats(app) -> None:
    with app.test_request_context():
        assert relative_deadline(date(2017, 4, 13), date(2017, 4, 10)) == "còn 3 ngày"
        assert relative_deadline(date(2017, 4, 5), date(2017, 4, 10)) == "quá hạn 5 ngày"
        assert relative_deadline(date(2017, 4, 10), date(2017, 4, 10)) == "hạn hôm nay"
    assert format_number(1234567) == "1.234.567"
    assert format_number(88.78) == "88,8"


def test_method_not_allowed_is_a_page(login, world) -> None:
    response = login(world.lead_user).get("/logout")
    assert response.status_code == 405
    assert "Thao tác không được hỗ trợ" in response.get_data(as_text=True)
