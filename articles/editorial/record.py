"""The newsroom's record in the admin: the audit log of editorial acts.

Entries are written by the acts themselves (``AuditEntry.objects.log``), in the act's
transaction; here they are only read. No one, superusers included, adds, edits or deletes
one from the admin.
"""

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from articles.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "subject", "detail"]
    list_filter = ["action", "subject_type", ("user", admin.RelatedOnlyFieldListFilter), "at"]
    date_hierarchy = "at"
    search_fields = ["title", "actor", "detail"]
    list_select_related = ["user"]
    fields = ["at", "actor", "user", "action", "subject_type", "subject_id", "title", "detail"]
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="subject", ordering="title")
    def subject(self, entry):
        """The title at the time, linked to the subject's admin page while it exists."""
        if entry.subject_id is None:
            return entry.title
        try:
            url = reverse(f"admin:articles_{entry.subject_type}_change", args=[entry.subject_id])
        except NoReverseMatch:
            return entry.title
        return format_html(
            '<a href="{}">{}</a> <small>({})</small>', url, entry.title, entry.subject_type
        )
