"""The association profile: who the association is, how to reach it, what it offers, its FAQ.

One YAML file per association (``profiles/<association-id>.yaml``, documents beside it in
``profiles/<association-id>/``) configures the whole bot for that association, so the same code
serves every association that adopted the common beneficiary-relationship policy
(see ``/work/shared/policy/README.md``).

    profile = load_profile(default_profile_path())      # raises ProfileError
    problems = check_profile(path)                        # [] when valid (check-profile)

    profile.association.name.get(locale)                  # every human text is a LocalizedText
    profile.service("food-support").fields               # ordered form fields
    profile.faq_entry("working-hours").answer.get("ar")   # simple Telegram HTML
    profile.decision_days_for("food-support")             # per-service override or the default

Every human-facing text is a :class:`LocalizedText`: in YAML either a plain (Arabic) string or a
mapping ``{ar: ..., en: ...}``. Plain texts are plain: escape them before putting them into an
HTML message. Only FAQ answers are Telegram HTML, and they are checked here, tag by tag.

All models are frozen. Lists become tuples.

Problems are reported one per line as ``path.to[index].field: reason``, for the administrator
who edits the YAML; they stay in English.
"""

from bot.profile.checks import normalize_arabic
from bot.profile.loader import ProfileError, check_profile, load_profile
from bot.profile.schema import (
    CONTACT_CHANNELS,
    Association,
    Branch,
    Calendar,
    Channels,
    Choice,
    Complaints,
    ComplaintType,
    Deadlines,
    Declaration,
    Deployment,
    Document,
    Faq,
    FaqCategory,
    FaqEntry,
    FieldType,
    FileKind,
    FormField,
    Privacy,
    Profile,
    RequiredDocument,
    Service,
    ServiceKind,
    SocialLink,
    Survey,
    SurveyQuestion,
)
from bot.profile.values import (
    ANSWER_MAX,
    DEFAULT_DECLARATION,
    DEFAULT_PRIVACY_NOTICE,
    DEFAULT_PROFILE,
    DEFAULT_SURVEY_QUESTIONS,
    DOCUMENT_SUFFIXES,
    PROFILES_DIR,
    SLUG_MAX,
    TITLE_MAX,
    LocalizedText,
    default_profile_path,
    telegram_html_problem,
)

__all__ = [
    "ANSWER_MAX",
    "CONTACT_CHANNELS",
    "DEFAULT_DECLARATION",
    "DEFAULT_PRIVACY_NOTICE",
    "DEFAULT_PROFILE",
    "DEFAULT_SURVEY_QUESTIONS",
    "DOCUMENT_SUFFIXES",
    "PROFILES_DIR",
    "SLUG_MAX",
    "TITLE_MAX",
    "Association",
    "Branch",
    "Calendar",
    "Channels",
    "Choice",
    "ComplaintType",
    "Complaints",
    "Deadlines",
    "Declaration",
    "Deployment",
    "Document",
    "Faq",
    "FaqCategory",
    "FaqEntry",
    "FieldType",
    "FileKind",
    "FormField",
    "LocalizedText",
    "Privacy",
    "Profile",
    "ProfileError",
    "RequiredDocument",
    "Service",
    "ServiceKind",
    "SocialLink",
    "Survey",
    "SurveyQuestion",
    "check_profile",
    "default_profile_path",
    "load_profile",
    "normalize_arabic",
    "telegram_html_problem",
]
