"""The content generation moves into the database (``articles.caching``), starting with one
row: pages cached before this migration, under a token of the old kind, are never served."""

import django.utils.timezone
from django.db import migrations, models


def first_change(apps, schema_editor):
    # bulk_create sends no signals: nothing else needs telling while migrating.
    content_change = apps.get_model("articles", "ContentChange")
    content_change.objects.bulk_create([content_change()])


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0012_tags_slug_not_empty'),
    ]

    operations = [
        migrations.CreateModel(
            name='ContentChange',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'ordering': ['-id'],
            },
        ),
        migrations.RunPython(first_change, migrations.RunPython.noop),
    ]
