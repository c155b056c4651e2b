"""Corrections and clarifications: editors tell readers what a live story got wrong or left
unclear, tied to the revision of the story that made the change.

Only editors (``articles.publish_article``) add or amend a notice, and only on a story
readers can see. Each one is written with the story's lock held, moves the story's revision
(a story form opened before it is refused, not silently undoing it) and its updated time,
and is recorded in the audit log, all in one transaction. The notice's own save makes the
public pages new (``articles.caching``). Notices are part of the public record: the admin
amends one but deletes none.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator

from articles.models import Article, ArticleQuerySet, AuditEntry, Correction

PUBLISH_PERMISSION = "articles.publish_article"
NOT_LIVE = (
    "Only a story readers can see takes a correction or clarification, and “%(headline)s” "
    "is not live (it is %(state)s). Publish it first."
)
LATER_REVISION = "The story is at revision %(current)s; a notice cannot name a later one."
IN_THE_FUTURE = "A notice cannot be dated in the future."
BEFORE_PUBLICATION = "A notice cannot be dated before the story was published (%(published)s)."
SHOWN = "j F Y, H:i T"
# Clocks of the editor's browser and the server may differ by a little.
CLOCK_SLACK = timedelta(minutes=5)


def notice_problems(*, stored: dict, notice: Correction, now) -> dict:
    """What stops ``notice`` being published with the story whose ``status``,
    ``published_at``, ``revision`` and ``headline`` are ``stored``: errors by field."""
    errors = {}
    if not ArticleQuerySet.is_live_row(stored["status"], stored["published_at"], at=now):
        state = (
            "scheduled"
            if stored["status"] == Article.Status.PUBLISHED
            else Article.Status(stored["status"]).label.lower()
        )
        errors["article"] = ValidationError(
            NOT_LIVE, params={"headline": stored["headline"], "state": state}, code="not_live"
        )
        return errors
    if notice.revision is not None and notice.revision > stored["revision"]:
        errors["revision"] = ValidationError(
            LATER_REVISION, params={"current": stored["revision"]}, code="later_revision"
        )
    if notice.at and notice.at > now + CLOCK_SLACK:
        errors["at"] = ValidationError(IN_THE_FUTURE, code="in_the_future")
    elif notice.at and notice.at < stored["published_at"]:
        errors["at"] = ValidationError(
            BEFORE_PUBLICATION,
            params={"published": date_format(timezone.localtime(stored["published_at"]), SHOWN)},
            code="before_publication",
        )
    return errors


def stored_story(article_pk: int, *, lock: bool = False) -> dict:
    rows = Article.objects.filter(pk=article_pk)
    if lock:
        rows = rows.select_for_update()
    return rows.values("status", "published_at", "revision", "headline").get()


@transaction.atomic
def publish_notice(*, notice: Correction, user=None) -> Correction:
    """Add ``notice`` to its story, or save an amended one: ``ValidationError`` (by field)
    unless the story is live and the notice fits it. An empty ``revision`` becomes the
    story's current one: the version readers see now is the one the notice speaks for."""
    now = timezone.now()
    stored = stored_story(notice.article_id, lock=True)
    added = notice.pk is None
    if added:
        notice.created_by = notice.created_by or user
    if notice.revision is None:
        notice.revision = stored["revision"]
    notice.full_clean()
    if errors := notice_problems(stored=stored, notice=notice, now=now):
        raise ValidationError(errors)
    notice.save()
    # The story shows something new: its revision and updated time move (update() sends no
    # signal; the notice's own save above has made the public pages new).
    Article.objects.filter(pk=notice.article_id).bump_revision(updated_at=now)
    AuditEntry.objects.log(
        AuditEntry.Action.CORRECTED,
        notice.article,
        user=user,
        detail=f"{notice.get_kind_display()} {'added' if added else 'amended'}: "
        f"{Truncator(notice.text).chars(200)}",
    )
    return notice


class CorrectionForm(forms.ModelForm):
    class Meta:
        model = Correction
        fields = ["article", "kind", "text", "at", "revision"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4, "cols": 80})}

    def clean_text(self):
        value = Correction.normalise_text(self.cleaned_data.get("text", ""))
        if not value:
            raise forms.ValidationError("Write what readers should know.", code="required")
        return value

    def clean(self):
        cleaned = super().clean()
        article = cleaned.get("article") or getattr(self.instance, "article", None)
        if article is None or self.errors:
            return cleaned
        self.instance.revision = cleaned.get("revision")
        self.instance.at = cleaned.get("at")
        problems = notice_problems(
            stored=stored_story(article.pk), notice=self.instance, now=timezone.now()
        )
        for field, error in problems.items():
            self.add_error(field if field in self.fields else None, error)
        return cleaned


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    form = CorrectionForm
    list_display = ["at", "kind", "article", "excerpt", "revision", "created_by"]
    list_filter = ["kind", "at"]
    list_select_related = ["article", "created_by"]
    search_fields = ["text", "article__headline"]
    date_hierarchy = "at"
    autocomplete_fields = ["article"]
    show_full_result_count = False

    @admin.display(description="text")
    def excerpt(self, notice):
        return Truncator(notice.text).chars(120)

    # Editors only: a writer holding a stray model permission still may not.
    def _editor(self, request) -> bool:
        return request.user.has_perm(PUBLISH_PERMISSION)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._editor(request)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._editor(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._editor(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["article"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        try:
            publish_notice(notice=obj, user=request.user)
        except ValidationError:
            # The form checked the same rules a moment ago; the story changed meanwhile.
            raise PermissionDenied("The story changed while the notice was written.") from None

    def view_on_site(self, obj):
        return obj.get_absolute_url() if obj.article.is_live() else None


def add_notice_url(article: Article) -> str:
    """The admin page that adds a notice to ``article``."""
    return reverse("admin:articles_correction_add") + f"?article={article.pk}"
