"""Content changes name what changed (``articles.caching``): rows from before name everything
(``*``), so a page stored before this migration is rendered afresh."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0019_tag_governance'),
    ]

    operations = [
        migrations.AddField(
            model_name='contentchange',
            name='key',
            field=models.CharField(default='*', max_length=100),
        ),
        migrations.AddIndex(
            model_name='contentchange',
            index=models.Index(fields=['key', 'id'], name='contentchange_key_id'),
        ),
    ]
