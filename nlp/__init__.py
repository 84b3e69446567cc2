"""Entities, mentions and quotes: spaCy's French pipeline plus veille's rules and data.

Importing `nlp` is cheap (no spaCy); the model is loaded by `nlp.model.load_pipeline`.
"""

from nlp.keys import entity_key, fold

__all__ = ["entity_key", "fold"]
