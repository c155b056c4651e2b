"""The two editorial roles as groups: a Writer drafts, an Editor publishes and curates.

The permissions are written out as they were when this migration was made, so that later
changes to the roles (articles/editorial/roles.py) cannot change this step of history.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_MODELS = (
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
            for model in EDITOR_MODELS
            for action in ("add", "change", "delete", "view")
        ),
        "publish_article",
    ),
}


def create_groups(apps, schema_editor):
    # Permissions are normally made after all migrations ran; the groups need them now.
    app_config = apps.get_app_config("articles")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="articles", codename__in=codenames)
        )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_slug_redirects_and_publish_permission"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
