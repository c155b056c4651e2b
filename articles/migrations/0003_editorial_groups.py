"""The two editorial roles: Writer drafts, Editor publishes and curates."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = [
    "article",
    "byline",
    "crosslink",
    "section",
    "author",
    "person",
    "country",
    "topic",
    "slugredirect",
]

WRITER = [
    "add_article",
    "change_article",  # narrowed to their own unpublished stories by ArticleAdmin
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
]
EDITOR = [
    f"{action}_{model}" for model in MODELS for action in ("add", "change", "delete", "view")
] + ["publish_article"]


def create_groups(apps, schema_editor):
    # Permissions are normally made after all migrations ran; the groups need them now.
    app_config = apps.get_app_config("articles")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Writer", WRITER), ("Editor", EDITOR)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="articles", codename__in=codenames
            )
        )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Writer", "Editor"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_slug_redirects_and_publish_permission"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
