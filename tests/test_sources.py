"""Loading and validating sources.toml."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.sources import DEFAULT_SOURCES, SourcesError, load_config
from pipeline import cli

GOOD = """
[crawl]
user_agent = "veille-test/1 (+mailto:test@example.org)"

[[sources]]
name = "Exemple"
region = "Bretagne"
homepage = "https://exemple.test/"
feeds = ["https://exemple.test/rss.xml"]
allow = ['/\\d{4}/']
selectors = { title = "h1.titre" }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_sources_load():
    config = load_config()
    assert config.path == DEFAULT_SOURCES
    assert len(config.sources) >= 10
    assert all(s.feeds or s.sitemaps or s.listings for s in config.sources)
    assert "mailto:" in config.crawl.user_agent


def test_good_file(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    (source,) = config.sources
    assert source.name == "Exemple"
    assert source.host == "exemple.test"
    assert source.allow == ("/\\d{4}/",)
    assert source.selectors.title == "h1.titre"
    assert config.crawl.user_agent.startswith("veille-test/1")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[[sources]]\nname = 'A'\n", "key 'homepage': missing"),
        ("[[sources]]\nname = 'A'\nhomepage = 'https://a.test/'\n", "at least one of"),
        (
            "[[sources]]\nname = 'A'\nhomepage = 'ftp://a.test/'\nfeeds = ['https://a.test/f']\n",
            "key 'homepage'",
        ),
        (
            "[[sources]]\nname = 'A'\nhomepage = 'https://a.test/'\nfeeds = ['https://a.test/f']\n"
            "colour = 'red'\n",
            "unknown key(s) 'colour'",
        ),
        (
            "[[sources]]\nname = 'A'\nhomepage = 'https://a.test/'\nfeeds = ['https://a.test/f']\n"
            "allow = ['(']\n",
            "key 'allow': bad regex",
        ),
        (
            "[[sources]]\nname = 'A'\nhomepage = 'https://a.test/'\nfeeds = 'https://a.test/f'\n"
            "[[sources]]\nname = 'A'\nhomepage = 'https://a.test/'\nfeeds = ['https://a.test/f']\n",
            "key 'name': used twice",
        ),
        ("[crawl]\nuser_agent = 'bot'\n", "must give a contact"),
        ("[[sources]\nname = 'A'\n", "not valid TOML"),
    ],
)
def test_malformed_files_name_the_problem(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(SourcesError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message


def test_source_named_in_error(tmp_path):
    text = GOOD + "\n[[sources]]\nname = 'Deuxième'\nhomepage = 'https://b.test/'\nsitemaps = [1]\n"
    with pytest.raises(SourcesError, match="source 'Deuxième': key 'sitemaps'"):
        load_config(write(tmp_path, text))


def test_select_unknown_source(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    with pytest.raises(SourcesError, match="no source named 'Autre'"):
        config.select(["Autre"])


def test_cli_sources_lists_and_fails_cleanly(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(cli, ["sources", "--sources", str(write(tmp_path, GOOD))])
    assert ok.exit_code == 0, ok.output
    assert "Exemple" in ok.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[[sources]]\nname = 'A'\n", encoding="utf-8")
    result = runner.invoke(cli, ["sources", "--sources", str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "homepage" in result.output


def test_every_command_has_help():
    for name, command in cli.commands.items():
        assert command.help, f"command {name!r} has no help"


def test_crawl_delays_and_their_validation(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert (config.crawl.download_delay, config.crawl.autothrottle_start_delay) == (1.0, 5.0)
    fast = GOOD.replace("[crawl]\n", "[crawl]\ndownload_delay = 0\nautothrottle_start_delay = 0\n")
    config = load_config(write(tmp_path, fast))
    assert (config.crawl.download_delay, config.crawl.autothrottle_start_delay) == (0.0, 0.0)
    bad = GOOD.replace("[crawl]\n", "[crawl]\ndownload_delay = -1\n")
    with pytest.raises(SourcesError, match="key 'download_delay': must be a number"):
        load_config(write(tmp_path, bad))


def test_config_round_trips_through_json(tmp_path):
    import json

    from common.source_config import config_from_dict

    config = load_config(write(tmp_path, GOOD))
    again = config_from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config
    assert load_config() == config_from_dict(load_config().to_dict())


BASE = """
[crawl]
user_agent = "veille-test/1 (+mailto:test@example.org)"
{crawl}

[[sources]]
name = "Exemple"
homepage = "https://exemple.test/"
feeds = ["{feed}"]
{source}
"""


@pytest.mark.parametrize(
    "crawl, feed, source, message",
    [
        # Issue 17, 1: a broken IPv6 host crashed `veille sources` and `veille run`.
        ("", "http://[::1/rss.xml", "", "source 'Exemple': key 'feeds': 'http://[::1/rss.xml'"),
        # Issue 17, 2: a port out of range passed, then stopped the whole crawl.
        ("", "http://exemple.test:180800/rss.xml", "", "key 'feeds': 'http://exemple.test:180800"),
        # Issue 17, 3: an endless delay hung the crawl, a NaN timeout failed every page.
        (
            "download_delay = inf",
            "https://exemple.test/rss.xml",
            "",
            "[crawl]: key 'download_delay'",
        ),
        ("timeout = nan", "https://exemple.test/rss.xml", "", "[crawl]: key 'timeout'"),
        ("timeout = 0", "https://exemple.test/rss.xml", "", "[crawl]: key 'timeout'"),
        ("autothrottle_start_delay = -1", "https://exemple.test/rss.xml", "", "key 'autothrottle"),
        # Issue 11: an invalid selector loaded and was only logged on every page.
        (
            "",
            "https://exemple.test/rss.xml",
            'selectors = { text = "div[[[" }',
            "source 'Exemple': key 'selectors.text': 'div[[[' is not a valid CSS selector",
        ),
        ("max_new = 0", "https://exemple.test/rss.xml", "", "[crawl]: key 'max_new'"),
        ("", "https://exemple.test/rss.xml", "max_new = -3", "source 'Exemple': key 'max_new'"),
    ],
)
def test_bad_values_are_refused_at_load_naming_file_source_and_key(
    tmp_path, crawl, feed, source, message
):
    path = write(tmp_path, BASE.format(crawl=crawl, feed=feed, source=source))
    with pytest.raises(SourcesError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_cli_sources_reports_a_broken_url_without_traceback(tmp_path):
    path = write(tmp_path, BASE.format(crawl="", feed="http://[::1/rss.xml", source=""))
    for command in (["sources"], ["crawl", "--db", str(tmp_path / "v.db")]):
        result = CliRunner().invoke(cli, [*command, "--sources", str(path)])
        assert result.exit_code == 2, result.output
        assert "'http://[::1/rss.xml'" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "v.db").exists()


def test_max_new_defaults_and_overrides(tmp_path):
    from crawler.sources import DEFAULT_MAX_NEW

    config = load_config(write(tmp_path, BASE.format(crawl="", feed="https://e.test/r", source="")))
    assert (config.crawl.max_new, config.sources[0].max_new) == (DEFAULT_MAX_NEW, None)
    text = BASE.format(crawl="max_new = 50", feed="https://e.test/r", source="max_new = 7")
    config = load_config(write(tmp_path, text))
    assert (config.crawl.max_new, config.sources[0].max_new) == (50, 7)
