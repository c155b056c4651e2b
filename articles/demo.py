"""The demo newsroom: a few dozen stories around the seed, so a first run shows every feature.

The stories are story files in ``seeds/demo/`` (``Demo: yes``), imported by the importer like
any other, with two things done at load time: their times move to the present (the files are
written as if it were ``TIME_ANCHOR``; see ``seeds/demo/README.md``), and their pictures are
drawn then (``Image: images/circles-teal-on-navy.png`` names a recipe, not a committed file),
so the repository holds no binaries and every newcomer gets fresh dates.

Loading never overwrites anything: it refuses a database that holds stories other than the
seed's and the demo's own, and does nothing once the demo is there. ``remove()`` deletes the
demo stories, the library images only they use and the names only they carried, and nothing
else, so a newsroom can start its real work.
"""

import io
import math
import random
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from . import caching, images, importing
from .models import TAG_KINDS, Article, AuditEntry, Author, Image, Section, tag_model

DEMO_DIR = settings.BASE_DIR / "seeds" / "demo"
SEED_DIR = settings.BASE_DIR / "seeds"
# The demo's story files give their times as if it were this moment; loading moves every one
# of them by the time from it to the hour the demo is loaded, so the newest stories are hours
# old (the News sitemap lists them) and the oldest a few weeks.
TIME_ANCHOR = datetime(2000, 1, 1, tzinfo=UTC)
TIMED_KEYS = ("published", "updated", *importing.NOTICE_KEYS)
# Who the audit log and story versions credit with the demo's arrival and removal.
ACTOR = "load_demo"


class DemoRefused(Exception):
    """The demo cannot be loaded here; the message says why and what to do."""


# Pictures ----------------------------------------------------------------------------------
#
# A picture's file name is its recipe: ``<shape>-<colour>-on-<colour>.png``, shapes of the
# first colour over a gradient of the second, drawn at a size that makes a few renditions
# (960 pixels wide: 320, 640 and 960) without making loading slow. Its alt text in the story
# files says just that (tests/test_demo.py checks every one names its shape and colours).

PICTURE_SIZE = (960, 540)
PICTURE_LABEL = "Illustration (demo)"
COLOURS = {
    "amber": (242, 169, 59),
    "coral": (240, 113, 103),
    "teal": (0, 168, 150),
    "sky": (98, 182, 203),
    "lime": (168, 206, 84),
    "rose": (214, 92, 142),
    "sand": (224, 201, 160),
    "white": (240, 240, 235),
    "navy": (16, 37, 76),
    "plum": (66, 30, 74),
    "forest": (22, 64, 50),
    "slate": (44, 54, 66),
    "maroon": (92, 24, 36),
}
SHAPES = ("circles", "rings", "stripes", "triangles", "squares", "waves")
PICTURE_NAME = re.compile(
    rf"^(?P<shape>{'|'.join(SHAPES)})-(?P<colour>[a-z]+)-on-(?P<ground>[a-z]+)\.png$"
)


def _gradient(ground: tuple[int, int, int]) -> PILImage.Image:
    """The background: ``ground`` lighter at the top left, darker at the bottom right."""
    lighter = tuple(min(255, round(c * 1.45) + 12) for c in ground)
    darker = tuple(round(c * 0.55) for c in ground)
    corners = PILImage.new("RGB", (2, 2))
    corners.putdata([lighter, ground, ground, darker])
    return corners.resize(PICTURE_SIZE, PILImage.Resampling.BILINEAR).convert("RGBA")


