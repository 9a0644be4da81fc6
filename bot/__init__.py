"""Mustafeed (مُستفيد): an Arabic-first Telegram bot for the beneficiaries of Saudi associations."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The project checkout: locales/ and profiles/ live beside bot/ (installed editable)."""
