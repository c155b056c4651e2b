"""Every kind of public page is valid HTML according to the Nu HTML Checker (vnu.jar)."""

import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from articles import images
from articles.editorial import live
from articles.importing import import_stories
from articles.models import BreakingNews, Correction, LiveEntry, Person, PersonAlias
from articles.reader.live import ENTRIES_PER_PAGE
from tests.conftest import require
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CrossLinkFactory,
    ImageFactory,
    taken_down,
)
from tests.paging import older_link

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = os.environ.get("VNU_JAR", "")


def test_public_pages_pass_the_nu_html_checker(client, tmp_path):
    """Front page, stories (one with photos, an opinion piece with a dateline), hubs,
    archive, search, corrections, the 404 page, a taken-down story's 410 notice (with and
    without its headline), a story covered live (both pages of its entries) and one whose
    coverage ended, all with the breaking-news banner: no HTML errors."""
    require(bool(VNU_JAR) and Path(VNU_JAR).is_file() and shutil.which("java"), "vnu.jar and Java")
    import_stories([ROOT / "seeds"])
    # Demo content (manage.py load_demo): its note on the page, its label on cards.
    story = ArticleFactory(
        is_demo=True,
        headline="Gaza ceasefire faces new hurdle as Israel claims Hamas violated agreement twice",
        people=["Benjamin Netanyahu"],
        countries=["IL"],
        topics=["Gaza ceasefire"],
    )
    # A hub with its editors' description, found by search under one of its other names.
    person = Person.objects.get(name="Benjamin Netanyahu")
    person.description, person.wikidata_id = "Prime Minister of Israel.", "Q43915"
    person.save()
    PersonAlias.objects.create(tag=person, name="Bibi Netanyahu")
    CrossLinkFactory(source=story, placement=None)
    # Also Read boxes, two at one placement: their ids and aria-labelledby must be valid.
    for placement in (1, 2, 2):
        CrossLinkFactory(source=story, placement=placement)
    # Opinion and sponsored work, labelled on cards and in Also Read boxes; a dateline.
    opinion = ArticleFactory(
        headline="Why the talks need patience",
        story_type="opinion",
        dateline="DOHA",
        people=["Benjamin Netanyahu"],
    )
    ArticleFactory(headline="A sponsored guide to the coast", story_type="sponsored")
    CrossLinkFactory(source=story, target=opinion, placement=3)
    withheld = taken_down(headline="A story taken down for legal reasons")
    named = taken_down(
        headline="A story published in error", reason="error", takedown_note="We are sorry."
    )
    # A correction before the body and a clarification after it; both on /corrections/.
    for kind in Correction.Kind.values:
        Correction.objects.create(
            article=story, kind=kind, text=f"A {kind} <b>here</b>.", revision=1
        )
    photo_in_body = ImageFactory(alt_text="Boats in a row")
    figure = images.photo_html(photo_in_body.digest, "Boats in a row")
    with_photos = ArticleFactory(
        headline="Boats return to the harbour",
        lead_image=ImageFactory(caption="The harbour at dawn", credit="AP"),
        body=f"<p>The fleet is back.</p><figure>{figure}<figcaption>Nets</figcaption></figure>",
    )
    # A story covered live (entries by authors, a key event, an edited one, a second page),
    # one whose coverage ended, and the breaking-news banner on every page.
    covered = ArticleFactory(headline="Earthquake strikes the capital", authors=[AuthorFactory()])
    live.start_coverage(article=covered, actor="test")
    for n in range(ENTRIES_PER_PAGE + 2):
        live.post_entry(
            article=covered,
            body=f"<p>Entry {n} with <b>news</b>.</p><ul><li>A point</li></ul>",
            headline="Bridge closed" if n == 0 else "",
            is_key=n % 10 == 0,
            authors=[AuthorFactory(name="Desk One")],
        )
    edited = LiveEntry.objects.first()
    edited.body = "Edited entry."
    live.save_entry(entry=edited, base_revision=edited.revision)
    ended = ArticleFactory(headline="Storm passes")
    live.start_coverage(article=ended, actor="test")
    live.post_entry(article=ended, body="The storm has passed.")
    live.end_coverage(article=ended, actor="test")
    BreakingNews.objects.create(
        text="Earthquake hits the capital: follow live",
        link=covered.get_absolute_url(),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    html = client.get(covered.get_absolute_url()).content.decode()
    pages = {
        "live-story": covered.get_absolute_url(),
        "live-story-older": covered.get_absolute_url() + older_link(html),
        "ended-coverage": ended.get_absolute_url(),
        "front": "/",
        "story-with-photos": with_photos.get_absolute_url(),
        "archive": "/archive/",
        "seed-story": "/news/trump-invites-netanyahu-to-the-white-house-on-february-4/",
        "story": story.get_absolute_url(),
        "opinion-story": opinion.get_absolute_url(),
        "person": "/people/benjamin-netanyahu/",
        "country": "/countries/israel/",
        "section": "/sections/world/",
        "search": "/search/?q=ceasefire",
        "corrections": "/corrections/",
        "search-by-alias": "/search/?q=Bibi+Netanyahu",
        "empty-search": "/search/?q=",
        "not-found": "/news/no-such-story/",
        "taken-down": withheld.get_absolute_url(),
        "taken-down-named": named.get_absolute_url(),
    }
    files = []
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code in (200, 404, 410), url
        path = tmp_path / f"{name}.html"
        path.write_bytes(response.content)
        files.append(str(path))
    result = subprocess.run(
        ["java", "-jar", VNU_JAR, "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    assert [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}" for m in messages
    ] == []