def _marks(shape: str, colour, rng: random.Random) -> list[list[tuple[str, tuple, dict]]]:
    """The shapes of a picture, in drawing order, as ``ImageDraw`` calls ``(method, box or
    points, options)`` grouped by the layer they are drawn on: shapes that may overlap are
    on layers of their own, so both show through where they do."""
    width, height = PICTURE_SIZE
    fill = (*colour, 140)

    def spot(low: int, high: int) -> tuple[int, int, int]:
        return rng.randint(0, width), rng.randint(0, height), rng.randint(low, high)

    if shape == "circles":
        return [
            [("ellipse", (x - r, y - r, x + r, y + r), {"fill": fill})]
            for x, y, r in (spot(50, 200) for _ in range(6))
        ]
    if shape == "rings":
        return [
            [
                ("ellipse", (x - r, y - r, x + r, y + r), {"outline": fill, "width": 14})
                for r in range(40, 280, 48)
            ]
            for x, y, _ in (spot(0, 0) for _ in range(3))
        ]
    if shape == "stripes":
        step = rng.randint(90, 130)
        return [
            [
                (
                    "polygon",
                    [(x, height), (x + 40, height), (x + height + 40, 0), (x + height, 0)],
                    {"fill": fill},
                )
                for x in range(-height, width, step)
            ]
        ]
    if shape == "triangles":
        return [
            [("polygon", [(x, y - s), (x + s, y + s), (x - s, y + s)], {"fill": fill})]
            for x, y, s in (spot(60, 180) for _ in range(7))
        ]
    if shape == "squares":
        return [
            [("rectangle", (x - s, y - s, x + s, y + s), {"fill": fill})]
            for x, y, s in (spot(40, 140) for _ in range(9))
        ]
    waves = []
    for band in range(4):
        base, phase = height * (band + 1) / 5, rng.uniform(0, 2 * math.pi)
        crest = [(x, base + 40 * math.sin(x / 90 + phase)) for x in range(0, width + 20, 20)]
        waves.append([("polygon", [*crest, (width, height), (0, height)], {"fill": (*colour, 90)})])
    return waves


def _label(picture: PILImage.Image) -> None:
    """``PICTURE_LABEL`` in the bottom left corner, white on a dark band, so the picture says
    what it is wherever it is shown without its caption."""
    draw = ImageDraw.Draw(picture)
    try:
        font = ImageFont.load_default(size=22)
    except (ImportError, OSError):  # Pillow built without FreeType: its bitmap font
        font = ImageFont.load_default()
    left, top, right, bottom = draw.textbbox((24, PICTURE_SIZE[1] - 52), PICTURE_LABEL, font=font)
    draw.rectangle((left - 10, top - 8, right + 10, bottom + 8), fill=(0, 0, 0, 170))
    draw.text((24, PICTURE_SIZE[1] - 52), PICTURE_LABEL, font=font, fill=(255, 255, 255, 255))


