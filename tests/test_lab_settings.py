"""The JupyterLab settings the course ships (tools/jupyter/overrides.json), checked against the schemas
of the installed JupyterLab, and their installation into an environment (tools/install_lab_settings.py)."""

import json
import sys
from pathlib import Path

import install_lab_settings  # noqa: E402  (tools/ is on sys.path: tests/conftest.py)

SCHEMAS = Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"


def _allowed(schema, value):
    if "oneOf" in schema:
        return any(value == option.get("const") for option in schema["oneOf"])
    kinds = {"boolean": bool, "string": str, "number": (int, float), "integer": int, "array": list, "object": dict}
    return isinstance(value, kinds[schema["type"]])


def test_every_shipped_setting_exists_in_the_installed_jupyterlab_with_an_allowed_value():
    ours = json.loads(install_lab_settings.OURS.read_text())
    assert ours, "tools/jupyter/overrides.json is empty"
    for plugin, values in ours.items():
        package, _, name = plugin.partition(":")
        schema_file = SCHEMAS / package / f"{name}.json"
        assert schema_file.is_file(), f"{plugin}: no such settings schema in this JupyterLab ({schema_file})"
        properties = json.loads(schema_file.read_text())["properties"]
        for key, value in values.items():
            assert key in properties, f"{plugin}: JupyterLab has no setting {key!r} (it has {sorted(properties)})"
            assert _allowed(properties[key], value), f"{plugin}: {key}={value!r} is not a value the schema allows"


def test_news_popup_and_update_check_are_off():
    notification = json.loads(install_lab_settings.OURS.read_text())["@jupyterlab/apputils-extension:notification"]
    assert notification == {"fetchNews": "false", "checkForUpdates": False}, notification


def test_install_merges_into_existing_overrides(tmp_path):
    target = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
                                  "@jupyterlab/apputils-extension:notification": {"doNotDisturbMode": True,
                                                                                   "fetchNews": "true"}}))
    assert install_lab_settings.install(tmp_path) == target
    merged = json.loads(target.read_text())
    assert merged["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}, "another setting was lost"
    assert merged["@jupyterlab/apputils-extension:notification"] == {
        "doNotDisturbMode": True, "fetchNews": "false", "checkForUpdates": False}, merged


def test_install_into_a_fresh_environment_and_over_a_broken_file(tmp_path):
    target = install_lab_settings.install(tmp_path / "venv")
    assert json.loads(target.read_text()) == json.loads(install_lab_settings.OURS.read_text())
    target.write_text("{not json")
    install_lab_settings.install(tmp_path / "venv")
    assert json.loads(target.read_text()) == json.loads(install_lab_settings.OURS.read_text())
