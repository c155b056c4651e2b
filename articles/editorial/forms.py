"""Admin forms: the story form, its Also Read link rows and the tag inputs.

Every rule a browser could skip is checked here again on the server: the body is sanitised
whatever the editor sent, writers cannot choose a publishing status or time, a stale
revision is refused, and unpublishing a story others link to needs a confirmation.
"""

import csv

from django import forms
from django.contrib.admin.models import LogEntry
from django.contrib.admin.widgets import AutocompleteSelect
from django.urls import reverse, reverse_lazy
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator, capfirst
from django.utils.timezone import localtime
from django_prose_editor.widgets import AdminProseEditorWidget
from taggit.forms import TagField, TagWidget

from articles import images, text
from articles.models import TAG_KINDS, Article, Country, CrossLink, Person, Topic, tag_model

from . import editing

BODY_PHOTO_HINT = (
    "photos in a story come from the image library; pick one with “Browse…” in the figure "
    "dialog, or add it to the library first."
)
# What the editor's toolbar offers; the server-side allow-list is ``text.sanitise_html``.
PROSE_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Strike": True,
    "Underline": True,
    "Subscript": True,
    "Superscript": True,
    "HardBreak": True,
    "Heading": {"levels": [2, 3, 4]},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HorizontalRule": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
    "History": True,
    # Photos from the image library (its picker: ImageAdmin.picker_view), with a caption.
    "Figure": {"pickerUrl": reverse_lazy("admin:articles_image_pick")},
    "Image": True,
    "Caption": True,
}
EDITOR_STATUSES = {Article.Status.DRAFT, Article.Status.REVIEW}
SAVED_STATUSES = set(Article.Status) - {Article.Status.WITHDRAWN}
MISSING_REVISION = (
    "Not saved: the form did not say which version of the story it was opened at, so "
    "saving it could undo changes made since. Your changes are still in the form below: "
    "copy them, reload this page and make them again."
)
END_LIST_LABEL = "Related stories list (end)"
OLD_ADDRESS_NEEDS_EDITOR = (
    "“%(slug)s” is an old address of the story “%(headline)s”; only an editor can give it to "
    "another story."
)


class TagSuggestWidget(TagWidget):
    """A comma-separated tag input that suggests existing names as the editor types.

    Suggestions come from the tag admin's ``suggest`` view into a native ``<datalist>``, so
    the input stays a plain text box: new names can be typed, and it works without JS.
    """

    def __init__(self, model_name: str, attrs=None):
        self.model_name = model_name
        super().__init__(attrs={"class": "vTextField", "autocomplete": "off", **(attrs or {})})

    class Media:
        js = ["articles/admin/tag_suggest.js"]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        list_id = f"{context['widget']['attrs'].get('id', name)}-suggestions"
        context["widget"]["attrs"]["list"] = list_id
        context["widget"]["attrs"]["data-suggest-url"] = reverse(
            f"admin:articles_{self.model_name}_suggest"
        )
        return context

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        list_id = f"{(attrs or {}).get('id', name)}-suggestions"
        return format_html('{}<datalist id="{}"></datalist>', html, list_id)


def parse_tag_names(value: str) -> list[str]:
    """The names in a tag input, as the editor typed them: commas separate names, spaces
    never do (``Joe Biden`` is one person). A name holding a comma may be written in double
    quotes, a quote inside it doubled, as ``tag_names_text`` writes it. Sorted, each once.

    Taggit's ``TagField`` and ``TagWidget`` use this pair through the settings
    ``TAGGIT_TAGS_FROM_STRING`` and ``TAGGIT_STRING_FROM_TAGS``; taggit's own parser splits
    on spaces when there is no comma.
    """
    line = " ".join(value.splitlines())  # a text input has one line; a crafted POST may not
    try:
        names = [
            text.collapse_whitespace(name)
            for row in csv.reader([line], skipinitialspace=True)
            for name in row
        ]
    except csv.Error as error:
        raise ValueError(str(error)) from None
    return sorted({name for name in names if name})


def tag_names_text(tags) -> str:
    """What a tag input shows for ``tags``: their names joined by ", ", those holding a
    comma or a double quote quoted so that ``parse_tag_names`` reads each back as one.
    ``tag_suggest.js`` quotes the names it inserts the same way."""
    return ", ".join(quoted_tag_name(tag.name) for tag in sorted(tags, key=lambda t: t.name))


def quoted_tag_name(name: str) -> str:
    if "," in name or '"' in name:
        return '"{}"'.format(name.replace('"', '""'))
    return name


