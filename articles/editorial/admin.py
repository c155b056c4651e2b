"""The editors' admin: writing stories, placing Also Read links, publishing by role.

Roles (groups made by a migration): a Writer drafts and submits own stories for review; an
Editor holds ``articles.publish_article`` and may publish, schedule, archive, take down (and
reverse a takedown) and edit any story. Every rule is checked on the server
(``has_change_permission``, the form's ``clean`` and ``save_model``), so hidden buttons are
a convenience, not the protection.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.middleware.csp import get_nonce
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.csp import CSP
from django.utils.html import format_html
from django.views.decorators.csp import csp_override
from js_asset.media import Media as JsAssetMedia

from articles.models import (
    TAG_KINDS,
    Article,
    AuditEntry,
    Byline,
    Correction,
    CrossLink,
    SlugRedirect,
    StoryVersion,
    attach_notices,
)

from . import corrections, editing, image_library
from .admin_views import change_form_context
from .forms import (
    EDITOR_STATUSES,
    ArticleAdminForm,
    BylineInlineForm,
    CrossLinkInlineForm,
    KnownChoiceAutocompleteSelect,
    ReverseTakedownForm,
    TakedownForm,
    paragraph_choices,
    placement_paragraphs,
)
from .history import StoryHistoryAdmin

PUBLISH_PERMISSION = "articles.publish_article"


def can_publish(user) -> bool:
    return user.has_perm(PUBLISH_PERMISSION)


def may_edit(user, article: Article) -> bool:
    """Editors edit any story; a writer only their own, and only before it is published."""
    if can_publish(user):
        return True
    return article.created_by_id == user.pk and article.status in EDITOR_STATUSES


def editable_by(user, prefix: str = ""):
    """``may_edit`` as a database expression, to annotate rows shown to ``user``."""
    if can_publish(user):
        return Value(True)
    return ExpressionWrapper(
        Q(**{f"{prefix}created_by": user.pk, f"{prefix}status__in": EDITOR_STATUSES}),
        output_field=BooleanField(),
    )


def count_of(model, field: str):
    """A correlated COUNT per row: constant queries, no row multiplication between counts."""
    counted = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class KnownAutocompleteMixin:
    """Autocomplete widgets that label a selected row from data already loaded."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KnownChoiceAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ChangesStoriesMixin:
    """For admins whose writes change stories: rows that belong to a story (its links, its
    old addresses), or that stories refer to (sections, authors, tags). Each write moves the
    revision of the stories it changes on, so that a story form opened before it is refused
    instead of silently undoing it (``editing.check_revision``)."""

    def stories_changed_by(self, rows):
        """The stories that a change to ``rows`` (of this admin's model) changes."""
        raise NotImplementedError

    def save_changes_stories(self, form, change) -> bool:
        """Whether saving ``form`` changes its row's stories (deleting a row always does)."""
        return True

    def _story_pks(self, rows) -> list[int]:
        return list(self.stories_changed_by(rows).values_list("pk", flat=True))

    # Whether the rows are part of what a story version records (its links are; the names
    # of sections, authors and tags are recorded as they stand at the story's next save).
    records_versions = False

    def _changed(self, request, story_pks) -> None:
        Article.objects.filter(pk__in=story_pks).bump_revision()
        if self.records_versions:
            for pk in sorted(set(story_pks)):
                StoryVersion.objects.capture(Article(pk=pk), user=request.user)

    def save_model(self, request, obj, form, change):
        if not self.save_changes_stories(form, change):
            return super().save_model(request, obj, form, change)
        before = self._story_pks(self.model.objects.filter(pk=obj.pk)) if change else []
        super().save_model(request, obj, form, change)
        after = self._story_pks(self.model.objects.filter(pk=obj.pk))
        self._changed(request, before + after)

    # Whether deleting one of the rows is an editorial act for the audit log (stories and
    # the names stories are filed under are; a link or an old address is part of a story).
    audits_deletions = False

    def _log_deletions(self, request, rows) -> None:
        if self.audits_deletions:
            for row in rows:
                AuditEntry.objects.log(AuditEntry.Action.DELETED, row, user=request.user)

    @transaction.atomic
    def delete_model(self, request, obj):
        before = self._story_pks(self.model.objects.filter(pk=obj.pk))
        self._log_deletions(request, [obj])
        super().delete_model(request, obj)
        self._changed(request, before)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        before = self._story_pks(queryset)
        self._log_deletions(request, queryset)
        super().delete_queryset(request, queryset)
        self._changed(request, before)


