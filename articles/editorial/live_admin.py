"""The admin of live coverage and the breaking-news banner.

A story's **Live coverage** page (``/admin/articles/liveentry/story/<id>/``, linked from the
story's form) is the desk's: where coverage stands, Start and End for editors, a quick entry
form (one box, a key-event tick, a button), and the entries newest first with links to edit
or delete each. Editing an entry is the live entry's own change form, guarded by its
revision. The rules are ``articles.editorial.live``'s; every one is checked here on the
server, so a hidden button is a convenience, not the protection.
"""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.middleware.csp import get_nonce
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.text import Truncator
from django.views.decorators.csp import csp_override
from django_prose_editor.widgets import AdminProseEditorWidget
from js_asset.media import Media as JsAssetMedia

from articles import caching
from articles.models import Article, BreakingNews, LiveEntry

from . import live
from .forms import PROSE_EXTENSIONS

# The coverage page lists this many entries; the live entries list has them all.
ENTRIES_SHOWN = 50
# A new banner is shown this long unless the editor says otherwise.
BANNER_HOURS = 4
# The prose editor needs inline styles, as on the story form; scripts stay nonce-only.
prose_editor_policy = csp_override(
    settings.SECURE_CSP | {"style-src": [CSP.SELF, CSP.UNSAFE_INLINE]}
)


def prose_editor(rows: int = 6):
    return AdminProseEditorWidget(
        preset="configurable", config={"extensions": PROSE_EXTENSIONS}, attrs={"rows": rows}
    )


def with_nonce(media, request):
    """The prose editor loads through an inline import map, admitted by this request's
    nonce rather than by allowing inline scripts."""
    return JsAssetMedia.from_media(media, nonce=get_nonce(request))


class QuickEntryForm(forms.Form):
    """One box, a tick and a button: what a desk posting every minute needs."""

    body = forms.CharField(label="New entry", widget=prose_editor(rows=4))
    is_key = forms.BooleanField(label="Key event", required=False)


class CoverageForm(forms.Form):
    """Start (with an optional end time) or end (now, or at a time) a story's coverage."""

    action = forms.ChoiceField(
        choices=[("start", "start"), ("end", "end")], widget=forms.HiddenInput
    )
    ends_at = forms.SplitDateTimeField(
        label="Ends at",
        required=False,
        widget=AdminSplitDateTime,
        help_text="Optional. Empty: coverage runs until an editor ends it (or, when ending, "
        "it ends now).",
    )


