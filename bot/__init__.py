"""Mustafeed (مُستفيد): an Arabic-first Telegram bot for the beneficiaries of Saudi associations."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
BUNDLED = _PACKAGE / "bundled"
"""In a built wheel: ``locales/`` (the ``.po`` catalogs) and ``profiles/`` (the example profiles
and their documents), copied there by ``setup.py``'s ``build_py``; absent in a checkout."""

ROOT = BUNDLED if (BUNDLED / "locales").is_dir() else _PACKAGE.parent
"""Where ``locales/`` and ``profiles/`` are: the checkout (an editable install, the tests) or,
installed from a wheel, ``bot/bundled/`` inside the package."""