class ArticlePartInline(KnownAutocompleteMixin, admin.TabularInline):
    """Rows edited with a story: editable exactly when the story is."""

    def _story_editable(self, request, obj):
        return obj is None or may_edit(request.user, obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._story_editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._story_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._story_editable(request, obj)


class BylineInline(ArticlePartInline):
    model = Byline
    form = BylineInlineForm
    fields = ["author", "position"]
    autocomplete_fields = ["author"]
    extra = 0
    verbose_name = "author"
    verbose_name_plural = "authors"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("article", "author")


class CrossLinkInline(ArticlePartInline):
    """The story's Also Read links: story by headline, placement by paragraph, order."""

    model = CrossLink
    fk_name = "source"
    form = CrossLinkInlineForm
    fields = ["target", "target_headline", "placement", "order", "link_state"]
    readonly_fields = ["link_state"]
    autocomplete_fields = ["target"]
    extra = 1
    verbose_name = "Also Read link"
    verbose_name_plural = "Also Read links"

    def get_queryset(self, request):
        links_back = CrossLink.objects.filter(source=OuterRef("target"), target=OuterRef("source"))
        return (
            super()
            .get_queryset(request)
            .select_related("source", "target")
            .annotate(
                links_back=Exists(links_back),
                target_editable=editable_by(request.user, "target__"),
            )
        )

    def get_formset(self, request, obj=None, **kwargs):
        posted_body = request.POST.get("body") if request.method == "POST" else None
        choices = paragraph_choices(placement_paragraphs(obj, posted_body))
        kwargs["form"] = type("CrossLinkForm", (self.form,), {"placement_choices": choices})
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="state")
    def link_state(self, link):
        if link.pk is None:
            return ""
        if link.target is None:
            return "Pending: no story with this headline yet"
        state = "Live" if link.target.is_live() else f"{link.target.get_status_display()} (hidden)"
        offer_link_back = not getattr(link, "links_back", True) and getattr(
            link, "target_editable", False
        )
        return render_to_string(
            "admin/articles/article/link_state.html",
            {"link": link, "state": state, "offer_link_back": offer_link_back},
        )


# The prose editor injects its base styles as <style> elements and positions menus with
# style attributes; the story form alone allows inline styles. Scripts stay nonce-only.
story_form_policy = csp_override(settings.SECURE_CSP | {"style-src": [CSP.SELF, CSP.UNSAFE_INLINE]})


