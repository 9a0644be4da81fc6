"""The association profile: the bundled profiles, the problems an administrator is shown, texts."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bot import ROOT
from bot.profile import (
    DEFAULT_DECLARATION,
    DEFAULT_PRIVACY_NOTICE,
    DEFAULT_SURVEY_QUESTIONS,
    ComplaintType,
    FieldType,
    LocalizedText,
    Profile,
    ProfileError,
    ServiceKind,
    check_profile,
    default_profile_path,
    load_profile,
    normalize_arabic,
    telegram_html_problem,
)

BUNDLED = sorted((ROOT / "profiles").glob("*.yaml"))


def minimal() -> dict:
    """The smallest valid profile, with one service and one FAQ entry to break in tests."""
    return copy.deepcopy(
        {
            "association": {"id": "demo", "name": "جمعية تجريبية"},
            "channels": {"phone": "0110000000"},
            "services": [
                {
                    "id": "aid",
                    "kind": "support",
                    "title": {"ar": "طلب دعم", "en": "Support request"},
                    "documents": [{"id": "id-copy", "title": "صورة الهوية"}],
                    "fields": [
                        {"id": "name", "type": "full_name", "label": "الاسم"},
                        {
                            "id": "area",
                            "type": "choice",
                            "label": "الحي",
                            "choices": [
                                {"id": "north", "label": "الشمال"},
                                {"id": "south", "label": "الجنوب"},
                            ],
                        },
                        {
                            "id": "id_copy",
                            "type": "document",
                            "label": "الهوية",
                            "document": "id-copy",
                        },
                    ],
                }
            ],
            "faq": {
                "categories": [{"id": "general", "title": "عام"}],
                "entries": [
                    {
                        "id": "hours",
                        "category": "general",
                        "question": "ما أوقات العمل؟",
                        "phrasings": ["متى دوامكم", "شو أوقات الدوام"],
                        "answer": "من <b>٨</b> صباحًا",
                    }
                ],
            },
        }
    )


def write(tmp_path: Path, data: dict | str, name: str = "profile.yaml") -> Path:
    path = tmp_path / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, data: dict | str) -> list[str]:
    return check_profile(write(tmp_path, data))


# ------------------------------------------------------------------------ the bundled profiles


def test_both_example_profiles_are_bundled():
    names = {p.stem for p in BUNDLED}
    assert {"khairat", "maa"} <= names
    assert default_profile_path() == ROOT / "profiles" / "khairat.yaml"
    assert default_profile_path().is_file()


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_profile_is_valid(path: Path):
    assert check_profile(path) == []
    profile = load_profile(path)
    assert profile.id == path.stem
    assert profile.source == path.resolve()


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_profile_content(path: Path):
    profile = load_profile(path)

    entries = profile.faq.entries
    assert len(entries) >= 20
    assert 4 <= len(profile.faq.categories) <= 6
    for entry in entries:
        assert 3 <= len(entry.phrasings) <= 6, entry.id
        assert entry.question.en, entry.id
    for category in profile.faq.categories:
        assert profile.faq_entries(category.id), category.id
        assert category.title.en

    services = profile.services
    assert len(services) >= 4
    assert profile.services_of_kind(ServiceKind.VOLUNTEER)
    support = profile.services_of_kind("support")[0]
    types = {f.type for f in support.fields}
    assert {
        FieldType.FULL_NAME,
        FieldType.NATIONAL_ID,
        FieldType.MOBILE,
        FieldType.INTEGER,
        FieldType.DATE,
        FieldType.CHOICE,
        FieldType.LOCATION,
        FieldType.DOCUMENT,
    } <= types
    assert any(
        f.type is FieldType.DATE and f.calendar == "hijri" and f.past_only for f in support.fields
    )
    assert len(support.required_documents) >= 3
    assert support.eligibility
    for service in services:
        assert service.title.en, service.id
        for field in service.fields:
            assert field.label.en, f"{service.id}.{field.id}"

    # the declaration is the policy's own sentence (clause 15)
    assert profile.declaration.text.ar == (
        "أُقِرّ بأن جميع البيانات والمستندات المقدَّمة صحيحة، وأتحمّل المسؤولية المباشرة عن صحتها."
    )
    assert profile.privacy.notice_version and profile.declaration.version

    # every shipped document can be opened
    assert profile.documents
    for doc in profile.documents:
        if doc.file:
            path_ = profile.document_path(doc.id)
            assert path_ is not None and path_.is_file(), doc.id
            assert path_.read_text(encoding="utf-8").strip()


def test_bundled_contacts_are_fictitious():
    """Real-looking but clearly made up: 0110000000-style numbers, example domains."""
    for path in BUNDLED:
        channels = load_profile(path).channels
        numbers = [channels.phone, channels.whatsapp, channels.sms, channels.fax]
        numbers += [branch.phone for branch in channels.branches]
        for number in filter(None, numbers):
            assert "000000" in number, number
        urls = [channels.website, channels.e_store, *(link.url for link in channels.social)]
        urls += [branch.map_url for branch in channels.branches]
        for url in filter(None, urls):
            assert "example" in url, url
        assert channels.email is None or channels.email.endswith(".example.org.sa")


def test_khairat_helpers():
    profile = load_profile()  # the default
    assert profile.id == "khairat"

    support = profile.service("food-support")
    assert support is not None and support.kind is ServiceKind.SUPPORT
    assert profile.decision_days_for(support) == 14
    assert profile.decision_days_for("surplus-pickup") == 1
    assert profile.service("no-such-service") is None
    assert profile.service("ramadan-basket") not in profile.active_services

    assert support.field("district").choice("north").label.get("en") == "North Riyadh"
    assert [d.id for d in support.trailing_documents] == ["lease"]
    assert support.field_required(support.field("id_copy")) is True
    assert support.field_required(support.field("notes")) is False

    entry = profile.faq_entry("working-hours")
    assert entry is not None and entry.category == "about"
    assert profile.category("about").title.get("en") == "About us"
    assert entry.variants()[0] == entry.question.ar
    assert "متى دوامكم" in entry.variants()
    assert profile.staff_route("about") == (None, None)

    assert profile.channels.whatsapp_url == "https://wa.me/966500000000"
    assert profile.complaints.enabled(ComplaintType.COMPENSATION)
    assert profile.privacy.show_staff_names is False
    assert profile.declaration.text.ar.startswith("أُقِرّ")
    assert profile.document_path("annual-report") is None  # a URL, not a file


def test_profile_is_frozen():
    profile = load_profile()
    with pytest.raises(ValidationError):
        profile.association = None  # type: ignore[misc]
    assert isinstance(profile.services, tuple)


# ------------------------------------------------------------------------ problems and their paths


def test_minimal_profile_is_valid_and_gets_defaults(tmp_path):
    data = {"association": {"id": "tiny", "name": "جمعية"}, "channels": {"email": "a@b.org.sa"}}
    profile = load_profile(write(tmp_path, data))
    assert profile.deadlines.decision_days == 14
    assert profile.deadlines.complaint_response_days == 5
    assert profile.deadlines.ticket_response_hours == 24
    assert profile.deadlines.remind_before_days == 2
    assert profile.deadlines.retention_days == 1825
    assert [q.id for q in profile.survey.questions] == list(DEFAULT_SURVEY_QUESTIONS)
    assert all(q.scale == 5 for q in profile.survey.questions)
    assert profile.survey.allow_comment and profile.survey.min_days_between == 30
    assert profile.declaration.text.msgid == DEFAULT_DECLARATION
    assert profile.privacy.notice.msgid == DEFAULT_PRIVACY_NOTICE
    assert set(profile.complaints.types) == set(ComplaintType)
    assert profile.services == () and profile.faq.entries == ()


def test_unknown_field_type_names_the_field(tmp_path):
    data = minimal()
    data["services"][0]["fields"][0]["type"] = "nid"
    problems = problems_of(tmp_path, data)
    assert problems == [
        "services[0].fields[0].type: unknown field type 'nid' (expected one of: text, full_name, "
        "national_id, mobile, integer, date, choice, location, document, email, yes_no)"
    ]


def test_duplicate_ids(tmp_path):
    data = minimal()
    data["services"].append(copy.deepcopy(data["services"][0]))
    data["services"][0]["fields"][1]["id"] = "name"
    problems = problems_of(tmp_path, data)
    assert "services[1].id: duplicate id 'aid' (also services[0])" in problems
    assert "services[0].fields[1].id: duplicate id 'name' (also services[0].fields[0])" in problems


def test_faq_category_must_exist(tmp_path):
    data = minimal()
    data["faq"]["entries"][0]["category"] = "generl"
    problems = problems_of(tmp_path, data)
    assert any(
        p.startswith("faq.entries[0].category: unknown category 'generl'") and "'general'" in p
        for p in problems
    ), problems


@pytest.mark.parametrize("choices", [None, [], [{"id": "only", "label": "وحيد"}]])
def test_choice_field_needs_two_choices(tmp_path, choices):
    data = minimal()
    field = data["services"][0]["fields"][1]
    if choices is None:
        del field["choices"]
    else:
        field["choices"] = choices
    problems = problems_of(tmp_path, data)
    assert len(problems) == 1
    assert problems[0].startswith("services[0].fields[1].choices: a choice field needs at least 2")


def test_missing_document_file(tmp_path):
    data = minimal()
    data["documents"] = [
        {"id": "bylaws", "title": "اللائحة", "file": "demo/bylaws.md"},
        {"id": "guide", "title": "الدليل", "file": "demo/guide.md"},
    ]
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "guide.md").write_text("# دليل", encoding="utf-8")
    problems = problems_of(tmp_path, data)
    assert len(problems) == 1
    assert problems[0].startswith("documents[0].file: file not found: demo/bylaws.md")

    del data["documents"][0]
    profile = load_profile(write(tmp_path, data))
    assert profile.document_path("guide") == (tmp_path / "demo" / "guide.md").resolve()


def test_document_path_must_stay_beside_the_profile(tmp_path):
    data = minimal()
    data["documents"] = [{"id": "x", "title": "س", "file": "../secret.md"}]
    assert problems_of(tmp_path, data) == [
        "documents[0].file: must be a path inside the profile's folder, got '../secret.md'"
    ]


def test_document_field_references_a_declared_document(tmp_path):
    data = minimal()
    data["services"][0]["fields"][2]["document"] = "family-record"
    problems = problems_of(tmp_path, data)
    assert problems == [
        "services[0].fields[2].document: unknown document 'family-record' "
        "(the service's documents: id-copy)"
    ]


def test_type_specific_options(tmp_path):
    data = minimal()
    fields = data["services"][0]["fields"]
    fields[0]["min"] = 3  # min on a full_name
    fields.append({"id": "size", "type": "integer", "label": "العدد", "min": 9, "max": 1})
    fields.append({"id": "born", "type": "date", "label": "الميلاد", "calendar": "julian"})
    problems = problems_of(tmp_path, data)
    assert (
        "services[0].fields[0].min: 'min' only applies to fields of type integer, not full_name"
        in problems
    )
    assert "services[0].fields[3].max: max (1) is below min (9)" in problems
    calendar = "services[0].fields[4].calendar: unknown calendar 'julian'"
    assert any(p.startswith(calendar) for p in problems)


def test_every_problem_is_reported_at_once(tmp_path):
    data = minimal()
    data["association"]["id"] = "Demo Association"
    data["association"]["titel"] = "x"
    data["channels"] = {"phone": 110000000}
    data["faq"]["entries"][0]["category"] = "missing"
    data["deadlines"] = {"decision_days": 0}
    problems = problems_of(tmp_path, data)
    paths = [p.split(":", 1)[0] for p in problems]
    assert paths == [
        "association.id",
        "association.titel",
        "channels.phone",
        "faq.entries[0].category",
        "deadlines.decision_days",
    ]
    assert "did you mean 'title'" not in problems[1]  # Association has no 'title' …
    assert "allowed: id, name" in problems[1]  # … so the allowed keys are listed
    assert "in quotes" in problems[2]


def test_unknown_key_suggests_the_right_one(tmp_path):
    data = minimal()
    data["services"][0]["titel"] = data["services"][0].pop("title")
    problems = problems_of(tmp_path, data)
    assert "services[0].titel: unknown key (did you mean 'title'?)" in problems
    assert "services[0].title: required" in problems


def test_at_least_one_contact_channel(tmp_path):
    data = minimal()
    data["channels"] = {"working_hours": "من ٨ إلى ٤"}
    assert problems_of(tmp_path, data) == [
        "channels: at least one contact channel is required (phone, whatsapp, sms, email, "
        "website, fax, e_store, social, branches)"
    ]


def test_same_question_in_two_entries_is_ambiguous(tmp_path):
    data = minimal()
    data["faq"]["entries"].append(
        {
            "id": "hours2",
            "category": "general",
            "question": "متى الدوام؟",
            "phrasings": ["متى دوامكم؟"],
            "answer": "نص",
        }
    )
    problems = problems_of(tmp_path, data)
    assert problems == [
        "faq.entries[1].phrasings[0]: the same question as faq.entries[0].phrasings[0]: "
        "a question must lead to one answer"
    ]


def test_faq_answer_must_be_valid_telegram_html(tmp_path):
    data = minimal()
    data["faq"]["entries"][0]["answer"] = "<b>من ٨ صباحًا"
    assert problems_of(tmp_path, data) == [
        "faq.entries[0].answer: invalid Telegram HTML in the 'ar' text: <b> is never closed"
    ]


def test_profile_error_lists_problems_one_per_line(tmp_path):
    data = minimal()
    data["services"][0]["fields"][0]["type"] = "nid"
    data["faq"]["entries"][0]["category"] = "nowhere"
    path = write(tmp_path, data)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    error = caught.value
    assert len(error.problems) == 2
    lines = str(error).splitlines()
    assert lines[0] == f"{path}: 2 problems in the profile"
    assert lines[1].strip().startswith("services[0].fields[0].type: unknown field type 'nid'")
    assert lines[2].strip().startswith("faq.entries[0].category: unknown category 'nowhere'")


def test_yaml_mistakes_are_reported_with_a_line(tmp_path):
    assert check_profile(tmp_path / "nope.yaml")[0].startswith("(file): not found")
    broken = "association:\n  id: demo\n  name: [unclosed\n"
    assert problems_of(tmp_path, broken)[0].startswith("line ")
    doubled = "association: {id: a, name: ب}\nchannels: {phone: '0110000000'}\nchannels: {}\n"
    assert problems_of(tmp_path, doubled) == ["line 3, column 1: duplicate key 'channels'"]
    assert problems_of(tmp_path, "- a list\n")[0].startswith("(profile): expected a mapping")


def test_yes_no_and_dates_from_yaml(tmp_path):
    text = yaml.safe_dump(minimal(), allow_unicode=True).replace("id: north", "id: no")
    text += "privacy:\n  notice_version: 2026-11-01\n"
    problems = problems_of(tmp_path, text)
    assert len(problems) == 1
    assert problems[0].startswith("services[0].fields[1].choices[0].id: expected an id, got false")
    profile = load_profile(write(tmp_path, text.replace("id: no", "id: 'no'")))
    assert profile.privacy.notice_version == "2026-11-01"


def test_direct_construction_checks_references_too():
    data = minimal()
    data["faq"]["entries"][0]["category"] = "missing"
    with pytest.raises(ValidationError, match="unknown category 'missing'"):
        Profile.model_validate(data)


# ------------------------------------------------------------------------ localized texts


def test_localized_text_fallback():
    only_ar = LocalizedText("طلب دعم")
    assert only_ar.get("ar") == "طلب دعم"
    assert only_ar.get("en") == "طلب دعم"  # falls back to Arabic
    assert only_ar.get("fr") == "طلب دعم"
    assert only_ar.get(None) == "طلب دعم"
    assert only_ar.en is None
    assert str(only_ar) == "طلب دعم"

    both = LocalizedText(" طلب دعم ", en="Support request")
    assert both.ar == "طلب دعم"
    assert both.get("en") == "Support request"
    assert both.get("en-GB") == "Support request"
    assert both.get("ar-SA") == "طلب دعم"
    assert both.to_data() == {"ar": "طلب دعم", "en": "Support request"}
    assert only_ar.to_data() == "طلب دعم"
    assert both == LocalizedText("طلب دعم", "Support request") and hash(both)
    with pytest.raises(AttributeError):
        both._ar = "x"  # type: ignore[misc]


def test_localized_text_in_yaml(tmp_path):
    data = minimal()
    profile = load_profile(write(tmp_path, data))
    assert profile.service("aid").title.get("en") == "Support request"
    assert profile.association.name.get("en") == "جمعية تجريبية"

    data["services"][0]["title"] = {"en": "Support request"}
    data["services"][0]["fields"][0]["label"] = {"ar": "الاسم", "fr": "Nom"}
    data["faq"]["entries"][0]["question"] = ""
    problems = problems_of(tmp_path, data)
    assert "services[0].title: the Arabic text 'ar' is required" in problems
    assert (
        "services[0].fields[0].label: unknown language 'fr' (expected 'ar' and optionally 'en')"
        in problems
    )
    assert "faq.entries[0].question: must not be empty" in problems


def test_titles_stay_short(tmp_path):
    data = minimal()
    data["services"][0]["title"] = "ط" * 70
    problems = problems_of(tmp_path, data)
    assert len(problems) == 1 and problems[0].startswith("services[0].title: too long: 70")


def test_default_texts_are_catalog_messages():
    """Built-in defaults are gettext msgids, and their Arabic is handed in with this module."""
    catalog = json.loads((ROOT / "locales" / "incoming" / "profile.ar.json").read_text("utf-8"))
    msgids = [DEFAULT_DECLARATION, DEFAULT_PRIVACY_NOTICE, *DEFAULT_SURVEY_QUESTIONS.values()]
    msgids += [kind.label for kind in ServiceKind] + [kind.label for kind in ComplaintType]
    for msgid in msgids:
        assert catalog.get(msgid), msgid
    assert catalog[DEFAULT_DECLARATION] == (
        "أُقِرّ بأن جميع البيانات والمستندات المقدَّمة صحيحة، وأتحمّل المسؤولية المباشرة عن صحتها."
    )
    text = LocalizedText.from_msgid(DEFAULT_DECLARATION)
    assert text.msgid == DEFAULT_DECLARATION


# ------------------------------------------------------------------------ helpers


@pytest.mark.parametrize(
    "html, problem",
    [
        ("<b>نص</b> و<i>مائل</i>", None),
        ('<a href="https://example.org.sa">رابط</a>', None),
        ("أ &amp; ب &lt;3", None),
        ("<b>نص", "<b> is never closed"),
        ("<b><i>نص</b></i>", "</b> closes a tag that is not open"),
        ("<div>نص</div>", "tag <div> is not supported by Telegram (use b, i, u, s, a, code, pre)"),
        ("أ & ب", "a bare '&' must be written &amp;"),
        ("٣ < ٤", "a bare '<' or '>' must be written &lt; or &gt;"),
        ("<br/>", "tag <br> is not supported by Telegram (use b, i, u, s, a, code, pre)"),
    ],
)
def test_telegram_html(html, problem):
    assert telegram_html_problem(html) == problem


def test_normalize_arabic():
    assert normalize_arabic("  مَتى الدّوام؟ ") == normalize_arabic("متى الدوام")
    assert normalize_arabic("إستمارة") == normalize_arabic("استماره")
    assert normalize_arabic("على") == normalize_arabic("علي")
