"""The two editorial roles, as groups: a Writer drafts, an Editor publishes and curates.

The migration that sets the groups up and the tests that need them both call
``sync_role_groups``; ``ArticleAdmin`` narrows ``change_article`` for writers to their own
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
    ),
    "Editor": (
        *(
            f"{action}_{model}"
            for model in MODELS
            for action in ("add", "change", "delete", "view")
        ),
        "publish_article",
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