class NewsTagField(TagField):
    """The names of one tag kind (``tag_model``), each brought to its stored spelling by the
    kind's ``normalise_name``, and another name of a tag (an alias) to that tag's name; a
    name it refuses (empty, too long, no address) is a form error, not a failed save."""

    tag_model = None

    def clean(self, value):
        names, refused = [], []
        for name in super().clean(value):
            try:
                names.append(self.tag_model.normalise_name(name))
            except ValueError as error:
                refused.append(self.refusal(name, error))
        if refused:
            raise forms.ValidationError(refused, code="invalid_name")
        aliased = self.tag_model.aliased(names)
        return sorted(
            dict.fromkeys(aliased[name].name if name in aliased else name for name in names)
        )

    def refusal(self, name: str, error: ValueError) -> str:
        return f"{capfirst(str(error))}."


class PeopleField(NewsTagField):
    tag_model = Person


class TopicsField(NewsTagField):
    tag_model = Topic


class CountriesField(NewsTagField):
    """Countries by name, common name or ISO code, each brought to its canonical name."""

    tag_model = Country

    def refusal(self, name, error):
        return (
            f"Unknown country: “{name}”. Use a name such as “Israel” or a two-letter ISO "
            "code such as “IL”; separate countries with commas."
        )


class NamedModelForm(forms.ModelForm):
    """The admin form of a section, an author or a tag: its name goes through the model's
    ``normalise_name``, so a name the model would refuse on save (empty, too long, no
    letter or digit to make an address from) is a form error instead of a server error."""

    def clean_name(self):
        try:
            return self._meta.model.normalise_name(self.cleaned_data["name"])
        except ValueError as error:
            raise forms.ValidationError(self.refusal(error), code="invalid_name") from None

    def refusal(self, error: ValueError) -> str:
        return f"{capfirst(str(error))}."


class IdentifiedTagForm(NamedModelForm):
    """A person or topic: also takes its Wikidata item as its address or in lower case."""

    wikidata_id = forms.CharField(
        label="Wikidata ID",
        required=False,
        max_length=200,  # room for the item's address, pasted whole
        help_text="The item's identifier on wikidata.org, such as Q7747 (or its address); "
        "entered by hand, nothing is fetched.",
    )

    def clean_wikidata_id(self):
        value = text.collapse_whitespace(self.cleaned_data.get("wikidata_id") or "")
        return value.rsplit("/", 1)[-1].upper() if value else ""


class CountryForm(NamedModelForm):
    def refusal(self, error):
        return "Not a country: use a name such as “Israel” or an ISO code such as “IL”."


class KnownChoiceAutocompleteSelect(AutocompleteSelect):
    """Admin autocomplete that labels an already-loaded choice without a query per row.

    Django's widget looks up the selected object for every rendered row; inline rows already
    carry it through ``select_related``, so the form hands it over as ``known``. Overrides
    the widget's ``optgroups``, not a documented hook: ``tests/test_private_apis.py`` pins it.
    """

    known: dict = {}

    def optgroups(self, name, value, attr=None):
        selected = {str(v) for v in value if v not in self.choices.field.empty_values}
        known = {str(pk): obj for pk, obj in self.known.items() if obj is not None}
        if not selected <= set(known):
            return super().optgroups(name, value, attr)
        options = [
            self.create_option(name, pk, str(known[pk]), True, index)
            for index, pk in enumerate(sorted(selected))
        ]
        if not self.is_required and not self.allow_multiple_selected:
            options.insert(0, self.create_option(name, "", "", False, 0))
        return [(None, options, 0)]


def use_known_choice(form, field_name: str, obj):
    """Hand a row's already-loaded related object to its autocomplete widget."""
    widget = form.fields[field_name].widget
    widget = getattr(widget, "widget", widget)  # inside the admin's RelatedFieldWidgetWrapper
    if isinstance(widget, KnownChoiceAutocompleteSelect):
        widget.known = {obj.pk: obj} if obj is not None else {}


def paragraph_choices(paragraphs: list[str]) -> list[tuple[int | str, str]]:
    """Placements an Also Read box can take in a body, each named by its paragraph.

    ``placements.js`` builds the same labels in the browser while the body is edited.
    """
    choices: list[tuple[int | str, str]] = [("", END_LIST_LABEL)]
    if paragraphs:
        choices.append((0, "At the top, before ¶1"))
    for number, block in enumerate(paragraphs, start=1):
        words = Truncator(text.html_to_text(block)).words(8)
        words = words or ("(photo)" if "<img" in block else "")
        choices.append((number, f"After ¶{number}: {words}"))
    return choices


