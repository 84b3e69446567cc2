"""Public bodies: a body's head and the name after it are one organisation.

Decides: "Université de Franche-Comté", "Agence régionale de l'innovation", "Communauté de
communes du Val de X", "préfecture de la Vendée", "le lycée Jean-Macé", "Conseil
constitutionnel", "Région Pays de la Loire", "École X du numérique" are each one ORG,
whatever the model made of the place or person inside. Part of the `veille_org_phrases`
component (`nlp/rules/org_phrases.py`): `PublicBodies._find_head` is its first finder.
Data: org_phrases.toml `heads`, `connectors`, `legal_forms`.
Tests: tests/test_rules_public_bodies.py.
"""

from __future__ import annotations

from spacy.tokens import Doc

from nlp.rules.base import PhraseCandidate, name_like, proper_run

# Nouns of time that end a complement rather than belong to a name ("de l'année").
TIME_NOUNS = {"an", "année", "mois", "semaine", "jour", "fin", "début", "été", "hiver"}


# Nouns after "pour la/le" that are the sentence's time or occasion, not a purpose.
PASSING_NOUNS = TIME_NOUNS | {
    "période", "durée", "occasion", "suite", "rentrée", "saison", "moment", "instant",
    "heure", "avenir", "ensemble", "essentiel", "première", "dernière",
}  # fmt: skip
# Heads of bodies named by their purpose ("Agence pour l'emploi", "Fondation pour la
# recherche"); a place's body ("la Région pour l'instant") is named by its place.
PURPOSE_HEADS = {
    "Agence", "Institut", "Fondation", "Association", "Fonds", "Centre", "Comité", "Conseil",
    "Observatoire", "Office", "Mission", "Fédération", "Union", "Syndicat", "Alliance",
    "Collectif", "Réseau", "Société", "Compagnie", "Groupement", "Pôle", "Maison",
    "Établissement", "Commission", "Délégation", "Direction", "Haut", "Haute",
    "Conservatoire", "Académie", "Caisse", "Ligue", "Mouvement", "Organisation", "Cité",
}  # fmt: skip


