"""Link health: what in the story graph an editor should mend.

One report serves the admin page and ``manage.py link_health`` (for cron). Its findings:

* pending links (the linked story does not exist yet), oldest first;
* links to stories that are not live (drafts, scheduled, archived): readers of a live
  source see a hole where the Also Read box should be;
* live stories with no links in or out;
* one-way pairs: live A links to live B, and B does not link back;
* the most-linked live stories (not a fault: where the graph is densest).

Each row carries the admin URL where it is mended. Two findings are *failures* that make
the command exit non-zero: a live story with a link to a story that is not live, and a
pending link older than the allowed age. The report costs a fixed number of queries.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, ArticleQuerySet, CrossLink

from .graph import change_url, node_status

DEFAULT_MAX_PENDING_AGE = "7d"
ROW_LIMIT = 200  # rows shown per section; the totals are always exact
MOST_LINKED = 10
_AGE = re.compile(r"^\s*(\d+)\s*([wdhm])\s*$")
_AGE_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


def parse_age(value: str) -> timedelta:
    """``"7d"``, ``"48h"``, ``"2w"`` or ``"90m"`` as a timedelta; ValueError otherwise."""
    match = _AGE.match(value or "")
    if not match:
        raise ValueError(f"“{value}” is not an age like 7d, 48h, 2w or 90m")
    return timedelta(**{_AGE_UNITS[match[2]]: int(match[1])})


def describe_age(age: timedelta) -> str:
    """An age the way an editor would say it: "7 days", "48 hours", "90 minutes"."""
    minutes = int(age.total_seconds()) // 60
    for unit, size in (("day", 1440), ("hour", 60), ("minute", 1)):
        if minutes % size == 0 or unit == "minute":
            count = minutes // size
            return f"{count} {unit}{'s' if count != 1 else ''}"


def max_pending_age() -> timedelta:
    return parse_age(getattr(settings, "NEWSROOM_LINK_MAX_PENDING_AGE", DEFAULT_MAX_PENDING_AGE))


@dataclass
class Row:
    headline: str  # the story the row is about (the link's source for link rows)
    mend_url: str  # where an editor fixes it
    target: str = ""  # the linked headline, for link rows
    target_url: str = ""
    note: str = ""
    failure: bool = False

    def __str__(self):
        subject = f"{self.headline} → {self.target}" if self.target else self.headline
        note = f" [{self.note}]" if self.note else ""
        flag = "FAIL " if self.failure else ""
        return f"{flag}{subject}{note}  {self.mend_url}"


@dataclass
class Section:
    key: str
    title: str
    help: str
    rows: list[Row] = field(default_factory=list)
    total: int = 0
    failure_total: int = 0  # failures among all rows, shown or not

    @property
    def more(self) -> int:
        return self.total - len(self.rows)

    @property
    def failures(self) -> list[Row]:
        return [row for row in self.rows if row.failure]


@dataclass
class LinkHealthReport:
    sections: list[Section]
    failure_count: int
    max_pending_age: timedelta

    @property
    def max_pending_age_text(self) -> str:
        return describe_age(self.max_pending_age)

    @property
    def ok(self) -> bool:
        return self.failure_count == 0

    def section(self, key: str) -> Section:
        return next(section for section in self.sections if section.key == key)

    def as_text(self) -> str:
        lines = []
        for section in self.sections:
            lines.append(f"{section.title}: {section.total}")
            lines.extend(f"  {row}" for row in section.rows)
            if section.more:
                lines.append(f"  … and {section.more} more")
        verdict = "OK" if self.ok else f"{self.failure_count} failure(s)"
        lines.append(f"Link health: {verdict}.")
        return "\n".join(lines)


def _live(prefix: str):
    return ExpressionWrapper(ArticleQuerySet.live_condition(prefix), output_field=BooleanField())


def _age(since, now) -> str:
    days = (now - since).days
    return f"{days} day{'s' if days != 1 else ''} old" if days else "less than a day old"


def write_story_url(headline: str) -> str:
    return f"{reverse('admin:articles_article_add')}?{urlencode({'headline': headline})}"


def pending_links(now, max_age: timedelta) -> Section:
    section = Section(
        "pending",
        "Pending links",
        "Links to a headline no story has yet. Write or import that story, or remove the link.",
    )
    links = CrossLink.objects.pending().select_related("source").order_by("created_at", "pk")
    section.total = links.count()
    section.rows = [
        Row(
            link.source.headline,
            change_url(link.source_id),
            target=link.target_headline,
            # Writing the story resolves the link: offer the add form with its headline.
            target_url=write_story_url(link.target_headline),
            note=_age(link.created_at, now),
            failure=link.created_at < now - max_age,
        )
        for link in links[:ROW_LIMIT]
    ]
    section.failure_total = links.filter(created_at__lt=now - max_age).count()
    return section


def links_to_stories_not_live(now) -> Section:
    section = Section(
        "not_live",
        "Links to stories that are not live",
        "Publish the linked story, or remove the link from the story that shows it.",
    )
    links = (
        CrossLink.objects.filter(target__isnull=False)
        .exclude(ArticleQuerySet.live_condition("target__", at=now))
        .annotate(source_live=_live("source__"), target_live=_live("target__"))
        .select_related("source", "target")
        .order_by("-source_live", "source__headline", "pk")
    )
    section.total = links.count()
    section.rows = [
        Row(
            link.source.headline,
            change_url(link.source_id),
            target=link.target.headline,
            target_url=change_url(link.target_id),
            note=f"{node_status(link.target.status, link.target_live)}"
            + (", shown on a live story" if link.source_live else ""),
            failure=link.source_live,
        )
        for link in links[:ROW_LIMIT]
    ]
    section.failure_total = links.filter(ArticleQuerySet.live_condition("source__")).count()
    return section


def unlinked_stories() -> Section:
    section = Section(
        "unlinked",
        "Live stories with no links in or out",
        "Add an Also Read link; the story's page suggests some.",
    )
    stories = (
        Article.objects.live()
        .filter(~Exists(CrossLink.objects.filter(source=OuterRef("pk"))))
        .filter(~Exists(CrossLink.objects.filter(target=OuterRef("pk"))))
        .order_by("-published_at", "-pk")
    )
    section.total = stories.count()
    section.rows = [
        Row(story.headline, change_url(story.pk)) for story in stories.only("headline")[:ROW_LIMIT]
    ]
    return section


def one_way_pairs() -> Section:
    section = Section(
        "one_way",
        "One-way pairs",
        "A live story links to another live story that does not link back. "
        "Link back from the second, if it helps its readers.",
    )
    links = (
        CrossLink.objects.shown()
        .filter(
            ~Exists(CrossLink.objects.filter(source=OuterRef("target"), target=OuterRef("source")))
        )
        .select_related("source", "target")
        .order_by("-source__published_at", "pk")
    )
    section.total = links.count()
    section.rows = [
        Row(
            link.target.headline,
            change_url(link.target_id),
            target=link.source.headline,
            target_url=change_url(link.source_id),
            note="does not link back",
        )
        for link in links[:ROW_LIMIT]
    ]
    return section


def most_linked() -> Section:
    section = Section(
        "most_linked",
        "Most-linked stories",
        "Live stories that the most live stories link to.",
    )
    stories = (
        Article.objects.live()
        .annotate(
            inbound=Count("links_in", filter=ArticleQuerySet.live_condition("links_in__source__"))
        )
        .filter(inbound__gt=0)
        .order_by("-inbound", "-published_at", "-pk")
    )
    section.rows = [
        Row(
            story.headline,
            change_url(story.pk),
            note=f"{story.inbound} link{'s' if story.inbound != 1 else ''} in",
        )
        for story in stories[:MOST_LINKED]
    ]
    section.total = len(section.rows)
    return section


def link_health(max_age: timedelta | None = None, now=None) -> LinkHealthReport:
    """The whole report (eleven queries)."""
    now = now or timezone.now()
    max_age = max_pending_age() if max_age is None else max_age
    sections = [
        pending_links(now, max_age),
        links_to_stories_not_live(now),
        unlinked_stories(),
        one_way_pairs(),
        most_linked(),
    ]
    failures = sum(section.failure_total for section in sections)
    return LinkHealthReport(sections, failures, max_age)
