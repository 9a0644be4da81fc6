"""Persistence: SQLAlchemy 2 async models, engine/session factories, crypto, migrations."""