@admin.register(Article)
class ArticleAdmin(
    StoryHistoryAdmin, ChangesStoriesMixin, KnownAutocompleteMixin, admin.ModelAdmin
):
    form = ArticleAdminForm
    audits_deletions = True
    change_form_template = "admin/articles/article/change_form.html"
    list_display = [
        "headline_listed",
        "status",
        "section",
        "published_at",
        "links_out_count",
        "links_in_count",
    ]
    list_filter = [
        "status",
        "story_type",
        "section",
        "people",
        "countries",
        "published_at",
        "is_demo",
    ]
    list_select_related = ["section"]
    search_fields = ["headline", "slug", "standfirst"]
    date_hierarchy = "published_at"
    autocomplete_fields = ["section", "lead_image"]
    prepopulated_fields = {"slug": ["headline"]}
    inlines = [BylineInline, CrossLinkInline]
    actions = ["publish_selected", "archive_selected"]
    save_on_top = True

    class Media:
        css = {"all": ["articles/admin/article_form.css"]}
        js = ["articles/admin/placements.js"]

    # Queries -------------------------------------------------------------------------------

    def get_queryset(self, request):
        queryset = super().get_queryset(request).annotate(editable=editable_by(request.user))
        url_name = request.resolver_match and request.resolver_match.url_name
        if url_name == "articles_article_change":
            # The form lists the story's notices; most have none, and then cost no query.
            queryset = queryset.annotate(latest_notice_at=Correction.objects.latest_at())
        if url_name and url_name.endswith("changelist"):
            queryset = queryset.annotate(
                links_out_n=count_of(CrossLink, "source"),
                links_in_n=count_of(CrossLink, "target"),
            )
        return queryset

    @admin.display(description="headline", ordering="headline")
    def headline_listed(self, obj):
        """The headline, marked when the story is demo content (manage.py load_demo)."""
        if obj.is_demo:
            return format_html("{} <strong>(demo)</strong>", obj.headline)
        return obj.headline

    @admin.display(description="links out", ordering="links_out_n")
    def links_out_count(self, obj):
        return obj.links_out_n

    @admin.display(description="links in", ordering="links_in_n")
    def links_in_count(self, obj):
        return obj.links_in_n

    # Permissions ---------------------------------------------------------------------------

    def has_publish_permission(self, request):
        return can_publish(request.user)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_edit(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or can_publish(request.user))

    # The form ------------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        publication = ["status", "published_at", "updated_at", "preview_link"]
        if obj is not None and obj.status == Article.Status.PUBLISHED:
            publication.insert(1, "confirm_unpublish")
        fieldsets = [
            (
                None,
                {
                    "fields": [
                        "headline",
                        "slug",
                        ("story_type", "dateline"),
                        "standfirst",
                        "body",
                        "base_revision",
                    ]
                },
            ),
            ("Publication", {"fields": publication}),
            (
                "Section, source and tags",
                {"fields": ["section", "source", *TAG_KINDS]},
            ),
            (
                "Lead image",
                {
                    "fields": ["lead_image", "lead_image_preview"],
                    "classes": ["collapse"],
                },
            ),
        ]
        if obj is not None:
            fieldsets.append(("Linked from", {"fields": ["linked_from"]}))
            fieldsets.append(("Corrections and clarifications", {"fields": ["notices"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = ["updated_at", "preview_link", "linked_from", "lead_image_preview", "notices"]
        if not can_publish(request.user):
            readonly.append("published_at")
        elif obj is not None and obj.status == Article.Status.WITHDRAWN:
            # Only reversing the takedown changes these (editing.reverse_takedown).
            readonly += ["status", "published_at"]
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.can_publish = can_publish(request.user)
        return form

    def stories_changed_by(self, rows):
        """Deleting stories turns the links other stories have to them pending."""
        return Article.objects.filter(links_out__target__in=rows)

    def save_model(self, request, obj, form, change):
        # The story's own save moves its revision on (editing.save_article).
        if not can_publish(request.user) and obj.status not in EDITOR_STATUSES:
            raise PermissionDenied
        editing.save_article(
            article=obj,
            base_revision=form.cleaned_data.get("base_revision") if change else None,
            user=request.user,
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if form.wire_links:
            created = editing.add_wire_links(article=form.instance, links=form.wire_links)
            pending = sum(link.is_pending for link in created)
            self.message_user(
                request,
                f"Moved {len(form.wire_links)} Also Read line(s) out of the body: "
                f"{len(created)} link(s) added, {pending} of them pending.",
                messages.INFO,
            )
        # Last, in the form's transaction: the version holds the tags, bylines and links
        # just saved with the story.
        StoryVersion.objects.capture(form.instance, user=request.user)

    @admin.display(description="preview")
    def preview_link(self, obj):
        if obj.pk is None:
            return "Save the story to preview it."
        return format_html(
            '<a href="{}" target="_blank">Preview this version</a> (staff only)',
            reverse("articles:preview", args=[obj.pk]),
        )

    @admin.display(description="as saved")
    def lead_image_preview(self, obj):
        if obj.lead_image_id is None:
            return "No lead image."
        return image_library.thumbnail(obj.lead_image)

    @admin.display(description="stories linking here")
    def linked_from(self, obj):
        if obj.pk is None:
            return ""
        inbound = list(obj.links_in.select_related("source").order_by("source__headline"))
        if not inbound:
            return "No story links here yet."
        linked_back = set(obj.links_out.values_list("target_id", flat=True))
        editable = getattr(obj, "editable", False)
        rows = []
        for link in inbound:
            state = "live" if link.source.is_live() else link.source.get_status_display().lower()
            offer_link_back = editable and link.source_id not in linked_back
            rows.append({"link": link, "state": state, "offer_link_back": offer_link_back})
        return render_to_string(
            "admin/articles/article/linked_from.html", {"story": obj, "rows": rows}
        )

    @admin.display(description="notices to readers")
    def notices(self, obj):
        """The story's corrections and clarifications, and a way to add one (editors, on a
        live story: ``articles.editorial.corrections``)."""
        if obj.pk is None:
            return ""
        attach_notices([obj])
        return render_to_string(
            "admin/articles/article/notices.html",
            {
                "notices": obj.notices,
                "add_url": corrections.add_notice_url(obj),
                # Only editors may edit a live story (``may_edit``, annotated as ``editable``),
                # and only they add notices.
                "can_add": obj.is_live() and getattr(obj, "editable", False),
            },
        )

    def view_on_site(self, obj):
        if obj.is_live():
            return obj.get_absolute_url()
        return reverse("articles:preview", args=[obj.pk])

    def render_change_form(self, request, context, *args, **kwargs):
        # The prose editor loads through an inline import map; the Content Security Policy
        # admits it by this request's nonce rather than by allowing inline scripts.
        context["media"] = JsAssetMedia.from_media(context["media"], nonce=get_nonce(request))
        return super().render_change_form(request, context, *args, **kwargs)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if object_id:
            article = self.get_object(request, object_id)
            if article is not None and article.is_live():
                extra_context["inbound_live"] = list(editing.live_inbound_links(article))
            if article is not None and can_publish(request.user):
                taken_down = article.status == Article.Status.WITHDRAWN
                extra_context["can_reverse_takedown"] = taken_down
                extra_context["can_take_down"] = not editing.takedown_refusal(
                    article.status, article.published_at
                )
            # The story's graph, link and tag suggestions (see articles/editorial/admin_views.py).
            extra_context |= change_form_context(article, request)
        return story_form_policy(super().changeform_view)(
            request, object_id, form_url, extra_context
        )

    # Links ---------------------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/link-back/<int:link_id>/",
                self.admin_site.admin_view(self.link_back_view),
                name="articles_article_link_back",
            ),
            path(
                "<path:object_id>/takedown/",
                self.admin_site.admin_view(self.takedown_view),
                name="articles_article_takedown",
            ),
            path(
                "<path:object_id>/reverse-takedown/",
                self.admin_site.admin_view(self.reverse_takedown_view),
                name="articles_article_reverse_takedown",
            ),
            *super().get_urls(),
        ]

    def link_back_view(self, request, object_id, link_id):
        """Add the reverse of one of this story's links (in or out), in one click."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        article = self.get_object(request, object_id)
        if article is None:
            raise Http404("No such story.")
        link = get_object_or_404(
            CrossLink.objects.select_related("source", "target")
            .exclude(target=None)
            .filter(Q(source=article) | Q(target=article)),
            pk=link_id,
        )
        if not (
            request.user.has_perm("articles.add_crosslink") and may_edit(request.user, link.target)
        ):
            raise PermissionDenied
        editing.add_reciprocal(link=link, user=request.user)
        message = f"“{link.target.headline}” now links back to “{link.source.headline}”."
        self.log_change(request, link.target, message)
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))

    # Takedown ------------------------------------------------------------------------------

    def _story_for_editor(self, request, object_id) -> Article:
        """The story at ``object_id`` for an editor: 403 for anyone else, 404 for none."""
        if not can_publish(request.user):
            raise PermissionDenied
        article = self.get_object(request, object_id)
        if article is None:
            raise Http404("No such story.")
        return article

    def takedown_view(self, request, object_id):
        """Take a story down: the reason, a public note, whether the notice names it; the
        confirmation lists the live stories whose Also Read boxes will drop it."""
        article = self._story_for_editor(request, object_id)
        if refusal := editing.takedown_refusal(article.status, article.published_at):
            self.message_user(request, refusal, messages.ERROR)
            return self._back_to_story(article)
        form = TakedownForm(request.POST or None, initial={"base_revision": article.revision})
        if request.method == "POST" and form.is_valid():
            done = self._attempt(
                form,
                editing.take_down,
                article=article,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                withhold_headline=form.withhold_headline,
                base_revision=form.cleaned_data["base_revision"],
                user=request.user,
            )
            if done:
                message = f"Took down “{article.headline}”: {editing.takedown_detail(article)}"
                return self._after_takedown_act(request, article, message)
        return self._takedown_page(request, article, form, "Take this story down?")

    def reverse_takedown_view(self, request, object_id):
        """Bring a taken-down story back to the status it had, after a confirmation."""
        article = self._story_for_editor(request, object_id)
        if article.status != Article.Status.WITHDRAWN:
            self.message_user(request, "This story is not taken down.", messages.ERROR)
            return self._back_to_story(article)
        form = ReverseTakedownForm(
            request.POST or None, initial={"base_revision": article.revision}
        )
        if request.method == "POST" and form.is_valid():
            done = self._attempt(
                form,
                editing.reverse_takedown,
                article=article,
                base_revision=form.cleaned_data["base_revision"],
                user=request.user,
            )
            if done:
                message = (
                    f"Reversed the takedown of “{article.headline}”: it is "
                    f"{article.get_status_display().lower()} again."
                )
                return self._after_takedown_act(request, article, message)
        return self._takedown_page(request, article, form, "Reverse this takedown?")

    @staticmethod
    def _attempt(form, act, **kwargs) -> bool:
        """Run ``act``; a refusal becomes an error on ``form``."""
        try:
            act(**kwargs)
        except editing.StaleRevision:
            form.add_error(
                None,
                "Not done: the story changed after you opened this page. Open the story to "
                "see what changed, then try again.",
            )
            return False
        except ValidationError as error:
            form.add_error(None, error.messages)
            return False
        return True

    def _after_takedown_act(self, request, article, message):
        self.log_change(request, article, message)
        self.message_user(request, message, messages.SUCCESS)
        return self._back_to_story(article)

    @staticmethod
    def _back_to_story(article):
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))

    def _takedown_page(self, request, article, form, title):
        return TemplateResponse(
            request,
            "admin/articles/article/takedown_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.opts,
                "original": article,
                "form": form,
                "inbound": list(editing.live_inbound_links(article)),
                "reversing": isinstance(form, ReverseTakedownForm),
            },
        )

    # Actions -------------------------------------------------------------------------------

    @admin.action(
        description="Publish selected stories (now, or at their set time)", permissions=["publish"]
    )
    def publish_selected(self, request, queryset):
        published = scheduled = 0
        for article in queryset:
            try:
                editing.publish(article=article, user=request.user)
            except ValidationError as error:
                self.message_user(
                    request,
                    f"“{article.headline}” was not published: {' '.join(error.messages)}",
                    messages.ERROR,
                )
                continue
            if article.is_live():
                published += 1
            else:
                scheduled += 1
        self.message_user(
            request, f"Published {published} and scheduled {scheduled} stories.", messages.SUCCESS
        )

    @admin.action(description="Archive selected stories…", permissions=["publish"])
    def archive_selected(self, request, queryset):
        if request.POST.get("confirmed") == "yes":
            archived = 0
            for article in queryset:
                try:
                    editing.archive(article=article, user=request.user)
                except ValidationError as error:
                    self.message_user(
                        request,
                        f"“{article.headline}” was not archived: {' '.join(error.messages)}",
                        messages.ERROR,
                    )
                    continue
                archived += 1
            self.message_user(request, f"Archived {archived} stories.", messages.SUCCESS)
            return None
        stories = [
            (article, list(editing.live_inbound_links(article)))
            for article in queryset.select_related("section")
        ]
        return TemplateResponse(
            request,
            "admin/articles/article/archive_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "title": "Archive these stories?",
                "opts": self.opts,
                "stories": stories,
                "action": "archive_selected",
                "selected": [article.pk for article, _ in stories],
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(CrossLink)
class CrossLinkAdmin(ChangesStoriesMixin, KnownAutocompleteMixin, admin.ModelAdmin):
    """All links in one list, mostly to find pending ones and point them at a story."""

    list_display = ["source", "target_headline", "target", "placement", "order"]
    list_filter = [("target", admin.EmptyFieldListFilter)]
    list_select_related = ["source", "target"]
    search_fields = ["target_headline", "source__headline"]
    autocomplete_fields = ["source", "target"]
    fields = ["source", "target", "target_headline", "placement", "order"]

    # Writers edit links only inside their own stories' forms; here any story's links show.
    def has_add_permission(self, request):
        return super().has_add_permission(request) and can_publish(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and can_publish(request.user)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and can_publish(request.user)

    records_versions = True

    def stories_changed_by(self, rows):
        return Article.objects.filter(links_out__in=rows)


@admin.register(SlugRedirect)
class SlugRedirectAdmin(ChangesStoriesMixin, admin.ModelAdmin):
    list_display = ["old_slug", "article"]
    list_select_related = ["article"]
    search_fields = ["old_slug", "article__headline"]
    autocomplete_fields = ["article"]

    def stories_changed_by(self, rows):
        return Article.objects.filter(slug_redirects__in=rows)
