"""Cron schedules are checked when the configuration loads, naming the key and the field, and newsmon never accepts
a cron string that Prefect's scheduler would refuse later."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import DEFAULT_CONFIG, load_config
from newsmon.cron import check_cron
from newsmon.errors import ConfigError

VALID = ["0 8 * * *", "*/15 * * * *", "0 8 * * mon-fri", "0 8 1,15 * *", "@daily", "@hourly", "0 8 * * 7",
         "0 8 L * *", "0 8 * * 5#2", "0 8 * JAN *", "0 8-20/2 * * *", "0 20-8 * * *", "0 8 ? * *", "1/5 * * * *",
         "0 0 1 1 */2", "0 0 * * 1-7", "0 08 * * *", "@weekly"]
INVALID = {"0 25 * * *": "hour '25'", "60 * * * *": "minute '60'", "0 8 0 * *": "day of month '0'",
           "0 8 * 13 *": "month '13'", "0 8 * * 8": "day of week '8'", "*/0 * * * *": "step",
           "0 8 * *": "4 field(s)", "x": "1 field(s)", "0 8 * * 5#9": "weekday#week", "@reboot": "1 field(s)",
           "0 8 * * * *": "6 field(s)", "0-61 * * * *": "minute '0-61'"}


@pytest.mark.parametrize("cron", VALID)
def test_a_valid_cron_passes(cron: str) -> None:
    assert check_cron(cron) == cron


@pytest.mark.parametrize(("cron", "named"), INVALID.items())
def test_an_invalid_cron_names_the_field(cron: str, named: str) -> None:
    with pytest.raises(ValueError, match="is not a cron schedule") as caught:
        check_cron(cron)
    assert named in str(caught.value)


def test_what_newsmon_accepts_prefect_accepts() -> None:
    import flows  # noqa: F401  (Prefect's settings before Prefect is imported)
    from prefect._internal.schemas.validators import validate_cron_string

    for cron in VALID:
        assert validate_cron_string(cron) == cron
    # The out-of-range ones Prefect refuses too, only later: when `serve` builds its schedules.
    for cron in ("0 25 * * *", "60 * * * *", "0 8 * 13 *", "0 8 * * 8", "*/0 * * * *"):
        with pytest.raises(ValueError):
            validate_cron_string(cron)


@pytest.mark.parametrize("key", ["daily_digest_cron", "hourly_digest_cron", "weekly_digest_cron"])
def test_the_configuration_refuses_an_invalid_cron_by_key(tmp_path: Path, key: str) -> None:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    start = text.index(f"{key} = ")
    end = text.index("\n", start)
    path = tmp_path / "newsmon.toml"
    path.write_text(text[:start] + f'{key} = "0 25 * * *"' + text[end:], encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"schedule.{key}: '0 25 * * *' is not a cron schedule: hour '25' is out of range (allowed: 0-23)" \
        in str(caught.value)
