# The old lead-image columns go in a migration of their own: on PostgreSQL a table whose
# rows the previous one updated (with a deferred foreign key to check) cannot be altered in
# the same transaction.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0021_image_library'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='article',
            name='image',
        ),
        migrations.RemoveField(
            model_name='article',
            name='image_alt',
        ),
        migrations.RemoveField(
            model_name='article',
            name='image_caption',
        ),
        migrations.RemoveField(
            model_name='article',
            name='image_credit',
        ),
    ]
