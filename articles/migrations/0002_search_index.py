"""A GIN index on the weighted search vector (PostgreSQL only; SQLite searches with LIKE).

The SQL is written out as the search code of the day made it, so that later changes to that
code cannot change this step of history. 0006 replaced the index with one on a stored column.
"""

from django.db import migrations

CREATE_SEARCH_INDEX = (
    'CREATE INDEX "article_search_idx" ON "articles_article" USING gin ((('
    "(setweight(to_tsvector('english'::regconfig, COALESCE(\"headline\", '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, COALESCE(\"standfirst\", '')), 'B'))"
    " || setweight(to_tsvector('english'::regconfig, COALESCE(\"body\", '')), 'C'))))"
)
DROP_SEARCH_INDEX = 'DROP INDEX IF EXISTS "article_search_idx"'


def add_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_SEARCH_INDEX)


def remove_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SEARCH_INDEX)


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]

    operations = [migrations.RunPython(add_search_index, remove_search_index)]
