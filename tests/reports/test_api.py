"""GET /api/v1/reports/units."""

from __future__ import annotations

from tracker.auth.operations import create_api_token
from tracker.extensions import db


def _get(client, token: str, query: str):  # type: ignore[no-untyped-def]
    return client.get(
        f"/api/v1/reports/units?{query}", headers={"Authorization": f"Bearer {token}"}
    )


def test_units_summary_json(client, data) -> None:
    token = create_api_token(data.office, "test")
    db.session.commit()
    response = _get(client, token, "from=2017-04-01&to=2017-06-30")
    assert response.status_code == 200
    body = response.get_json()
    assert body["period"] == {
        "code": None,
        "from": "2017-04-01",
        "to": "2017-06-30",
        "as_of": "2017-04-10",
    }
    a, b = body["units"]
    assert a == {
        "unit_id": data.a.id,
        "unit_name": "Phòng Nội vụ",
        "assigned": 8,
        "due": 6,
        "not_yet_due": 2,
        "done_on_time": 2,
        "done_late": 1,
        "open_on_time": 1,
        "open_overdue": 2,
        "extended": 1,
        "completion_rate": 50.0,
        "on_time_rate": 33.3,
    }
    assert b["unit_name"] == "Phòng Tài chính - Kế hoạch"
    assert body["total"]["assigned"] == 11 and body["total"]["on_time_rate"] == 37.5
    assert _get(client, token, "period=2017-Q2").get_json()["units"] == body["units"]


def test_bad_input(client, data) -> None:
    token = create_api_token(data.office, "test")
    db.session.commit()
    response = _get(client, token, "from=2017-06-30&to=2017-04-01")
    assert response.status_code == 422
    assert response.is_json and "to" in response.get_json()["errors"]
    response = _get(client, token, "from=2017-04-01")
    assert response.status_code == 422 and "to" in response.get_json()["errors"]
    assert _get(client, token, "from=2017-02-30&to=2017-04-01").status_code == 422
    assert _get(client, token, "period=2017-Q5").status_code == 422
    assert _get(client, token, "period=2017&unit=9999").status_code == 404
    assert _get(client, token, "period=2017&unit=x").status_code == 422
    assert client.get("/api/v1/reports/units?period=2017").status_code == 401
    # A misspelt parameter is refused rather than ignored (here it would have meant the
    # whole year instead of the quarter), as the task API does.
    response = _get(client, token, "period=2017&quarter=2&lang=en")
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["quarter"]
    assert _get(client, token, "period=2017&lang=en").status_code == 200


def test_unit_member_token_sees_its_unit(client, data) -> None:
    token = create_api_token(data.b_user, "test")
    db.session.commit()
    body = _get(client, token, "period=2017-Q2").get_json()
    assert [u["unit_name"] for u in body["units"]] == ["Phòng Tài chính - Kế hoạch"]
    assert _get(client, token, f"period=2017-Q2&unit={data.a.id}").status_code == 404


def test_openapi_describes_the_endpoint(client, data) -> None:
    response = client.get("/api/v1/openapi.json")
    if response.status_code != 200:
        return  # the API document is another issue's; nothing to check without it
    document = response.get_json()
    assert "/api/v1/reports/units" in document["paths"]
    assert "UnitSummaryRow" in document["components"]["schemas"]
