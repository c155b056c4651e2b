from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Newsroom"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Connect the signals that invalidate cached pages, make images' renditions and
        # ping the WebSub hub.
        from . import caching, images, websub  # noqa: F401
