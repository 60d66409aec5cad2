"""The catalogue's filters (django-filter).

One GET form holds every filter so that a URL can be shared. What the
FilterSet applies itself: fields x complexity range, a topic, and "needs review"
(a quality figure past its threshold: videos.quality). The search
box (`q`) and the sort are part of the same form but are applied by
`videos.catalogue.pages.summary_catalogue`, the next steps of the pipeline.

Bad input never fails the page:
- unknown fields are dropped (and named in a note);
- a range given the wrong way round (min above max) is read the right way
  round: someone who types 0.8 to 0.3 means "between 0.3 and 0.8";
- a complexity that is not a number in [0, 1] is ignored, with the form's error;
- NUL and other control characters are removed from text, and the search is
  cut to SEARCH_MAX_CHARS.
"""

from __future__ import annotations

import re
from decimal import Decimal

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django_filters.fields import ChoiceField

from .models import PromptTemplate, SummaryGeneralTopic, SummaryTopic, normalize_topic
from .quality import needs_review_q

SEARCH_MAX_CHARS = 500
TOPIC_MAX_CHARS = 120

# The first choice is the default: best match when searching, else newest. "relevance"
# was once a choice of its own that sorted the same way; SortField still reads it.
SORT_CHOICES = [
    ("", "Best match, else newest"),
    ("newest", "Newest"),
    ("complexity_asc", "Complexity ↑ (easiest first)"),
    ("complexity_desc", "Complexity ↓ (hardest first)"),
    ("title", "Title A–Z"),
]
# Sorts that old links and bookmarks may still carry, and the choice each now means.
LEGACY_SORTS = {"relevance": ""}

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def catalogue_fields(templates=None) -> list[str]:
    """Every field a template offers: the default templates' lists first, in their order.
    `templates`: already read in that order (else they are read here)."""
    if templates is None:
        templates = PromptTemplate.objects.order_by("-is_default", "name", "-version").only("general_topics")
    seen: dict[str, None] = {}
    for template in templates:
        fields = template.general_topics
        for name in fields if isinstance(fields, list) else []:
            if isinstance(name, str):
                seen.setdefault(name, None)
    return list(seen)


class CleanTextField(forms.CharField):
    """Free text with control characters (NUL included) removed, spaces collapsed,
    and cut to `max_chars` rather than refused: a long paste still searches."""

    def __init__(self, *, max_chars: int, **kwargs):
        self.max_chars = max_chars
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        value = " ".join(_CONTROL_CHARS.sub(" ", value).split())
        return value[: self.max_chars].strip()


class CleanTextFilter(django_filters.CharFilter):
    field_class = CleanTextField


class LenientMultipleChoiceField(forms.MultipleChoiceField):
    """Keeps the known choices and drops the rest instead of refusing the whole list."""

    def to_python(self, value):
        values = super().to_python(value)
        return [v for v in values if self.valid_value(v)]


class LenientMultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    field_class = LenientMultipleChoiceField


class SortField(ChoiceField):
    """The sort menu; a legacy value (LEGACY_SORTS) is read as the choice that replaced
    it, so an old link sorts as before instead of showing a form error."""

    def to_python(self, value):
        value = super().to_python(value)
        return LEGACY_SORTS.get(value, value)


class SortFilter(django_filters.ChoiceFilter):
    field_class = SortField


class CatalogueForm(forms.Form):
    def clean(self):
        data = super().clean()
        self.notes: list[str] = []
        lo, hi = data.get("cmin"), data.get("cmax")
        if lo is not None and hi is not None and lo > hi:
            data["cmin"], data["cmax"] = hi, lo
            self.notes.append(f"The complexity range was given the wrong way round; showing {hi:.2f} to {lo:.2f}.")
        raw_fields = self.data.getlist("field") if hasattr(self.data, "getlist") else []
        dropped = [f for f in raw_fields if f not in data.get("field", [])]
        if dropped:
            self.notes.append("Unknown field ignored: " + ", ".join(d[:120] for d in dropped[:5]))
        return data


def _complexity_filter(label: str) -> django_filters.NumberFilter:
    return django_filters.NumberFilter(
        label=label,
        min_value=Decimal("0"),
        max_value=Decimal("1"),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "1", "inputmode": "decimal", "list": "scale-bands"}),
    )


class SummaryFilter(django_filters.FilterSet):
    field = LenientMultipleChoiceFilter(label="Fields", choices=[], widget=forms.CheckboxSelectMultiple)
    cmin = _complexity_filter("Complexity from")
    cmax = _complexity_filter("to")
    topic = CleanTextFilter(
        label="Topic",
        max_chars=TOPIC_MAX_CHARS,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Hash tables", "autocomplete": "off"}),
    )
    # Applied by the selector (search and ordering steps), declared here so one form holds every filter.
    q = CleanTextFilter(
        label="Search",
        max_chars=SEARCH_MAX_CHARS,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Title, introduction, bullets, topics…", "autocomplete": "off"}),
    )
    sort = SortFilter(label="Sort", choices=SORT_CHOICES[1:], empty_label=SORT_CHOICES[0][1])
    # Summaries with a quality figure past its threshold (videos.quality, settings.SUMMARY_REVIEW_THRESHOLDS).
    needs_review = django_filters.BooleanFilter(label="Needs review", widget=forms.CheckboxInput)

    class Meta:
        form = CatalogueForm
        fields: list[str] = []

    def __init__(self, *args, fields: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = fields if fields is not None else catalogue_fields()
        self.filters["field"].extra["choices"] = [(f, f) for f in choices]

    @property
    def notes(self) -> list[str]:
        return getattr(self.form, "notes", []) if self.is_bound else []

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        fields, lo, hi = data.get("field") or [], data.get("cmin"), data.get("cmax")
        if fields or lo is not None or hi is not None:
            # One general topic must satisfy every condition at once: a summary
            # with Quantum Computing at 0.2 and Algorithms at 0.9 does not match
            # "Quantum Computing from 0.8".
            general = SummaryGeneralTopic.objects.filter(summary=OuterRef("pk"))
            if fields:
                general = general.filter(field__in=fields)
            if lo is not None:
                general = general.filter(complexity__gte=lo)
            if hi is not None:
                general = general.filter(complexity__lte=hi)
            queryset = queryset.filter(Exists(general))
        if data.get("needs_review"):
            queryset = queryset.filter(needs_review_q("result__"))
        topic = normalize_topic(data.get("topic") or "")
        if topic:
            queryset = queryset.filter(
                Exists(SummaryTopic.objects.filter(summary=OuterRef("pk"), topic__normalized=topic))
            )
        return queryset
