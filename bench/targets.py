"""The URLs a benchmark hits, chosen from the corpus in the database (prints JSON).

Run with the benchmark's environment (DATABASE_URL and friends) by ``bench/run`` and
``bench/latency.py``; kept apart so both pick the same pages the same way.
"""

import functools
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()


@functools.cache
def busiest_person():
    """The person with the most live stories: the biggest hub, with the deepest pages."""
    from django.db.models import Count

    from articles.models import Article, Person

    live = Article.objects.live().values("pk")
    return (
        Person.objects.filter(tagged_items__content_object__in=live)
        .annotate(stories=Count("tagged_items"))
        .order_by("-stories", "pk")
        .first()
    )


def choose(articles: int = 200, seed: int = 1) -> dict:
    from django.urls import reverse

    from articles.models import Article

    slugs = list(Article.objects.live().values_list("slug", flat=True).order_by("pk"))
    random.Random(seed).shuffle(slugs)
    person = busiest_person()
    hub = person.get_absolute_url() if person else reverse("articles:front")
    hub_feed = (
        reverse(
            "articles:hub_feed", kwargs={"kind": "people", "slug": person.slug, "format": "rss"}
        )
        if person
        else reverse("articles:feed", args=["rss"])
    )
    surname = person.name.split()[-1] if person else "ceasefire"
    return {
        "front": reverse("articles:front"),
        "article": [reverse("articles:detail", kwargs={"slug": s}) for s in slugs[:articles]],
        "hub": hub,
        "hub_stories": person.stories if person else 0,
        "hub_feed": hub_feed,
        "feed": reverse("articles:feed", args=["rss"]),
        "search": f"{reverse('articles:search')}?q={surname}+ceasefire",
    }


if __name__ == "__main__":
    setup_django()
    json.dump(choose(), sys.stdout)
