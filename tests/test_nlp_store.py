"""db/entity_store.py and the correction commands, without the model: atomic replacement,
entity figures, watchlist sync, rules (fast)."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner
from helpers_nlp import data_dir, session_data_dir, store_articles

from db import entity_store
from db.schema import open_db
from nlp.keys import entity_key
from nlp.process import Resolver, sync_watchlist
from pipeline import cli


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "veille.db")
    yield database
    database.conn.close()


def mention(entity_id, text="Dijon", start=0):
    return entity_store.MentionRow(entity_id, text, f"{text} accueille.", start, start + len(text))


def test_save_results_replaces_mentions_and_updates_figures(db):
    a, b = store_articles(db, ["Dijon et Dole.", "Dijon encore."])
    dijon = entity_store.insert_entity(db, "Dijon", "LOC", "dijon", "Bourgogne-Franche-Comté")
    dole = entity_store.insert_entity(db, "Dole", "LOC", "dole")
    with db.atomic():
        entity_store.save_results(
            db,
            [
                entity_store.ArticleResult(a, [mention(dijon), mention(dole, "Dole", 9)], []),
                entity_store.ArticleResult(
                    b, [mention(dijon)], [entity_store.QuoteRow(dijon, "encore", 6, 12)]
                ),
            ],
            "v1",
            "2024-03-20T10:00:00+00:00",
        )
    assert db["mentions"].count == 3 and db["quotes"].count == 1
    row = db["entities"].get(dijon)
    assert row["article_count"] == 2
    assert (row["first_seen"], row["last_seen"]) == (
        "2024-03-01T09:00:00+01:00",
        "2024-03-02T09:00:00+01:00",
    )
    assert db["articles"].get(a)["nlp_version"] == "v1"
    # Re-processing article a without Dole: its mentions are replaced, Dole's figures drop.
    with db.atomic():
        entity_store.save_results(db, [entity_store.ArticleResult(a, [mention(dijon)], [])], "v2")
    assert db["mentions"].count == 2
    assert db["entities"].get(dole)["article_count"] == 0
    assert entity_store.prune_entities(db) == 1
    assert entity_store.articles_to_process(db, "v2") == [b]
    assert entity_store.articles_to_process(db, "v2", all_articles=True) == [a, b]


def test_failed_replacement_leaves_the_article_as_it_was(db):
    (a,) = store_articles(db, ["Dijon et Dole."])
    dijon = entity_store.insert_entity(db, "Dijon", "LOC", "dijon")
    with db.atomic():
        entity_store.save_results(
            db, [entity_store.ArticleResult(a, [mention(dijon)], [])], "v1", "T1"
        )
    with pytest.raises(sqlite3.IntegrityError), db.atomic():
        # A mention of an entity that does not exist breaks the foreign key half-way,
        # after the old mentions were deleted: everything must roll back.
        entity_store.save_results(
            db, [entity_store.ArticleResult(a, [mention(999_999)], [])], "v2", "T2"
        )
    assert [m["entity_id"] for m in entity_store.article_mentions(db, a)] == [dijon]
    row = db["articles"].get(a)
    assert (row["processed_at"], row["nlp_version"]) == ("T1", "v1")


def test_watchlist_sync_upserts_entities_and_aliases(db, tmp_path):
    folder = data_dir(tmp_path)
    assert sync_watchlist(db, folder / "watchlist.toml") == 3
    assert sync_watchlist(db, folder / "watchlist.toml") == 3
    bpi = entity_store.find_entity(db, entity_key("Bpifrance"))
    assert bpi["watchlist"] == 1 and bpi["label"] == "ORG"
    assert db["entities"].count == 3
    aliases = {r["alias"] for r in db["entity_aliases"].rows_where("entity_id = ?", [bpi["id"]])}
    assert aliases == {"BPI France", "Banque publique d'investissement"}
    # An entity dropped from the file keeps its row but loses the flag and its aliases.
    (folder / "watchlist.toml").write_text(
        '[[entities]]\nname = "Bpifrance"\nlabel = "ORG"\n', encoding="utf-8"
    )
    sync_watchlist(db, folder / "watchlist.toml")
    tech = entity_store.find_entity(db, entity_key("La French Tech"))
    assert tech["watchlist"] == 0
    assert not list(db["entity_aliases"].rows_where("entity_id = ?", [tech["id"]]))
    assert not list(db["entity_aliases"].rows_where("entity_id = ?", [bpi["id"]]))


def test_resolver_uses_aliases_keys_and_rules(db, tmp_path):
    folder = data_dir(tmp_path)
    sync_watchlist(db, folder / "watchlist.toml")
    entity_store.add_rule(db, "merge", "Jean Dupond", "Jean Dupont")
    entity_store.add_rule(db, "relabel", "Kalistène", label="ORG")
    entity_store.add_rule(db, "ignore", "Verdict")
    entity_store.add_rule(db, "ignore", "Dole", label="PER")
    resolver = Resolver(db, folder)
    bpi = resolver.resolve("BPI France", "ORG")
    assert bpi == resolver.resolve("Bpifrance", "ORG") == resolver.resolve("bpi-france", "LOC")
    assert resolver.resolve("Besancon", "LOC") == resolver.resolve("BESANÇON", "LOC")
    assert db["entities"].get(resolver.resolve("Besancon", "LOC"))["region"] == (
        "Bourgogne-Franche-Comté"
    )
    assert resolver.resolve("Jean Dupond", "PER") == resolver.resolve("Jean Dupont", "PER")
    assert db["entities"].get(resolver.resolve("Jean Dupond", "PER"))["name"] == "Jean Dupont"
    kalistene = resolver.resolve("Kalistène", "PER")
    assert db["entities"].get(kalistene)["label"] == "ORG"
    assert resolver.resolve("Verdict", "ORG") is None
    assert resolver.resolve("Dole", "PER") is None
    assert resolver.resolve("Dole", "LOC") is not None


def test_weak_labels_join_the_organisation_of_the_same_name(db, tmp_path):
    resolver = Resolver(db, data_dir(tmp_path))
    as_person = resolver.resolve("Hylioz", "PER")  # a one-word "person": weak
    as_place = resolver.resolve("Bourgogne Digitale", "LOC")  # unknown to the gazetteer: weak
    assert db["entities"].get(as_person)["label"] == "PER"
    # An organisation mention of the same name turns the weak entity into that organisation.
    as_org = resolver.resolve("Hylioz", "ORG")
    assert as_org == as_person and db["entities"].get(as_org)["label"] == "ORG"
    assert resolver.resolve("Hylioz", "PER") == as_org
    assert resolver.resolve("Bourgogne Digitale", "ORG") == as_place
    # Sure labels keep their own entity: a full name, a known place.
    assert resolver.resolve("Claire Vasseur", "PER") != resolver.resolve("Claire Vasseur", "ORG")
    dijon = resolver.resolve("Dijon", "LOC")
    assert resolver.resolve("Dijon", "ORG") != dijon
    assert db["entities"].get(dijon)["label"] == "LOC"


def test_correction_commands_store_rules(tmp_path):
    path = str(tmp_path / "veille.db")
    runner = CliRunner()
    for args in (
        ["merge", "Jean Dupond", "Jean Dupont"],
        ["relabel", "Kalistène", "org"],
        ["ignore", "Verdict", "--label", "PER"],
    ):
        result = runner.invoke(cli, ["entities", *args, "--db", path])
        assert result.exit_code == 0, result.output
        assert "veille process --all" in result.output
    result = runner.invoke(cli, ["entities", "rules", "--db", path])
    assert result.output.splitlines() == [
        "#1 merge 'Jean Dupond' into 'Jean Dupont'",
        "#2 relabel 'Kalistène' as ORG",
        "#3 ignore 'Verdict' (only as PER)",
    ]


def test_forget_removes_one_rule_and_processing_no_longer_applies_it(tmp_path):
    path = str(tmp_path / "veille.db")
    runner = CliRunner()
    for args in (["ignore", "Verdict"], ["relabel", "Kalistène", "ORG"]):
        assert runner.invoke(cli, ["entities", *args, "--db", path]).exit_code == 0
    result = runner.invoke(cli, ["entities", "forget", "1", "--db", path])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "Removed rule #1 ignore 'Verdict'."
    result = runner.invoke(cli, ["entities", "rules", "--db", path])
    assert result.output.splitlines() == ["#2 relabel 'Kalistène' as ORG"]
    db = open_db(path)
    try:
        assert [(r.action, r.name) for r in entity_store.list_rules(db)] == [
            ("relabel", "Kalistène")
        ]
    finally:
        db.conn.close()
    again = runner.invoke(cli, ["entities", "forget", "1", "--db", path])
    assert again.exit_code == 2
    assert "no correction #1" in again.output
    assert "Traceback" not in again.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["merge", "Jean Dupont", "jean-dupont"], "already the same entity"),
        (["merge", "Jean Dupont", "!!"], "is not a name"),
        (["relabel", "Kalistène", "COMPANY"], "Invalid value"),
        (["ignore", "  "], "is not a name"),
    ],
)
def test_bad_corrections_are_refused_with_a_message(tmp_path, args, message):
    path = str(tmp_path / "veille.db")
    result = CliRunner().invoke(cli, ["entities", *args, "--db", path])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_commands_have_help():
    group = cli.commands["entities"]
    assert group.help and cli.commands["process"].help
    for command in group.commands.values():
        assert command.help


def test_an_entity_merged_later_in_a_batch_is_remapped_in_earlier_rows(tmp_path):
    """A name first read as a person, then as an unknown place, then as an organisation: the
    organisation absorbs both, and rows resolved before the merge point at the survivor."""
    from db import entity_store
    from db.schema import open_db
    from nlp.process import Resolver

    db = open_db(tmp_path / "veille.db")
    resolver = Resolver(db, session_data_dir())
    person = resolver.resolve("Kalvoria", "PER")
    place = resolver.resolve("Kalvoria", "LOC")
    assert person != place
    company = resolver.resolve("Kalvoria", "ORG")
    assert company == person
    assert db.execute("SELECT count(*) FROM entities WHERE id = ?", [place]).fetchone() == (0,)
    earlier = entity_store.ArticleResult(
        1, [entity_store.MentionRow(place, "Kalvoria", "Kalvoria recrute.", 0, 8)], []
    )
    (mention,) = resolver.remap(earlier).mentions
    assert mention.entity_id == company
    db.conn.close()
