"""Helpers for the admin tests: users in the editorial groups, and change-form POST data."""

from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse
from django.utils.timezone import localtime

from articles.editorial.roles import sync_role_groups
from articles.models import Article

ADD_URL = reverse("admin:articles_article_add")
CHANGELIST_URL = reverse("admin:articles_article_changelist")


def change_url(article: Article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


def make_user(username: str, group: str | None) -> User:
    user = User.objects.create_user(username=username, password="pw", is_staff=True)
    if group:
        # The groups come from a migration; a transactional test that ran before on this
        # worker (in any order under xdist's work stealing) flushed them away.
        if not Group.objects.filter(name=group).exists():
            sync_role_groups(Group, Permission)
        user.groups.add(Group.objects.get(name=group))
    return user


def article_data(article: Article | None = None, **overrides) -> dict:
    """What the change form posts for ``article`` (its links included), with overrides."""
    data = {
        "headline": "A new story about the talks",
        "slug": "a-new-story-about-the-talks",
        "standfirst": "",
        "body": "<p>First paragraph.</p><p>Second paragraph.</p>",
        "status": Article.Status.DRAFT,
        "published_at_0": "",
        "published_at_1": "",
        "story_type": Article.StoryType.NEWS,
        "dateline": "",
        "section": "",
        "source": "",
        "people": "",
        "countries": "",
        "topics": "",
        "lead_image": "",
        "bylines-TOTAL_FORMS": "0",
        "bylines-INITIAL_FORMS": "0",
        "links_out-TOTAL_FORMS": "0",
        "links_out-INITIAL_FORMS": "0",
    }
    if article is not None:
        data |= {
            "headline": article.headline,
            "slug": article.slug,
            "standfirst": article.standfirst,
            "body": article.body,
            "status": article.status,
            "story_type": article.story_type,
            "dateline": article.dateline,
            "section": article.section_id or "",
            "source": article.source,
            "lead_image": article.lead_image_id or "",
            "base_revision": article.revision,
            "people": ", ".join(article.people.names()),
            "countries": ", ".join(article.countries.names()),
            "topics": ", ".join(article.topics.names()),
        }
        if article.published_at:
            moment = localtime(article.published_at)
            data["published_at_0"] = moment.strftime("%Y-%m-%d")
            data["published_at_1"] = moment.strftime("%H:%M:%S")
        links = list(article.links_out.all())
        data["links_out-TOTAL_FORMS"] = data["links_out-INITIAL_FORMS"] = str(len(links))
        for index, link in enumerate(links):
            prefix = f"links_out-{index}-"
            data |= {
                f"{prefix}id": link.pk,
                f"{prefix}source": article.pk,
                f"{prefix}target": link.target_id or "",
                f"{prefix}target_headline": link.target_headline,
                f"{prefix}placement": "" if link.placement is None else link.placement,
                f"{prefix}order": link.order,
            }
    return data | overrides


def link_row(index: int, *, target="", headline="", placement="", order=0) -> dict:
    prefix = f"links_out-{index}-"
    return {
        f"{prefix}target": getattr(target, "pk", target),
        f"{prefix}target_headline": headline,
        f"{prefix}placement": placement,
        f"{prefix}order": order,
    }
