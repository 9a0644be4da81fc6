"""Keep personal data and the bot token out of the logs, whatever the log levels.

``install()`` (called by ``mustafeed``'s logging set-up) wraps the log-record factory, so it
applies to every logger and every handler, including ones configured later:

* loggers that dump payloads at DEBUG — python-telegram-bot's ``Bot`` (request parameters and
  raw results, i.e. people's messages), aiosqlite (statements with their parameters), SQLAlchemy's
  engine (parameters and rows) — keep their message but not the payload: every argument that is not
  a number or a short string is replaced by ``<omitted>``;
* every message and traceback is then scrubbed: the values SQLAlchemy quotes in its errors
  (``[parameters: …]``), the token in Bot API URLs, every token the process was given
  (``hide(token)``, whatever its shape), Saudi national
  ID / iqama numbers (10 digits starting with 1 or 2) and Saudi mobile numbers (05…, 5…, 9665…,
  +9665…, 009665…, with spaces or dashes), in ASCII, Arabic-Indic or Persian digits, also when
  written as JSON ``\\uXXXX`` escapes.

The messages are formatted when the record is made (a record that is not emitted is never made).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

PAYLOAD_LOGGERS = ("telegram", "aiosqlite", "sqlalchemy.engine", "asyncpg")
OMITTED = "<omitted>"
_MAX_PLAIN_ARG = 100
_MARK = "_mustafeed_redacting"

_DIGIT_SETS = {str(i): f"{i}{chr(0x0660 + i)}{chr(0x06F0 + i)}" for i in range(10)}
_ANY_DIGIT = "[" + "".join(_DIGIT_SETS.values()) + "]"


def _d(chars: str) -> str:
    return "[" + "".join(_DIGIT_SETS[c] for c in chars) + "]"


_NO_DIGIT_BEFORE = f"(?<!{_ANY_DIGIT})"
_NO_DIGIT_AFTER = f"(?!{_ANY_DIGIT})"
_NATIONAL_ID = re.compile(f"{_NO_DIGIT_BEFORE}{_d('12')}{_ANY_DIGIT}{{9}}{_NO_DIGIT_AFTER}")
_MOBILE = re.compile(
    f"{_NO_DIGIT_BEFORE}(?:(?:\\+|{_d('0')}{{2}})?{_d('9')}{_d('6')}{_d('6')}[\\s-]?|{_d('0')})?"
    f"{_d('5')}(?:[\\s-]?{_ANY_DIGIT}){{8}}{_NO_DIGIT_AFTER}"
)
_TOKEN_IN_URL = re.compile(r"(?<=/bot)\d+:[A-Za-z0-9_-]+")
_BARE_TOKEN = re.compile(r"\b\d{6,}:[A-Za-z0-9_-]{30,}\b")
_ESCAPED_DIGIT = re.compile(r"\\+u(00(3[0-9])|06([6f][0-9]))", re.IGNORECASE)
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*")  # SQLAlchemy's errors quote the row's values


_HIDDEN: set[str] = set()


def hide(secret: str | None) -> None:
    """Never show ``secret`` (a bot token) in a log record or in what ``redact`` returns."""
    if secret:
        _HIDDEN.add(secret)


def _unescape_digit(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


def redact(text: str) -> str:
    """The text without the token, national IDs and mobile numbers."""
    if not text:
        return text
    if "[parameters: " in text:
        text = _SQL_PARAMETERS.sub("[parameters: <omitted>]", text)
    for secret in _HIDDEN:
        if secret in text:
            text = text.replace(secret, "<token>")
    text = _TOKEN_IN_URL.sub("<token>", text)
    text = _BARE_TOKEN.sub("<token>", text)
    if "\\" in text:
        text = _ESCAPED_DIGIT.sub(_unescape_digit, text)
    text = _NATIONAL_ID.sub("<national-id>", text)
    return _MOBILE.sub("<mobile>", text)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str) and len(value) <= _MAX_PLAIN_ARG and "\n" not in value:
        return value
    return OMITTED


def scrub(record: logging.LogRecord) -> logging.LogRecord:
    try:
        if record.args and record.name.startswith(PAYLOAD_LOGGERS):
            if isinstance(record.args, Mapping):
                record.args = {key: _plain(value) for key, value in record.args.items()}
            else:
                record.args = tuple(_plain(value) for value in record.args)
        message = record.getMessage()
    except Exception:
        return record
    record.msg, record.args = redact(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def install() -> None:
    """Scrub every log record from now on (once per process; later calls do nothing)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, _MARK, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return scrub(previous(*args, **kwargs))

    setattr(factory, _MARK, True)
    logging.setLogRecordFactory(factory)
