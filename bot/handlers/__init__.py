"""Stateless handlers, one module per feature; each exports ``register(router)``."""