class LiveEntryForm(forms.ModelForm):
    base_revision = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = LiveEntry
        fields = ["headline", "body", "is_key", "authors"]
        widgets = {"body": prose_editor()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["base_revision"].initial = self.instance.revision

    def clean(self):
        cleaned = super().clean()
        try:
            # Inside the admin's transaction: the entry stays locked until it is saved.
            live.check_entry_revision(
                entry=self.instance, base_revision=cleaned.get("base_revision")
            )
        except live.StaleEntry as stale:
            message = live.GONE_ENTRY if stale.args[0] is None else live.STALE_ENTRY
            raise forms.ValidationError(message, code="stale_entry") from None
        return cleaned


@admin.register(LiveEntry)
class LiveEntryAdmin(admin.ModelAdmin):
    form = LiveEntryForm
    list_display = ["created_at", "excerpt", "is_key", "article", "updated_at"]
    list_filter = ["is_key", "created_at"]
    list_select_related = ["article"]
    search_fields = ["headline", "body", "article__headline"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["authors"]
    readonly_fields = ["article", "created_at", "updated_at"]
    fields = ["article", "created_at", "updated_at", "headline", "body", "is_key", "authors"]
    show_full_result_count = False

    def get_fieldsets(self, request, obj=None):
        # The revision the edit began from travels with the form; a reader has no form.
        editable = obj is not None and self.has_change_permission(request, obj)
        return [(None, {"fields": [*self.fields, *(["base_revision"] if editable else [])]})]

    @admin.display(description="entry")
    def excerpt(self, entry):
        return Truncator(entry.summary).chars(100)

    # Permissions: the rules of articles.editorial.live -------------------------------------

    def has_add_permission(self, request):
        return False  # entries are posted on their story's coverage page, where it runs

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or live.may_edit_entries(request.user, obj.article))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and live.may_delete_entries(request.user)

    # Writes ----------------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        live.save_entry(
            entry=obj, base_revision=form.cleaned_data["base_revision"], user=request.user
        )

    @transaction.atomic
    def delete_model(self, request, obj):
        live.delete_entry(entry=obj, user=request.user)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for entry in queryset.select_related("article"):
            live.delete_entry(entry=entry, user=request.user)

    def render_change_form(self, request, context, *args, **kwargs):
        context["media"] = with_nonce(context["media"], request)
        return super().render_change_form(request, context, *args, **kwargs)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return prose_editor_policy(super().changeform_view)(
            request, object_id, form_url, extra_context
        )

    def response_post_save_change(self, request, obj):
        return HttpResponseRedirect(coverage_url(obj.article))

    def delete_view(self, request, object_id, extra_context=None):
        """Back to the story's coverage page once the entry is deleted."""
        entry = self.get_object(request, object_id)
        response = super().delete_view(request, object_id, extra_context)
        deleted = entry is not None and not LiveEntry.objects.filter(pk=entry.pk).exists()
        if request.method == "POST" and response.status_code == 302 and deleted:
            return HttpResponseRedirect(coverage_url(entry.article))
        return response

    def view_on_site(self, obj):
        return obj.get_absolute_url() if obj.article.is_live() else None

    # The story's coverage page ---------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "story/<int:article_id>/",
                self.admin_site.admin_view(prose_editor_policy(self.coverage_view)),
                name="articles_liveentry_coverage",
            ),
            *super().get_urls(),
        ]

    def coverage_view(self, request, article_id: int):
        """Where the story's coverage stands, Start and End (editors), the quick entry
        form (who may post while it runs) and its entries, newest first."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        article = get_object_or_404(Article, pk=article_id)
        entry_form = QuickEntryForm()
        coverage_form = CoverageForm(initial={"action": "end" if article.covered_live else "start"})
        if request.method == "POST":
            action = request.POST.get("action")
            if action == "post":
                entry_form = QuickEntryForm(request.POST)
                if self._post(request, article, entry_form):
                    return HttpResponseRedirect(coverage_url(article))
            elif action in ("start", "end"):
                coverage_form = CoverageForm(request.POST)
                if self._start_or_end(request, article, coverage_form):
                    return HttpResponseRedirect(coverage_url(article))
            else:
                raise Http404("No such action.")
        return self._coverage_page(request, article, entry_form, coverage_form)

    def _post(self, request, article, form) -> bool:
        if not live.may_post(request.user, article):
            raise PermissionDenied
        if not form.is_valid():
            return False
        try:
            live.post_entry(
                article=article,
                body=form.cleaned_data["body"],
                is_key=form.cleaned_data["is_key"],
                user=request.user,
            )
        except ValidationError as error:
            # Coverage ended (or the story left the site) meanwhile: the page has no form to
            # show the refusal on any more.
            self.message_user(request, f"Not posted: {' '.join(error.messages)}", messages.ERROR)
            return False
        self.message_user(request, "Posted.", messages.SUCCESS)
        return True

    def _start_or_end(self, request, article, form) -> bool:
        if not live.may_manage_coverage(request.user):
            raise PermissionDenied
        if not form.is_valid():
            return False
        starting = form.cleaned_data["action"] == "start"
        at = form.cleaned_data["ends_at"]
        try:
            if starting:
                live.start_coverage(article=article, ends_at=at, user=request.user)
            else:
                live.end_coverage(article=article, at=at, user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
            return False
        message = "Started live coverage." if starting else "Ended live coverage."
        if at is not None:
            message += f" It ends {live.format_time(at)}."
        # In the story's history too: a story form opened before is refused, and its
        # message names who changed the story (editing.check_revision).
        admin.site.get_model_admin(Article).log_change(request, article, message)
        self.message_user(request, message, messages.SUCCESS)
        return True

    def _coverage_page(self, request, article, entry_form, coverage_form):
        entries = list(LiveEntry.objects.filter(article=article).for_page()[: ENTRIES_SHOWN + 1])
        can_post = live.may_post(request.user, article) and live.posting_refusal(article) is None
        media = with_nonce(self.media + entry_form.media + coverage_form.media, request)
        return TemplateResponse(
            request,
            "admin/articles/live_coverage.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Live coverage: {article.headline}",
                "opts": self.opts,
                "story": article,
                "state": article.coverage_state(),
                "entries": entries[:ENTRIES_SHOWN],
                "more_entries": len(entries) > ENTRIES_SHOWN,
                "entry_form": entry_form if can_post else None,
                "coverage_form": coverage_form,
                "can_manage": live.may_manage_coverage(request.user) and article.is_live(),
                "can_edit": live.may_edit_entries(request.user, article),
                "can_delete": live.may_delete_entries(request.user),
                "media": media,
            },
        )


def coverage_url(article: Article) -> str:
    return reverse("admin:articles_liveentry_coverage", args=[article.pk])


# The breaking-news banner ----------------------------------------------------------------------


class BreakingNewsForm(forms.ModelForm):
    class Meta:
        model = BreakingNews
        fields = ["text", "link", "expires_at"]
        widgets = {"text": forms.TextInput(attrs={"size": 80})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["expires_at"].initial = timezone.now() + timedelta(hours=BANNER_HOURS)

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        if expires_at <= timezone.now():
            raise forms.ValidationError("Choose a time still to come.", code="in_the_past")
        return expires_at


@admin.register(BreakingNews)
class BreakingNewsAdmin(admin.ModelAdmin):
    """Editors set the banner (a new one replaces the one shown) and clear it; readers see
    either on their next request (its save is public content: ``articles.caching``)."""

    form = BreakingNewsForm
    list_display = ["text", "link", "expires_at", "shown", "created_by"]
    list_select_related = ["created_by"]
    actions = ["clear_selected"]

    @admin.display(boolean=True, description="shown now")
    def shown(self, banner):
        return banner.is_shown()

    def _editor(self, request) -> bool:
        return live.may_manage_coverage(request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._editor(request)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._editor(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._editor(request)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._editor(request)

    def save_model(self, request, obj, form, change):
        obj.created_by = obj.created_by or request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Clear selected banners now", permissions=["change"])
    def clear_selected(self, request, queryset):
        now = timezone.now()
        cleared = queryset.filter(expires_at__gt=now).update(expires_at=now)
        caching.content_changed()  # update() sends no signal; the banner is on every page
        self.message_user(request, f"Cleared {cleared} banner(s).", messages.SUCCESS)
