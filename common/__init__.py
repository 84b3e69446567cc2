"""Shared types below every other package: items, source configuration, clock, errors.

Imports nothing of the project, so crawler/, db/, nlp/ and ops/ can all depend on it.
"""
