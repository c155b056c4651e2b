from collections import Counter
from datetime import UTC, datetime
from io import StringIO

import pycountry
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from articles import text
from articles.models import Article, Country, CrossLink, Person, TaggedPerson
from bench.corpus import delete_corpus, generate_corpus

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SIZE = 300

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def snapshot():
    """Everything a seed decides, keyed by headline (ids differ between runs)."""
    stories = {
        a.headline: (
            a.slug,
            a.status,
            a.published_at,
            a.body,
            sorted(a.people.names()),
            sorted(a.countries.names()),
            sorted(a.topics.names()),
            [author.name for author in a.authors.order_by("bylines__position")],
        )
        for a in Article.objects.prefetch_related("people", "countries", "topics")
    }
    links = sorted(
        (link.source.headline, link.target_headline, link.target_id is None, link.placement or 0)
        for link in CrossLink.objects.select_related("source")
    )
    return stories, links


@pytest.fixture
def corpus():
    return generate_corpus(SIZE, seed=7, now=NOW, batch_size=64)


def test_same_seed_gives_the_same_corpus():
    """A seed is a corpus: benchmarks can be rerun and compared on the same data."""
    generate_corpus(120, seed=3, now=NOW, batch_size=50)
    first = snapshot()
    delete_corpus()
    generate_corpus(120, seed=3, now=NOW, batch_size=17)
    assert snapshot() == first
    assert len(first[0]) == 120 and first[1]


def test_another_seed_gives_another_corpus():
    """The seed really drives the content, not just the order of a fixed list."""
    generate_corpus(60, seed=1, now=NOW)
    first = set(snapshot()[0])
    delete_corpus()
    generate_corpus(60, seed=2, now=NOW)
    assert len(first & set(snapshot()[0])) < 10


def test_stories_have_the_fields_their_save_would_compute(corpus):
    """bulk_create skips save(): headline keys and slugs must still follow the model's rules."""
    for article in Article.objects.all():
        assert article.headline_key == text.headline_key(article.headline)
        assert article.slug == text.slugify(article.headline)
        assert len(article.paragraphs) >= 4
        article.full_clean()
    assert Article.objects.values("headline_key").distinct().count() == SIZE


def test_links_respect_the_graph_rules(corpus):
    """No self links, one link per pair, keys as CrossLink.save computes them, sane placements."""
    links = list(CrossLink.objects.select_related("source", "target"))
    assert links
    pairs = Counter((link.source_id, link.target_id) for link in links if link.target_id)
    assert max(pairs.values()) == 1
    per_story = Counter(link.source_id for link in links)
    assert max(per_story.values()) <= 6
    slots = Counter((link.source_id, link.placement, link.order) for link in links)
    assert max(slots.values()) == 1
    for link in links:
        assert link.source_id != link.target_id
        assert link.target_key == text.headline_key(link.target_headline)
        if link.target:
            assert link.target_headline == link.target.headline
            # Also Read points back in time: at stories already written.
            assert link.target_id < link.source_id
        if link.placement is not None:
            assert 1 <= link.placement < len(link.source.paragraphs)


def test_pending_links_point_at_no_existing_story(corpus):
    """A pending link would have resolved if its story existed; none may be left dangling."""
    pending_keys = set(CrossLink.objects.pending().values_list("target_key", flat=True))
    assert pending_keys
    assert not Article.objects.filter(headline_key__in=pending_keys).exists()


def test_some_links_go_to_archived_stories_and_some_sit_at_the_end(corpus):
    """The public pages must hide links to archived stories, so the corpus needs them."""
    assert CrossLink.objects.filter(target__status=Article.Status.ARCHIVED).exists()
    assert CrossLink.objects.filter(placement__isnull=True).exists()
    assert CrossLink.objects.filter(placement__isnull=False).exists()


def test_statuses_are_spread_mostly_published(corpus):
    """Drafts, reviews, scheduled and archived stories exist, so the gate is exercised."""
    statuses = Counter(Article.objects.values_list("status", flat=True))
    assert statuses[Article.Status.PUBLISHED] > 0.8 * SIZE
    for status in (Article.Status.DRAFT, Article.Status.REVIEW, Article.Status.ARCHIVED):
        assert statuses[status] > 0
    scheduled = Article.objects.filter(status=Article.Status.PUBLISHED, published_at__gt=NOW)
    assert scheduled.exists()
    assert corpus.statuses["scheduled"] == scheduled.count()
    assert not Article.objects.filter(status=Article.Status.DRAFT, published_at__isnull=False)
    years = {a.year for a in Article.objects.live(at=NOW).values_list("published_at", flat=True)}
    assert len(years) >= 5


def test_every_country_is_tagged_and_people_are_long_tailed(corpus):
    """All of ISO 3166 has a hub; a few people dominate as in real news, most are rare."""
    assert Country.objects.count() == len(pycountry.countries)
    assert not Country.objects.annotate(n=Count("tagged_items")).filter(n=0).exists()
    counts = sorted(
        Person.objects.annotate(n=Count("tagged_items")).values_list("n", flat=True), reverse=True
    )
    assert Person.objects.count() == 100
    assert counts[0] > 10 * counts[len(counts) // 2]
    tags = TaggedPerson.objects.values("content_object", "tag")
    assert tags.distinct().count() == tags.count()


def test_command_generates_and_reports(capsys):
    """The command writes the corpus, a summary on stdout and a progress bar on stderr."""
    out, err = StringIO(), StringIO()
    call_command("generate_corpus", articles=40, seed=5, stdout=out, stderr=err)
    assert Article.objects.count() == 40
    assert "Generated 40 stories" in out.getvalue()
    assert "40/40 100%" in err.getvalue()


def test_command_is_quiet_at_verbosity_zero():
    """--verbosity 0 means nothing on either stream (scripts, cron)."""
    out, err = StringIO(), StringIO()
    call_command("generate_corpus", "--articles", "10", verbosity=0, stdout=out, stderr=err)
    assert out.getvalue() == err.getvalue() == ""


def test_command_refuses_to_add_to_existing_stories_without_reset():
    """A second run must not silently double the corpus or collide with its slugs."""
    call_command("generate_corpus", "--articles", "10", verbosity=0)
    with pytest.raises(CommandError, match="already has 10 stories; use --reset") as error:
        call_command("generate_corpus", "--articles", "10", verbosity=0)
    assert error.value.returncode == 1
    assert Article.objects.count() == 10


def test_command_reset_replaces_the_corpus():
    """--reset deletes stories and tags first, then generates afresh."""
    call_command("generate_corpus", "--articles", "30", "--seed", "1", verbosity=0)
    call_command("generate_corpus", "--articles", "12", "--seed", "1", "--reset", verbosity=0)
    assert Article.objects.count() == 12
    assert not CrossLink.objects.exclude(source__in=Article.objects.all()).exists()


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--articles", "0"],
        ["--articles", "-3"],
        ["--articles", "many"],
        ["--articles", "5", "--seed", "x"],
    ],
)
def test_command_rejects_bad_arguments(args):
    """Missing or non-positive sizes are usage errors, and nothing is written."""
    with pytest.raises(CommandError, match="Error:"):
        call_command("generate_corpus", *args, verbosity=0)
    assert not Article.objects.exists()
