"""The admin of what hubs are made of — people, countries, topics, sections and authors — with
the tools that keep them clean: merge several into one (an action, and a confirmation page
that also answers the one-click merges), rename with the old addresses kept, other names
(aliases) of people and topics, and a page listing each with its live-story count and
flagging likely duplicates.

The rules are ``articles.governance``'s; here are permissions and pages. Merging takes the
change and delete permissions of the model (editors have them, writers do not).
"""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from articles import governance
from articles.models import (
    Article,
    Author,
    Country,
    Person,
    PersonAlias,
    Section,
    TagRedirect,
    Topic,
    TopicAlias,
)

from .admin import ChangesStoriesMixin
from .forms import CountryForm, IdentifiedTagForm, NamedModelForm


class GovernedAdmin(ChangesStoriesMixin, admin.ModelAdmin):
    """A model with hubs: merge, rename with redirects, and the duplicates page."""

    form = NamedModelForm
    change_list_template = "admin/articles/governed_change_list.html"
    actions = ["merge_selected"]
    audits_deletions = True

    def has_merge_permission(self, request) -> bool:
        return self.has_change_permission(request) and self.has_delete_permission(request)

    def url_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def get_urls(self):
        return [
            path(
                "merge/", self.admin_site.admin_view(self.merge_view), name=self.url_name("merge")
            ),
            path(
                "duplicates/",
                self.admin_site.admin_view(self.duplicates_view),
                name=self.url_name("duplicates"),
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {"may_merge": self.has_merge_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    # Rename ---------------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        if not (change and {"name", "slug"} & set(form.changed_data)):
            return super().save_model(request, obj, form, change)
        # A tag's address follows its name; sections and authors have theirs in the form.
        slug = obj.slug if "slug" in form.fields else None
        governance.rename(obj=obj, name=obj.name, slug=slug, user=request.user)
        return None

    # Merge ----------------------------------------------------------------------------------

    @admin.action(description="Merge selected %(verbose_name_plural)s…", permissions=["merge"])
    def merge_selected(self, request, queryset):
        rows = list(
            governance.with_live_story_counts(self.model).filter(pk__in=queryset.values("pk"))
        )
        return self.merge_confirmation(request, rows)

    def merge_view(self, request):
        """POST only: the rows to merge (``_selected_action``), the ``survivor`` and, once
        confirmed, ``confirmed=yes``; without it, the confirmation page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_merge_permission(request):
            raise PermissionDenied
        pks = {pk for pk in request.POST.getlist(ACTION_CHECKBOX_NAME) if pk.isdigit()}
        rows = list(governance.with_live_story_counts(self.model).filter(pk__in=pks))
        if len(rows) < 2:
            self.message_user(request, "Choose at least two to merge.", messages.WARNING)
            return HttpResponseRedirect(reverse(f"admin:{self.url_name('changelist')}"))
        survivor = next((row for row in rows if str(row.pk) == request.POST.get("survivor")), None)
        if request.POST.get("confirmed") != "yes" or survivor is None:
            return self.merge_confirmation(request, rows, survivor)
        others = [row for row in rows if row is not survivor]
        try:
            result = governance.merge(survivor=survivor, others=others, user=request.user)
        except governance.MergeRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return self.merge_confirmation(request, rows, survivor)
        merged = ", ".join(f"“{name}”" for name in result.merged)
        self.message_user(
            request,
            f"Merged {merged} into “{survivor.name}”: {result.stories} "
            f"{'story' if result.stories == 1 else 'stories'} moved; the old addresses now "
            "lead to its page and feeds.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self.next_url(request, survivor))

    def next_url(self, request, survivor) -> str:
        wanted = request.POST.get("next", "")
        if wanted and url_has_allowed_host_and_scheme(
            wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return wanted
        return reverse(f"admin:{self.url_name('change')}", args=[survivor.pk])

    def merge_confirmation(self, request, rows, survivor=None):
        survivor = survivor or governance.suggested_survivor(rows)
        return TemplateResponse(
            request,
            "admin/articles/merge_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Merge {len(rows)} {self.opts.verbose_name_plural}?",
                "opts": self.opts,
                "rows": sorted(rows, key=lambda row: (-row.live_stories, row.name)),
                "survivor": survivor,
                "has_aliases": hasattr(self.model, "alias_model") and self.model.alias_model(),
                "merge_url": reverse(f"admin:{self.url_name('merge')}"),
                "next": request.POST.get("next", ""),
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    # Duplicates -----------------------------------------------------------------------------

    def duplicates_view(self, request):
        """Each row with its live-story count and the likely duplicates, each with a merge
        button (to the confirmation page). Queries do not grow with the number of rows."""
        if not self.has_merge_permission(request):
            raise PermissionDenied
        rows = governance.with_live_story_counts(self.model).order_by("name")
        if hasattr(self.model, "alias_model") and self.model.alias_model():
            rows = rows.prefetch_related("aliases")
        rows = list(rows)
        duplicates = governance.likely_duplicates(rows)
        only_flagged = request.GET.get("only") == "duplicates"
        entries = [
            {
                "row": row,
                "duplicates": [
                    (duplicate, governance.suggested_survivor([row, duplicate.other]))
                    for duplicate in duplicates.get(row.pk, [])
                ],
            }
            for row in rows
            if row.pk in duplicates or not only_flagged
        ]
        return TemplateResponse(
            request,
            "admin/articles/tag_duplicates.html",
            {
                **self.admin_site.each_context(request),
                "title": f"{self.opts.verbose_name_plural.capitalize()}: likely duplicates",
                "opts": self.opts,
                "entries": entries,
                "flagged": len(duplicates),
                "total": len(rows),
                "only_flagged": only_flagged,
                "kinds": self.governed_kinds(request),
                "merge_url": reverse(f"admin:{self.url_name('merge')}"),
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "here": request.get_full_path(),
            },
        )

    def governed_kinds(self, request) -> list[tuple[str, str, bool]]:
        """(label, duplicates page, is this one) for each kind the user may merge."""
        kinds = []
        for model in governance.GOVERNED.values():
            model_admin = self.admin_site.get_model_admin(model)
            if model_admin.has_merge_permission(request):
                kinds.append(
                    (
                        model._meta.verbose_name_plural.capitalize(),
                        reverse(f"admin:{model_admin.url_name('duplicates')}"),
                        model is self.model,
                    )
                )
        return kinds


@admin.register(Section)
class SectionAdmin(GovernedAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def stories_changed_by(self, rows):
        return Article.objects.filter(section__in=rows)

    def save_changes_stories(self, form, change):
        return False  # stories refer to the section by key: its name and place are its own


@admin.register(Author)
class AuthorAdmin(GovernedAdmin):
    list_display = ["name", "slug", "user"]
    list_select_related = ["user"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            # Who may write under a byline: staff accounts (few), named by a plain select.
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def stories_changed_by(self, rows):
        return Article.objects.filter(bylines__author__in=rows)

    def save_changes_stories(self, form, change):
        return False  # bylines refer to the author by key


class NewsTagAdmin(GovernedAdmin):
    """Our own tag admin: taggit's assumes its default ``Tag`` model."""

    list_display = ["name", "slug", "story_count"]
    search_fields = ["name"]
    readonly_fields = ["slug"]
    ordering = ["name"]

    def stories_changed_by(self, rows):
        tagged = self.model._meta.get_field("tagged_items").related_model
        return Article.objects.filter(
            pk__in=tagged.objects.filter(tag__in=rows).values("content_object")
        )

    def save_changes_stories(self, form, change):
        # Story forms carry tags by name: one opened before a rename would bring back the
        # old name. (A rename goes through governance.rename, which moves them itself.)
        return change and "name" in form.changed_data

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(stories=Count("tagged_items"))

    @admin.display(description="stories", ordering="stories")
    def story_count(self, obj):
        return obj.stories

    def get_urls(self):
        return [
            path(
                "suggest/",
                self.admin_site.admin_view(self.suggest_view),
                name=self.url_name("suggest"),
            ),
            *super().get_urls(),
        ]

    def suggest_view(self, request):
        """Up to ten names matching ``q`` (or one of their other names), for the tag inputs
        on the story form."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        term = request.GET.get("q", "").strip()[:100]
        if len(term) < 1:
            return JsonResponse({"results": []})
        found, _ = self.get_search_results(request, self.model.objects.all(), term)
        names = found.order_by("name").values_list("name", flat=True).distinct()[:10]
        return JsonResponse({"results": list(names)})


class AliasInline(admin.TabularInline):
    fields = ["name"]
    extra = 1
    verbose_name = "other name"
    verbose_name_plural = (
        "other names (aliases: imports, suggestions and search find this tag by them)"
    )


class PersonAliasInline(AliasInline):
    model = PersonAlias


class TopicAliasInline(AliasInline):
    model = TopicAlias


@admin.register(Person)
class PersonAdmin(NewsTagAdmin):
    form = IdentifiedTagForm
    search_fields = ["name", "aliases__name"]
    inlines = [PersonAliasInline]


@admin.register(Topic)
class TopicAdmin(NewsTagAdmin):
    form = IdentifiedTagForm
    search_fields = ["name", "aliases__name"]
    inlines = [TopicAliasInline]


@admin.register(Country)
class CountryAdmin(NewsTagAdmin):
    list_display = ["name", "code", "slug", "story_count"]
    search_fields = ["name", "code"]
    readonly_fields = ["code", "slug"]
    form = CountryForm


@admin.register(TagRedirect)
class TagRedirectAdmin(admin.ModelAdmin):
    """Old addresses of hubs, left by merges and renames; an editor may drop one."""

    list_display = ["old_slug", "kind", "target"]
    list_filter = ["kind"]
    search_fields = ["old_slug"]
    list_select_related = ["person", "country", "topic", "section", "author"]
    fields = ["kind", "old_slug", "target", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # made by merges and renames, which know where the address leads

    def has_change_permission(self, request, obj=None):
        return False
