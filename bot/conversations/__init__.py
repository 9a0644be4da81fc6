"""Multi-step flows whose state lives in the database (``bot.dialogs``)."""
