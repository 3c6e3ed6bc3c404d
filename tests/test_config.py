from __future__ import annotations

import stat
from pathlib import Path

from plugin.config import load_config


def test_defaults_put_sqlite_and_a_generated_secret_in_the_instance_folder(tmp_path: Path) -> None:
    instance = tmp_path / "inst"
    config = load_config(env={"SAMATTHA_INSTANCE_PATH": str(instance)})
    assert instance.is_dir()
    assert config.database_url == f"sqlite:///{instance / 'samattha.db'}"
    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == config.secret_key
    assert len(config.secret_key) >= 48
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert config.base_url == "http://127.0.0.1:8000" and config.base_url_is_default


def test_generated_secret_is_stable_across_restarts_and_differs_between_instances(tmp_path: Path) -> None:
    first = load_config(env={"SAMATTHA_INSTANCE_PATH": str(tmp_path / "a")})
    again = load_config(env={"SAMATTHA_INSTANCE_PATH": str(tmp_path / "a")})
    other = load_config(env={"SAMATTHA_INSTANCE_PATH": str(tmp_path / "b")})
    assert first.secret_key == again.secret_key
    assert first.secret_key != other.secret_key


def test_environment_variables_win(tmp_path: Path) -> None:
    config = load_config(env={
        "SAMATTHA_INSTANCE_PATH": str(tmp_path),
        "SAMATTHA_DATABASE_URL": "postgresql+psycopg://u@db/samattha",
        "SAMATTHA_SECRET_KEY": "from-the-environment",
        "SAMATTHA_BASE_URL": "https://tool.example.ac.th/",
    })
    assert config.database_url == "postgresql+psycopg://u@db/samattha"
    assert config.secret_key == "from-the-environment"
    assert config.base_url == "https://tool.example.ac.th" and not config.base_url_is_default
    assert not (tmp_path / "secret_key").exists()
