"""The configuration file: the shipped default loads; mistakes name the key and what is wrong."""

import pytest

from app.config import DEFAULT_CONFIG, load_config
from newsmon.errors import ConfigError

DEFAULT_TEXT = DEFAULT_CONFIG.read_text(encoding="utf-8")


def write(tmp_path, text):
    path = tmp_path / "newsmon.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_configuration_has_the_watchlist_ids():
    config = load_config(DEFAULT_CONFIG)
    assert set(config.watchlist.companies) == {"kt", "skt", "lguplus", "microsoft", "naver", "kakao",
                                               "samsung_electronics"}
    assert set(config.watchlist.topics) == {"llm", "ms_dependence", "layoffs"}
    assert [s.name for s in config.sources] == ["seeds"]


def test_relative_sqlite_path_is_resolved_against_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSMON_DATABASE_URL", raising=False)
    config = load_config(write(tmp_path, DEFAULT_TEXT))
    assert config.database_url() == f"sqlite:///{tmp_path / 'var' / 'newsmon.db'}"
    monkeypatch.setenv("NEWSMON_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert config.database_url() == "postgresql+psycopg://u@h/db"


def test_config_env_picks_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSMON_CONFIG", str(write(tmp_path, DEFAULT_TEXT.replace('name = "seeds"', 'name = "mine"'))))
    assert load_config().sources[0].name == "mine"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('kind = "text"', 'kind = "txt"'), "sources[0].kind"),
        (('path = "seeds"', 'pth = "seeds"'), "sources[0].pth: unknown key"),
        (('path = "seeds"', ""), "needs `path`"),
        (('ingest_every_minutes = 15', 'ingest_every_minutes = -1'), "schedule.ingest_every_minutes"),
        (('timezone = "Asia/Seoul"\ningest', 'timezone = "Asia/Busan"\ningest'), "unknown time zone 'Asia/Busan'"),
        (('topics = ["llm", "ms_dependence", "layoffs"]', 'topics = ["llm", "crypto"]'), "unknown topic id(s) ['crypto']"),
        (('[storage]', '[storag]'), "storag: unknown key"),
        (('# [dedupe]\n# similar = 0.5', '[dedupe]\nsimlar = 0.5'), "dedupe.simlar: unknown key"),
        (('# [dedupe]\n# similar = 0.5', '[dedupe]\nsimilar = "high"'), "dedupe.similar: Input should be a valid number"),
    ],
)
def test_mistakes_name_the_key(tmp_path, change, message):
    old, new = change
    assert old in DEFAULT_TEXT
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, DEFAULT_TEXT.replace(old, new, 1)))
    assert message in str(err.value)
    assert str(tmp_path / "newsmon.toml") in str(err.value)


def test_channel_takes_an_env_reference_not_a_url(tmp_path):
    text = DEFAULT_TEXT.replace('when = "after_ingest"', 'when = "after_ingest"\nchannels = [{ url = "slack://secret" }]')
    with pytest.raises(ConfigError, match=r"subscriptions\[0\]\.channels\[0\]\.url: unknown key"):
        load_config(write(tmp_path, text))


def test_broken_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[storage\n"))
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.toml")


def test_dedupe_thresholds_are_read_from_the_file_and_reach_the_ingest_context(tmp_path, monkeypatch):
    from flows import resources

    monkeypatch.setenv("NEWSMON_DATABASE_URL", f"sqlite:///{tmp_path / 'dedupe.db'}")
    text = DEFAULT_TEXT.replace("# [dedupe]\n# similar = 0.5\n# story_window_hours = 36.0",
                                "[dedupe]\nsimilar = 0.7\nstory_window_hours = 12")
    config = load_config(write(tmp_path, text))
    assert config.dedupe.similar == 0.7 and config.dedupe.story_window_hours == 12.0
    assert config.dedupe.contained == load_config(DEFAULT_CONFIG).dedupe.contained  # the rest keep their defaults
    context = resources.ingest_context(config)
    assert context.settings is config.dedupe and context.index.settings.similar == 0.7
    context.db.dispose()