def placement_paragraphs(article: Article | None, posted_body: str | None) -> list[str]:
    """The paragraphs links are placed among: the body being saved, else the stored one.

    On a save, placements refer to the body in the same POST (the editor placed them
    against what was on screen), after its own Also Read lines are lifted out.
    """
    if posted_body is not None:
        try:
            return text.html_blocks(editing.split_wire_copy(body=posted_body).body)
        except text.EmptyLinkError:
            pass  # the body field reports it; fall back to the stored body
    return article.paragraphs if article is not None else []


class CrossLinkInlineForm(forms.ModelForm):
    """One Also Read link: a story picked by headline, or a headline still pending."""

    placement_choices: list = [("", END_LIST_LABEL)]

    placement = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Where the Also Read box sits in the body.",
    )

    class Meta:
        model = CrossLink
        fields = ["target", "target_headline", "placement", "order"]
        labels = {"target": "Story", "target_headline": "Headline as written"}
        help_texts = {
            "target": "Type a few words of the headline.",
            "target_headline": "Kept while the story does not exist yet (pending).",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = list(self.placement_choices)
        current = self.instance.placement
        if current is not None and current not in {value for value, _ in choices}:
            choices.append((current, f"After ¶{current} (the body is shorter now)"))
        self.fields["placement"].choices = choices
        self.fields["target_headline"].required = False
        if "target" in self.fields:
            use_known_choice(self, "target", self.instance.target if self.instance.pk else None)

    def clean(self):
        cleaned = super().clean()
        target = cleaned.get("target")
        if target is not None:
            cleaned["target_headline"] = target.headline
        elif not text.collapse_whitespace(cleaned.get("target_headline") or ""):
            self.add_error(
                "target", "Pick a story, or write the headline of the story still to come."
            )
        return cleaned


class BylineInlineForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "author" in self.fields:
            use_known_choice(self, "author", self.instance.author if self.instance.pk else None)


class ArticleAdminForm(forms.ModelForm):
    """The story form. ``can_publish`` is set per request by ``ArticleAdmin.get_form``."""

    can_publish = False

    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)
    confirm_unpublish = forms.BooleanField(
        required=False,
        label="Take it out of those stories' Also Read boxes",
        help_text="Needed to archive or un-publish a story that live stories link to.",
    )

    class Meta:
        model = Article
        fields = [
            "headline",
            "slug",
            "standfirst",
            "body",
            "status",
            "published_at",
            "story_type",
            "dateline",
            "section",
            "source",
            *TAG_KINDS,
            "lead_image",
        ]
        field_classes = {
            "people": PeopleField,
            "countries": CountriesField,
            "topics": TopicsField,
        }
        widgets = {
            "body": AdminProseEditorWidget(
                preset="configurable", config={"extensions": PROSE_EXTENSIONS}
            ),
            **{kind: TagSuggestWidget(tag_model(kind)._meta.model_name) for kind in TAG_KINDS},
            "standfirst": forms.Textarea(attrs={"rows": 2, "cols": 80}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.wire_links: list[text.LinkSpec] = []
        if self.instance.pk:
            self.fields["base_revision"].initial = self.instance.revision
        status = self.fields.get("status")
        if status is not None:
            # A takedown is its own act (editing.take_down), never a status picked here.
            offered = EDITOR_STATUSES if not self.can_publish else SAVED_STATUSES
            status.choices = [(v, label) for v, label in status.choices if v in offered]

    def clean_slug(self):
        # An old address of a story that is not live may be given to another story by an
        # editor (the redirect goes), not by a writer. Live stories keep theirs whoever
        # asks (Article.clean).
        slug = self.cleaned_data["slug"]
        owner = Article.objects.exclude(pk=self.instance.pk).redirected_from(slug)
        if owner is not None and not owner.is_live() and not self.can_publish:
            raise forms.ValidationError(
                OLD_ADDRESS_NEEDS_EDITOR,
                params={"slug": slug, "headline": owner.headline},
                code="old_address",
            )
        return slug

    def clean_body(self):
        try:
            copy = editing.split_wire_copy(body=self.cleaned_data.get("body") or "")
        except text.EmptyLinkError:
            raise forms.ValidationError(
                "An “Also Read:” or “Related:” paragraph needs the headline after it.",
                code="empty_link",
            ) from None
        if not copy.body:
            raise forms.ValidationError("Write the story's paragraphs.", code="required")
        body, problems = images.library_body(copy.body)
        if problems:
            raise forms.ValidationError(
                [f"{capfirst(problem)}: {BODY_PHOTO_HINT}" for problem in problems],
                code="photo_not_in_library",
            )
        self.wire_links = copy.links
        return body

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status", self.instance.status)
        if not self.can_publish:
            # Writers never see these fields; a crafted POST that sends them is refused.
            if status not in EDITOR_STATUSES:
                self.add_error("status", "Only editors can publish or archive a story.")
            if "published_at" in cleaned or "updated_at" in cleaned:
                raise forms.ValidationError("Only editors can set publication times.")
        elif status == Article.Status.PUBLISHED and not cleaned.get("published_at"):
            # "Published" with no time means now.
            cleaned["published_at"] = self.instance.published_at or localtime()
        if self.instance.pk:
            self._check_revision(cleaned)
            self._check_unpublish(cleaned, status)
        return cleaned

    def _check_revision(self, cleaned):
        if cleaned.get("base_revision") is None:
            raise forms.ValidationError(MISSING_REVISION, code="missing_revision")
        try:
            editing.check_revision(
                article=self.instance, base_revision=cleaned.get("base_revision")
            )
        except editing.StaleRevision:
            stored = Article.objects.get(pk=self.instance.pk)
            raise forms.ValidationError(
                stale_message(stored, cleaned, self.fields), code="stale_revision"
            ) from None

    def _check_unpublish(self, cleaned, status):
        if (
            self.instance.status != Article.Status.PUBLISHED
            or status == Article.Status.PUBLISHED
            or cleaned.get("confirm_unpublish")
        ):
            return
        inbound = list(editing.live_inbound_links(self.instance))
        if inbound:
            self.add_error(
                "status",
                format_html(
                    "These live stories link to this one, and their Also Read boxes will "
                    "drop it: {}. Tick “{}” to go ahead.",
                    source_links(inbound),
                    self.fields["confirm_unpublish"].label,
                ),
            )


HEADLINE_ON_NOTICE = {"default": None, "withhold": True, "show": False}


class TakedownForm(forms.Form):
    """Why a story is taken down, what readers are told, and the revision it was seen at."""

    reason = forms.ChoiceField(choices=Article.TakedownReason.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label="Public note",
        required=False,
        max_length=Article._meta.get_field("takedown_note").max_length,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Optional; shown to readers on the notice at the story's address.",
    )
    headline = forms.ChoiceField(
        label="Headline on the notice",
        choices=[
            ("default", "Withhold it for legal and privacy reasons, show it for an error"),
            ("withhold", "Withhold it"),
            ("show", "Show it"),
        ],
        initial="default",
        widget=forms.RadioSelect,
    )
    base_revision = forms.IntegerField(widget=forms.HiddenInput)

    @property
    def withhold_headline(self) -> bool | None:
        return HEADLINE_ON_NOTICE[self.cleaned_data["headline"]]


class ReverseTakedownForm(forms.Form):
    base_revision = forms.IntegerField(widget=forms.HiddenInput)


def source_links(links):
    return format_html_join(
        ", ",
        '<a href="{}" target="_blank">{}</a>',
        (
            (reverse("admin:articles_article_change", args=[link.source_id]), link.source.headline)
            for link in links
        ),
    )


def stale_message(stored: Article, cleaned: dict, fields) -> str:
    """Explain a refused save: who saved meanwhile, what differs, where to see it."""
    differs = [
        fields[name].label or name
        for name in ("headline", "slug", "standfirst", "body", "status", "published_at", "section")
        if name in cleaned and name in fields and cleaned[name] != getattr(stored, name)
    ] + [
        fields[kind].label or kind
        for kind in TAG_KINDS
        if kind in cleaned and sorted(cleaned[kind]) != sorted(getattr(stored, kind).names())
    ]
    entry = (
        LogEntry.objects.filter(
            content_type__app_label="articles",
            content_type__model="article",
            object_id=str(stored.pk),
        )
        .select_related("user")
        .order_by("-action_time")
        .first()
    )
    who = f"{entry.user} at {localize(localtime(entry.action_time))}" if entry else "someone"
    return format_html(
        "Not saved: this story was saved by {} after you opened it (it is now at revision {}). "
        "Your changes are still in the form below. Where yours differ from the saved "
        "version: {}. <a href='{}' target='_blank'>Open the saved version</a> or "
        "<a href='{}' target='_blank'>its history</a>, then reload this page and make "
        "your changes again.",
        who,
        stored.revision,
        ", ".join(str(label) for label in differs) or "nothing in the main fields",
        reverse("admin:articles_article_change", args=[stored.pk]),
        reverse("admin:articles_article_history", args=[stored.pk]),
    )
