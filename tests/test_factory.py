from plugin import create_app


def test_app_builds_with_no_configuration_at_all(tmp_path, monkeypatch):
    monkeypatch.setenv("XERO_PANEL_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app()
    assert not app.testing
    assert app.config["CACHE_TTL"] == 60
    assert app.instance_path == str(tmp_path / "instance")
    assert (tmp_path / "instance" / "panel.sqlite").exists()


def test_environment_overrides_defaults_and_mapping_overrides_environment(monkeypatch):
    monkeypatch.setenv("XERO_PANEL_CACHE_TTL", "30")
    assert create_app({"TESTING": True}).config["CACHE_TTL"] == 30
    assert create_app({"TESTING": True, "CACHE_TTL": 5}).config["CACHE_TTL"] == 5


def test_health_endpoint_answers(client):
    assert client.get("/healthz").json == {"status": "ok"}
