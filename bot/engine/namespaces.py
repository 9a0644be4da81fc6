"""Every button namespace, declared once: the first part of a button's action
(``namespace:action:args``, see ``bot.engine.keyboards``). A feature registers its handlers on
the router under its own namespace; the router refuses a (namespace, action) claimed twice.
"""

from __future__ import annotations

from enum import StrEnum, unique


@unique
class NS(StrEnum):
    # beneficiaries
    CONSENT = "consent"  # the privacy notice: agree / not now / read
    LANG = "lang"  # choose the language
    MENU = "menu"  # the main menu's entries (each registered with Router.menu)
    ABOUT = "about"  # about the association
    SERVICE = "svc"  # the service catalogue
    REQUEST_FORM = "req"  # filling in a request
    REQUEST_DOCS = "rdoc"  # documents asked for by staff
    MY_REQUESTS = "rq"  # "My requests"
    FAQ = "faq"  # answers to questions
    TICKET = "tk"  # pass a question to the team
    COMPLAINT = "cmp"  # complaints, suggestions, compensation claims
    SURVEY = "sv"  # satisfaction surveys
    ERASE = "erase"  # erase my data
    NOTICES = "ntc"  # announcements: stop / receive them, the one-time question
    # the staff group
    REQUEST_CARD = "sr"  # a request's card
    TICKET_CARD = "st"  # a ticket's card
    FAQ_LEARN = (
        "fl"  # a handed-over question taught to the FAQ (bot/features/inquiries/faq_learning.py)
    )
    ANNOUNCE = "ann"  # a supervisor's announcement: audience, preview, send, pause, cancel
    APPOINTMENT = "ap"  # interviews and field visits: staff build an offer, the beneficiary picks
    QUEUE = "wq"  # the staff workspace: /queue's pages
    CASE_WORK = "wk"  # on any case card: claim, note, canned replies (bot.features.workspace)
