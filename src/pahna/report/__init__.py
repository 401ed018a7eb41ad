"""Statements rendered for people and machines: CSV and HTML (Persian and English)."""
