"""The WhatsApp Business Cloud API channel: the same flows as on Telegram, for people who write
from WhatsApp (staff stay in the Telegram group). ``wa_adapter`` (webhook message → Event),
``wa_render`` (neutral message → Graph call), ``wa_graph`` (the outbox's Delivery: Graph calls,
errors, the 24-hour window), ``wa_templates`` (a message as the profile's approved template of
its kind), ``wa_webhook`` (GET/POST /whatsapp), ``wa_identity``
(a phone number is personal data: ids derived by keyed hash, masked for staff)."""
