"""A story's History page in the admin: its versions, one read-only, two compared, one
restored.

``StoryHistoryAdmin`` replaces the admin's log of form saves ("Changed Body.") with the
story's versions (``StoryVersion``), which every save records. Who may see and restore is
the story admin's own answer (``has_view_or_change_permission``, ``has_change_permission``:
a writer changes only their own unpublished stories), so the rule lives in one place.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.db.models.fields.json import KT
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from articles.models import Article, StoryVersion

from . import editing, revisions

VERSIONS_PER_PAGE = 25
STALE_RESTORE = (
    "Not restored: the story was saved after you opened this page (it is now at revision "
    "{revision}). Nothing was changed. Look at its history again before restoring."
)
MISSING_BASE = (
    "Not restored: the request did not say which revision of the story it was made from. "
    "Nothing was changed. Reload this page and try again."
)


def version_list(article: Article):
    """The story's versions newest first, without their snapshots: the headline each had,
    whether readers saw it, and the version before it (to compare with)."""
    previous = (
        StoryVersion.objects.filter(article=OuterRef("article"), pk__lt=OuterRef("pk"))
        .order_by("-pk")
        .values("pk")[:1]
    )
    return (
        StoryVersion.objects.filter(article=article)
        .defer("snapshot")
        .with_liveness()
        .annotate(headline_then=KT("snapshot__headline"), previous_id=Subquery(previous))
        .order_by("-pk")
    )


def notices_with_versions(article: Article):
    """The story's corrections and clarifications, newest first, each with the id of the
    version it speaks for (``version_id``: the newest recorded at or before its revision),
    in one query."""
    version = (
        StoryVersion.objects.filter(article=article, revision__lte=OuterRef("revision"))
        .order_by("-revision", "-pk")
        .values("pk")[:1]
    )
    return article.corrections.annotate(version_id=Subquery(version)).order_by("-at", "-pk")


def base_revision_of(request) -> int | None:
    try:
        return int(request.POST.get("base_revision", ""))
    except ValueError:
        return None


class StoryHistoryAdmin:
    """For ``ArticleAdmin``: the History page and its version pages."""

    def get_urls(self):
        def page(route: str, view, name: str):
            return path(
                f"<path:object_id>/history/{route}",
                self.admin_site.admin_view(view),
                name=f"articles_article_{name}",
            )

        return [
            page("compare/", self.compare_view, "compare"),
            page("<int:version_id>/", self.version_view, "version"),
            page("<int:version_id>/restore/", self.restore_view, "restore"),
            *super().get_urls(),
        ]

    def _story(self, request, object_id) -> Article:
        """The story at ``object_id`` (any text: a 404 for what is no story's id), if the
        user may see it."""
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404("No such story.")
        if not self.has_view_or_change_permission(request, article):
            raise PermissionDenied
        return article

    def _render(self, request, template: str, title: str, article: Article, status=200, **extra):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": self.opts,
            "object": article,
            "module_name": self.opts.verbose_name_plural.capitalize(),
            **extra,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, f"admin/articles/article/{template}", context, status=status
        )

    def history_view(self, request, object_id, extra_context=None):
        article = self._story(request, object_id)
        page = Paginator(version_list(article), VERSIONS_PER_PAGE).get_page(request.GET.get("p"))
        return self._render(
            request,
            "object_history.html",
            f"History: {article.headline}",
            article,
            page=page,
            page_range=page.paginator.get_elided_page_range(page.number),
            may_restore=self.has_change_permission(request, article),
            notices=notices_with_versions(article),
        )

    def _version(self, article: Article, version_id) -> StoryVersion:
        return get_object_or_404(StoryVersion, article=article, pk=version_id)

    def version_view(self, request, object_id, version_id, status=200, errors=()):
        article = self._story(request, object_id)
        version = self._version(article, version_id)
        latest = article.versions.values_list("pk", flat=True).first()
        try:
            snapshot = revisions.Snapshot.of(version)
            values = revisions.field_values(snapshot)
            body, listed = revisions.shown_body(snapshot)
        except ValidationError as error:
            snapshot, values, body, listed = None, {}, [], []
            errors = [*errors, *error.messages]
        return self._render(
            request,
            "version.html",
            f"{version.headline or article.headline}: version of "
            f"{revisions.version_label(version)}",
            article,
            status=status,
            here=f"Revision {version.revision}",
            version=version,
            is_latest=version.pk == latest,
            fields=[(label, values[key]) for key, label in revisions.FIELD_LABELS if values],
            body=body,
            listed=listed,
            errors=errors,
            may_restore=snapshot is not None and self.has_change_permission(request, article),
        )

    def compare_view(self, request, object_id):
        article = self._story(request, object_id)
        ids = [request.GET.get(key, "") for key in ("a", "b")]
        if not all(value.isdigit() for value in ids):
            raise Http404("Choose two versions to compare.")
        older, newer = sorted(
            (self._version(article, int(value)) for value in ids), key=lambda v: v.pk
        )
        try:
            old, new = revisions.Snapshot.of(older), revisions.Snapshot.of(newer)
        except ValidationError as error:
            raise Http404(" ".join(error.messages)) from None
        return self._render(
            request,
            "compare.html",
            f"Compare versions: {article.headline}",
            article,
            here="Compare",
            older=older,
            newer=newer,
            rows=revisions.field_rows(old, new),
            paragraphs=revisions.paragraph_diff(old, new),
        )

    def restore_view(self, request, object_id, version_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        article = self._story(request, object_id)
        version = self._version(article, version_id)
        if not self.has_change_permission(request, article):
            raise PermissionDenied
        base_revision = base_revision_of(request)
        if base_revision is None:
            return self.version_view(request, object_id, version_id, 400, [MISSING_BASE])
        try:
            restored = revisions.restore_version(
                version=version, base_revision=base_revision, user=request.user
            )
        except editing.StaleRevision as stale:
            message = STALE_RESTORE.format(revision=stale.args[0])
            return self.version_view(request, object_id, version_id, 409, [message])
        except ValidationError as error:
            problems = [f"Not restored: {problem}" for problem in revisions.problems(error)]
            return self.version_view(request, object_id, version_id, 400, problems)
        for warning in restored.warnings:
            self.message_user(request, warning, messages.WARNING)
        self.message_user(
            request,
            f"Restored the version of {revisions.version_label(version)}; the story is now "
            f"at revision {restored.article.revision}.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))
