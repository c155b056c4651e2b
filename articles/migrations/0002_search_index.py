from django.db import migrations


def add_search_index(apps, schema_editor):
    # A GIN index on the weighted search vector exists on PostgreSQL only; SQLite searches
    # with LIKE (see articles/search.py).
    if schema_editor.connection.vendor != "postgresql":
        return
    from articles.reader.search import SEARCH_INDEX

    schema_editor.add_index(apps.get_model("articles", "Article"), SEARCH_INDEX)


def remove_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from articles.reader.search import SEARCH_INDEX

    schema_editor.remove_index(apps.get_model("articles", "Article"), SEARCH_INDEX)


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]

    operations = [migrations.RunPython(add_search_index, remove_search_index)]