class PublicBodies:
    """The head rules of `OrgPhrasesComponent`, which sets `connectors`, `legal_forms`,
    `_head_starts` and `_match`."""

    connectors: list[tuple[str, ...]]
    legal_forms: frozenset[str]
    _head_starts: dict[str, list[tuple[str, ...]]]

    def _find_head(self, doc: Doc, i: int, out: list[PhraseCandidate]) -> None:
        """A public body's head and its name: "Université de X", "le lycée X"."""
        token = doc[i]
        # "un lycée professionnel de X" is a school of X, not a name; "le lycée X" is.
        generic = token.is_lower and i > 0 and doc[i - 1].lower_ in {"un", "une", "des"}
        if token.text in self._head_starts and not generic:
            for head in self._head_starts[token.text]:
                if not self._match_head(doc, i, head):
                    continue
                end = self._head_end(doc, i, len(head))
                if end is not None:
                    out.append(PhraseCandidate(i, end, "head"))
                break

    def _match_head(self, doc: Doc, i: int, head: tuple[str, ...]) -> bool:
        """A head's first word as written (its capital tells a name from a common noun),
        the rest in any case: "Chambre de Commerce et d'Industrie", "centre Hospitalier"."""
        if i + len(head) > len(doc) or doc[i].text != head[0]:
            return False
        return all(doc[i + k].lower_ == word.lower() for k, word in enumerate(head[1:], 1))

    def _head_end(self, doc: Doc, i: int, size: int) -> int | None:
        """End of the organisation named from the head at token i (`size` tokens), or None.

        Rules in order: adjectives after the head ("Pôle métropolitain"); a connector and a
        name ("Université de Franche-Comté"); a capitalised head's common-noun complement
        ("Agence régionale de l'innovation"); a capitalised head with adjectives alone
        ("Conseil constitutionnel"); then the name goes on ("Région Pays de la Loire") and
        may close with a complement ("École Sévigné du numérique").
        """
        n = len(doc)
        token = doc[i]
        j = i + size
        while j < min(n, i + size + 3) and doc[j].is_lower and doc[j].pos_ == "ADJ":
            j += 1
        connected = self._connector(doc, j)
        # "Agence régionale pour le développement de l'Occitanie": "pour" before a
        # common-noun complement (never before a name: "Port de Brest pour l'atterrage").
        if connected == j and token.text in PURPOSE_HEADS and _purpose(doc, j):
            connected = j + 1
            end = connected
        else:
            end = proper_run(doc, connected, self.legal_forms)
        if end == connected and connected > j and token.is_title:
            # "Agence régionale de l'innovation", "Banque des territoires": a capitalised
            # head with a common-noun complement.
            end = self._complement(doc, connected)
            if end > connected:
                end = self._name_after_complement(doc, end)
        if end > connected:
            end = self._name_goes_on(doc, end)
            if token.is_title:
                end = self._closing_complement(doc, end)
            return end
        if (
            connected == j
            and j > i + size
            and token.is_title
            and not token.is_sent_start
            and token.text not in {"Haut", "Haute"}
        ):
            # "le Conseil constitutionnel", "le Centre spatial guyanais": a capitalised
            # head mid-sentence with its adjectives is the body's whole name.
            return j
        return None

    def _closing_complement(self, doc: Doc, end: int) -> int:
        """A common-noun complement after a head's name: "École Sévigné du numérique",
        "Haut Conseil de l'évaluation de la recherche" (not a date: "de l'année")."""
        k = self._connector(doc, end)
        if k == end:
            return end
        closed = self._complement(doc, k)
        if closed > k and not any(doc[m].lower_ in TIME_NOUNS for m in range(k, closed)):
            return closed
        return end

    def _connector(self, doc: Doc, j: int) -> int:
        """Index after a connector ("de", "du", "d'", "de la"...) at j, or j."""
        for conn in self.connectors:
            if self._match(doc, j, conn, lower=True):
                return j + len(conn)
        return j

    def _complement(self, doc: Doc, j: int) -> int:
        """End of a common-noun complement at j ("l'innovation", "la recherche scientifique").

        An article, a noun, adjectives, and at most two more "et"/"de" steps ("des
        sciences de la vigne et du vin"); a name may close it ("Chambre de commerce de Lyon"). Needs the tagger; j when there is none.
        """
        n = len(doc)
        end = j
        for step in range(3):
            k = end
            if step:
                # A second noun only after "et", "de" or "pour": "de développement et
                # d'innovation", "de recherche pour l'agriculture".
                if k < n and doc[k].lower_ == "et":
                    k += 1
                if _purpose(doc, k):
                    k += 1
                else:
                    k = self._connector(doc, k)
                if k == end:
                    break
            if k < n and doc[k].lower_ in {"la", "l'", "les", "le"}:
                k += 1
            if not (k < n and doc[k].is_lower and doc[k].pos_ == "NOUN"):
                break
            k += 1
            while k < n and doc[k].is_lower and doc[k].pos_ == "ADJ":
                k += 1
            end = k
        if end > j:
            closing = self._connector(doc, end)
            if closing > end:
                name_end = proper_run(doc, closing, self.legal_forms)
                if name_end > closing:
                    end = name_end
        return end

    def _name_after_complement(self, doc: Doc, end: int) -> int:
        """A name right after a head's complement, or after "pour (la)", is the body's
        own: "Société d'économie mixte Énergies Vosges", "Agence de développement pour
        la Bretagne"."""
        n = len(doc)
        k = end
        if k < n and doc[k].lower_ == "pour":
            k += 1
            if k < n and doc[k].lower_ in {"la", "le", "l'", "les"}:
                k += 1
        if k < n and not doc[k].is_sent_start:
            run = proper_run(doc, k, self.legal_forms)
            if run > k:
                return run
        return end

    def _name_goes_on(self, doc: Doc, end: int) -> int:
        """Extend a head's name over "de"/"du"/"d'" + name: "Région Pays de la Loire",
        "CCI Portes de Normandie", "Université Côte d'Azur" (not over "à" or "en")."""
        n = len(doc)
        while end < n:
            k = end
            if doc[k].lower_ not in {"de", "du", "des", "d'"}:
                break
            k = self._connector(doc, k)
            if k >= n or doc[k].is_sent_start or not name_like(doc[k]):
                break
            run = proper_run(doc, k, self.legal_forms)
            if run == k:
                break
            end = run
        return end


def _purpose(doc: Doc, k: int) -> bool:
    """Whether "pour" at k opens a body's purpose ("pour l'emploi", "pour la recherche"),
    not the sentence's ("pour la période", "pour les étudiants")."""
    if not (k + 2 < len(doc) and doc[k].lower_ == "pour"):
        return False
    article, noun = doc[k + 1], doc[k + 2]
    return article.lower_ in {"la", "l'", "le"} and noun.lower_ not in PASSING_NOUNS
