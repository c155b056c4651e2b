"""Ingest tokens in the admin: an editor creates one for an agency or desk (its secret is
shown once), sees when each was last used, and revokes it (``articles.ingest``)."""

from django.contrib import admin, messages
from django.utils import timezone

from articles.models import AuditEntry, IngestToken


@admin.register(IngestToken)
class IngestTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "hint", "allows", "created_by", "created_at", "last_used_at", "state"]
    list_filter = ["allows"]
    search_fields = ["name", "hint"]
    actions = ["revoke_selected"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "allows"]
        return ["name", "allows", "hint", "created_by", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # A token's reach is set when it is made: widen it with a new token, not an edit.
        return ["allows", "hint", "created_by", "created_at", "last_used_at", "revoked_at"]

    @admin.display(description="state", ordering="revoked_at")
    def state(self, obj):
        return f"revoked {obj.revoked_at:%Y-%m-%d %H:%M}" if obj.revoked else "active"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token, secret = IngestToken.objects.issue(
            name=obj.name, allows=obj.allows, user=request.user
        )
        obj.pk, obj.hint = token.pk, token.hint
        obj._state.adding = False
        self.message_user(
            request,
            f"The token for “{token.name}” is {secret} — copy it now: it is shown only this "
            "once (only its digest is kept). Deliveries send it as "
            "'Authorization: Bearer <token>' to POST /api/ingest/.",
            messages.WARNING,
        )

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke_selected(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            AuditEntry.objects.log(AuditEntry.Action.TOKEN_REVOKED, token, user=request.user)
            revoked += 1
        self.message_user(request, f"Revoked {revoked} tokens.", messages.SUCCESS)
