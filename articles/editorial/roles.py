"""The two editorial roles, as groups: a Writer drafts, an Editor publishes and curates.

Migration 0004 made the groups with its own copy of these permissions (a change here needs a
new migration to reach existing databases); the tests that need the groups call
``sync_role_groups``. ``ArticleAdmin`` narrows ``change_article`` for writers to their own
unpublished stories.
"""

MODELS = (
    "article",
    "byline",
    "crosslink",
    "section",
    "author",
    "person",
    "country",
    "topic",
    "slugredirect",
    "personalias",
    "topicalias",
    "tagredirect",
    "image",
    "liveentry",
    "breakingnews",
    "ingesttoken",
)

ROLE_PERMISSIONS = {
    "Writer": (
        "add_article",
        "change_article",
        "view_article",
        "add_byline",
        "change_byline",
        "delete_byline",
        "view_byline",
        "add_crosslink",
        "change_crosslink",
        "delete_crosslink",
        "view_crosslink",
        "view_section",
        "view_author",
        "view_person",
        "view_country",
        "view_topic",
        # Writers add photos and fix their own until a live story shows them (ImageAdmin).
        "add_image",
        "change_image",
        "view_image",
        # Entries to the live coverage of stories they are bylined on (narrowed to those by
        # articles.editorial.live); deleting one is an editor's call.
        "add_liveentry",
        "change_liveentry",
        "view_liveentry",
    ),
    "Editor": (
        *(
            f"{action}_{model}"
            for model in MODELS
            for action in ("add", "change", "delete", "view")
        ),
        "publish_article",
        "view_auditentry",
        # Corrections are part of the public record: editors add and amend them, and no
        # one deletes one from the admin (articles.editorial.corrections).
        "add_correction",
        "change_correction",
        "view_correction",
    ),
}


def sync_role_groups(group_model, permission_model) -> None:
    """Create the groups and grant each its permissions (which must exist already)."""
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.add(
            *permission_model.objects.filter(
                content_type__app_label="articles", codename__in=codenames
            )
        )