def picture(name: str) -> bytes:
    """The PNG that the picture file name ``name`` describes, the same bytes every time."""
    match = PICTURE_NAME.match(name)
    if not match or match["colour"] not in COLOURS or match["ground"] not in COLOURS:
        raise ValueError(
            f"'{name}' is not a demo picture: <shape>-<colour>-on-<colour>.png, shapes "
            f"{', '.join(SHAPES)}, colours {', '.join(COLOURS)}"
        )
    canvas = _gradient(COLOURS[match["ground"]])
    # Each shape on a layer of its own, so where shapes overlap both show through.
    for group in _marks(match["shape"], COLOURS[match["colour"]], random.Random(name)):
        layer = PILImage.new("RGBA", PICTURE_SIZE, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        for method, where, options in group:
            getattr(draw, method)(where, **options)
        canvas.alpha_composite(layer)
    _label(canvas)
    out = io.BytesIO()
    canvas.convert("RGB").save(out, "PNG")
    return out.getvalue()


# Loading -----------------------------------------------------------------------------------

# The pictures a story file names: ``Image: images/<name>`` and ``src="images/<name>"``.
PICTURE_REFERENCE = re.compile(r"images/([a-z-]+\.png)")
TIMED_LINE = re.compile(
    rf"^(?P<key>{'|'.join(TIMED_KEYS)})(?P<colon>[ \t]*:[ \t]*)(?P<rest>.*)$", re.I
)


def time_shift(now: datetime) -> timedelta:
    """How far the demo's times move: ``TIME_ANCHOR`` becomes the start of the current hour,
    so every story is in the past (none is scheduled) and the newest are hours old."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - TIME_ANCHOR


def shifted(content: str, shift: timedelta) -> str:
    """A story file's text with the times of its header (publication, update, notices)
    moved by ``shift``; the body and every line's number stay as they are."""
    lines = content.split("\n")
    for number, line in enumerate(lines):
        if not line.strip():
            break  # the end of the header block
        match = TIMED_LINE.match(line)
        if not match:
            continue
        given, bar, rest = match["rest"].partition("|")
        moment = importing.parse_datetime(given)
        if moment is not None:
            moved = (moment + shift).isoformat()
            lines[number] = f"{match['key']}{match['colon']}{moved}{' ' if bar else ''}{bar}{rest}"
    return "\n".join(lines)


def prepare(folder: Path, now: datetime, source: Path | None = None) -> tuple[list[Path], int]:
    """The demo's story files copied into ``folder`` with their times moved to the present,
    and the pictures they name drawn beside them: the files, ready for the importer, and
    how many pictures there are."""
    shift = time_shift(now)
    names = set()
    written = []
    for path in importing.story_paths([source or DEMO_DIR]):
        content = importing.read_story_text(path)
        names.update(PICTURE_REFERENCE.findall(content))
        copy = folder / path.name
        copy.write_text(shifted(content, shift), encoding="utf-8")
        written.append(copy)
    (folder / "images").mkdir()
    for name in sorted(names):
        (folder / "images" / name).write_bytes(picture(name))
    return written, len(names)


def seed_slugs(folder: Path = SEED_DIR) -> set[str]:
    """The addresses of the seed's stories (``seeds/*.txt``): the stories a newsroom has
    before it has any of its own, beside which the demo may be loaded."""
    slugs = set()
    for path in importing.story_paths([folder]):
        try:
            header, _ = importing.read_header(path, importing.read_story_text(path).split("\n"))
            slugs.add(importing.story_headline_and_slug(header)[1])
        except importing.StoryFileError:
            continue  # a broken seed file is import_articles's to report
    return slugs


def newsroom_is_empty() -> bool:
    """Whether there is no story at all: a first run, before even the seed is imported."""
    return not Article.objects.exists()


def newsroom_stories():
    """Stories that are neither the demo's nor the seed's: the newsroom's own work."""
    return Article.objects.filter(is_demo=False).exclude(slug__in=seed_slugs())


@dataclass
class LoadReport:
    stories: int = 0
    pictures: int = 0
    already_loaded: bool = False


def load(*, now: datetime | None = None, source: Path | None = None) -> LoadReport:
    """Load the demo: all of it in one transaction, or nothing.

    Does nothing when demo stories are there already (so running it twice changes nothing);
    ``DemoRefused`` when the newsroom has stories of its own, which the demo never mixes
    with. Files written for a load that fails are deleted again.
    """
    if (present := Article.objects.filter(is_demo=True).count()) > 0:
        return LoadReport(stories=present, already_loaded=True)
    if count := newsroom_stories().count():
        raise DemoRefused(
            f"the database has {count} {'story' if count == 1 else 'stories'} of its own; "
            "the demo is only loaded into an empty newsroom (or one holding only the seed), "
            "so that it never mixes with or overwrites real work"
        )
    with tempfile.TemporaryDirectory(prefix="newsroom-demo-") as folder:
        paths, pictures = prepare(Path(folder), now or datetime.now(UTC), source)
        with images.files_written() as written:
            try:
                with transaction.atomic():
                    report = importing.import_stories(paths)
                    if problems := _problems(report, source or DEMO_DIR):
                        raise DemoRefused(problems)
            except BaseException:
                images.delete_files(written)
                raise
    return LoadReport(stories=len(report.having("created")), pictures=pictures)


def _problems(report: importing.ImportReport, source: Path) -> str:
    """What keeps the import from being the demo's, naming the demo's own files (not their
    copies), or '': a file that failed, or one that met a story already there (loading
    only ever creates stories, so it cannot change one it did not make)."""
    if report.errors:
        return "the demo's story files are broken (nothing was loaded): " + "; ".join(
            f"{source / error.path.name}:{error.line}: {error.message}" for error in report.errors
        )
    met = [path.name for path, outcome in report.outcomes.items() if outcome != "created"]
    if met:
        return f"stories with the addresses of {', '.join(met)} exist already (nothing was loaded)"
    return ""


# Removing ----------------------------------------------------------------------------------


@dataclass
class RemoveReport:
    stories: int = 0
    pictures: int = 0
    names: list[str] = field(default_factory=list)


def _demo_only_images(demo_pks: list[int]) -> list[Image]:
    """The library images the demo stories show (lead images and photos in their bodies)
    that no other story shows: an editor may have used a demo picture in real work."""
    digests = images.body_digests(
        Article.objects.filter(pk__in=demo_pks).values_list("body", flat=True)
    )
    shown = Image.objects.filter(Q(lead_of__in=demo_pks) | Q(digest__in=digests)).distinct()
    others = Article.objects.exclude(pk__in=demo_pks)
    return [
        image
        for image in shown.order_by("pk")
        if not others.filter(Q(lead_image=image) | Q(body__contains=image.digest)).exists()
    ]


def _names_of(demo_pks: list[int]) -> list:
    """The sections, authors, people, countries and topics the demo stories carry."""
    names = [
        *Section.objects.filter(articles__in=demo_pks).distinct(),
        *Author.objects.filter(bylines__article__in=demo_pks).distinct(),
    ]
    for kind in TAG_KINDS:
        model = tag_model(kind)
        names += model.objects.filter(tagged_items__content_object__in=demo_pks).distinct()
    return names


def _carried_by_no_story(name) -> bool:
    if isinstance(name, Section):
        return not name.articles.exists()
    if isinstance(name, Author):
        return not name.bylines.exists()
    return not name.tagged_items.exists()


def _links_now_pending(story_pks: list[int]) -> None:
    """The stories linking to demo stories have those links pending again (by the headline
    they were written with), a change that moves their revision as the admin's delete
    does. One still as its import left it stays so, since it still is what its file says
    (the link is written by headline): a new version of the seed file still replaces it,
    rather than being skipped as if the newsroom had edited it."""
    as_imported = Q(imported_revision=F("revision"))
    stories = Article.objects.filter(pk__in=story_pks)
    stories.exclude(as_imported).bump_revision()
    stories.filter(as_imported).bump_revision(imported_revision=F("revision") + 1)


def remove() -> RemoveReport:
    """Delete the demo, in one transaction: its stories, the library images only they
    showed and the names (sections, authors, tags) no story carries once they are gone.
    Nothing else: stories linking to them keep their links, pending again."""
    with transaction.atomic():
        demo = Article.objects.filter(is_demo=True)
        demo_pks = list(demo.values_list("pk", flat=True))
        if not demo_pks:
            return RemoveReport()
        pictures = _demo_only_images(demo_pks)
        names = _names_of(demo_pks)
        linking = list(
            Article.objects.filter(links_out__target__in=demo_pks)
            .exclude(pk__in=demo_pks)
            .values_list("pk", flat=True)
            .distinct()
        )
        for story in demo.order_by("pk"):
            AuditEntry.objects.log(
                AuditEntry.Action.DELETED, story, actor=ACTOR, detail="demo content removed"
            )
        demo.delete()
        _links_now_pending(linking)
        for image in pictures:
            image.delete()
        unused = [name for name in names if _carried_by_no_story(name)]
        for name in unused:
            AuditEntry.objects.log(
                AuditEntry.Action.DELETED, name, actor=ACTOR, detail="carried by demo stories only"
            )
            name.delete()
        caching.content_changed()
    return RemoveReport(len(demo_pks), len(pictures), [str(name) for name in unused])
