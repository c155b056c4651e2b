"""The image library: renditions made once and reused, crops around the focal point, every
picture served at the size it claims, alt text required to publish, hostile uploads refused
with a form error, and photos in story files and bodies."""

import importlib
import io
import itertools
import json
import re
import zlib
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import feedparser
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import clear_url_caches, reverse
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image as PILImage
from PIL import ImageDraw, features

import newsroom.urls
from articles import images
from articles.editorial import forms
from articles.importing import import_stories
from articles.models import (
    BODY_IMAGE_NEEDS_ALT,
    LEAD_IMAGE_NEEDS_ALT,
    Article,
    Image,
    Rendition,
)
from tests.admin_support import ADD_URL, CHANGELIST_URL, article_data, make_user
from tests.factories import ArticleFactory, ImageFactory, draft, photo
from tests.test_feeds import FEED_BUDGET

pytestmark = pytest.mark.django_db

Crop, Format = Rendition.Crop, Rendition.Format
IMAGE_ADD_URL = reverse("admin:articles_image_add")


def made(image: Image) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """The renditions of ``image`` as ``{(crop, format): [(width, height), …]}``."""
    found: dict = {}
    for rendition in image.renditions.order_by("width"):
        found.setdefault((rendition.crop, rendition.format), []).append(
            (rendition.width, rendition.height)
        )
    return found


def opened(rendition: Rendition) -> PILImage.Image:
    with rendition.file.open("rb") as stored:
        picture = PILImage.open(io.BytesIO(stored.read()))
        picture.load()
    return picture


def library_photo(data: bytes, name="photo.jpg", **fields) -> Image:
    return ImageFactory(file=ContentFile(data, name=name), **fields)


# Renditions: made once, when the image is saved ----------------------------------------------


def test_saving_an_image_makes_every_rendition_once():
    """Each crop at each width up to the photo's own (never wider), in WebP and JPEG; a
    save that changes neither the file nor the focal point makes none again."""
    image = library_photo(photo((1000, 500), seed=1))

    assert (image.width, image.height) == (1000, 500)
    renditions = made(image)
    assert renditions[(Crop.FULL, Format.JPEG)] == [(320, 160), (640, 320), (960, 480), (1000, 500)]
    assert renditions[(Crop.WIDE, Format.JPEG)] == [(320, 180), (640, 360), (889, 500)]
    assert renditions[(Crop.STANDARD, Format.JPEG)] == [(320, 240), (640, 480), (667, 500)]
    assert renditions[(Crop.SQUARE, Format.JPEG)] == [(320, 320), (500, 500)]
    for (crop, _), sizes in list(renditions.items()):
        assert renditions[(crop, Format.WEBP)] == sizes
    assert {format for _, format in renditions} == {Format.JPEG, Format.WEBP}

    with mock.patch.object(images, "encoded", side_effect=AssertionError("made again")):
        image.caption = "A new caption"
        image.save()
        Image.objects.get(pk=image.pk).save()


def test_a_new_focal_point_makes_new_crops_under_new_names(django_capture_on_commit_callbacks):
    image = library_photo(photo((800, 400), seed=2))
    before = set(image.renditions.values_list("file", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        image.focus_x, image.focus_y = 0.1, 0.9
        image.save()

    after = set(image.renditions.values_list("file", flat=True))
    assert before.isdisjoint(after)
    storage = Rendition._meta.get_field("file").storage
    assert not any(storage.exists(name) for name in before), "replaced files are deleted"
    assert all(storage.exists(name) for name in after)


def test_a_rendition_is_the_size_its_row_says_in_the_format_it_names():
    image = library_photo(photo((700, 500), seed=3))
    for rendition in image.renditions.all():
        picture = opened(rendition)
        assert picture.size == (rendition.width, rendition.height)
        assert picture.format == rendition.format.upper()
        assert rendition.size == rendition.file.size


@given(
    size=st.tuples(st.integers(1, 5000), st.integers(1, 5000)),
    focus=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    ratio=st.sampled_from(list(images.CROP_RATIOS.values())),
)
def test_every_crop_keeps_the_focal_point_inside(size, focus, ratio):
    left, top, right, bottom = images.crop_box(size, ratio, focus)
    assert 0 <= left < right <= size[0] and 0 <= top < bottom <= size[1]
    x, y = focus[0] * size[0], focus[1] * size[1]
    assert left <= x <= right and top <= y <= bottom
    if ratio:
        assert abs((right - left) / (bottom - top) - ratio[0] / ratio[1]) <= 2 / (bottom - top)


def test_crops_show_the_subject_at_the_focal_point():
    """A red subject near the top right corner of a wide photo, the focal point on it: every
    crop (the square one is a third of the photo) shows it."""
    picture = PILImage.new("RGB", (1200, 400), "white")
    ImageDraw.Draw(picture).ellipse((1060, 40, 1140, 120), fill="red")
    out = io.BytesIO()
    picture.save(out, "PNG")
    image = library_photo(out.getvalue(), "subject.png", focus_x=0.916, focus_y=0.2)

    for rendition in image.renditions.filter(format=Format.JPEG):
        picture = opened(rendition)
        colours = picture.getcolors(picture.width * picture.height)
        reds = [colour for _, colour in colours if colour[0] > 200 and colour[1] < 80]
        assert reds, f"no subject in {rendition}"


def exif_photo() -> bytes:
    """A JPEG 60 wide and 40 high, taken with the camera on its side (EXIF orientation 6:
    upright it is 40 × 60), with a GPS position, a camera maker and XMP."""
    picture = PILImage.new("RGB", (60, 40), "navy")
    ImageDraw.Draw(picture).rectangle((0, 0, 10, 40), fill="yellow")
    exif = PILImage.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Camera maker"
    exif[0x8825] = {1: "N", 2: (31.0, 46.0, 0.0), 3: "E", 4: (35.0, 13.0, 0.0)}
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif, xmp=b"<x:xmpmeta>secret</x:xmpmeta>")
    return out.getvalue()


def test_renditions_carry_no_camera_metadata_and_stand_upright():
    data = exif_photo()
    assert PILImage.open(io.BytesIO(data)).getexif().get_ifd(0x8825), "the original has GPS"
    image = library_photo(data)

    assert (image.width, image.height) == (40, 60)
    for rendition in image.renditions.all():
        with rendition.file.open("rb") as stored:
            raw = stored.read()
        picture = PILImage.open(io.BytesIO(raw))
        assert picture.size[0] < picture.size[1] or rendition.crop != Crop.FULL
        assert not picture.getexif(), rendition
        assert b"secret" not in raw and b"Camera maker" not in raw
        assert "icc_profile" not in picture.info and "xmp" not in picture.info


def animated_gif() -> bytes:
    frames = [PILImage.new("P", (48, 32), colour) for colour in (10, 20, 30)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    return out.getvalue()


def see_through_png() -> bytes:
    picture = PILImage.new("RGBA", (40, 30), (0, 0, 0, 0))
    ImageDraw.Draw(picture).rectangle((10, 10, 30, 20), fill=(200, 0, 0, 255))
    out = io.BytesIO()
    picture.convert("P").save(out, "PNG", transparency=0)
    return out.getvalue()


ODD_PHOTOS = {
    "CMYK JPEG": lambda: photo((40, 30), seed=5, mode="CMYK"),
    "animated GIF": animated_gif,
    "palette PNG with transparency": see_through_png,
    "RGBA PNG": lambda: photo((40, 30), seed=6, format="PNG", mode="RGBA"),
    "greyscale and alpha PNG": lambda: photo((40, 30), seed=7, format="PNG", mode="LA"),
    "16-bit greyscale PNG": lambda: photo((40, 30), seed=8, format="PNG", mode="I;16"),
    "WebP": lambda: photo((40, 30), seed=9, format="WEBP"),
}


@pytest.mark.parametrize("kind", ODD_PHOTOS)
def test_odd_photos_make_ordinary_renditions(kind):
    """CMYK, palettes, transparency, 16 bits, animation: JPEGs come out RGB (transparency
    on white), WebPs keep the transparency, an animation gives its first frame."""
    image = library_photo(ODD_PHOTOS[kind](), "odd")
    assert image.renditions.count() == 2 * 4
    for rendition in image.renditions.all():
        picture = opened(rendition)
        assert picture.mode in ("RGB", "RGBA")
        if rendition.format == Format.JPEG:
            assert picture.mode == "RGB"
        assert getattr(picture, "n_frames", 1) == 1


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow writes no AVIF")
@override_settings(NEWSROOM_IMAGE_AVIF=True)
def test_avif_renditions_when_asked_for_lead_the_picture(client):
    story = ArticleFactory(lead_image=library_photo(photo((400, 300), seed=10)))
    assert made(story.lead_image)[(Crop.FULL, Format.AVIF)] == [(320, 240), (400, 300)]
    page = client.get(story.get_absolute_url()).text
    assert page.index('type="image/avif"') < page.index('type="image/webp"') < page.index("<img")


def test_make_renditions_backfills_and_reports_what_it_cannot_read():
    """Images from before renditions (migrated) get theirs; a missing original is named and
    the command fails."""
    image, gone = ImageFactory(), ImageFactory()
    count = image.renditions.count()
    Rendition.objects.all().delete()
    Image.objects.update(renditions_key="")
    gone.file.storage.delete(gone.file.name)
    err = io.StringIO()

    with pytest.raises(CommandError, match="Made the renditions of 1 image"):
        call_command("make_renditions", stdout=io.StringIO(), stderr=err)

    assert image.renditions.count() == count
    assert err.getvalue().startswith(f"image {gone.pk}: the original {gone.file.name} cannot be")
    with mock.patch.object(images, "encoded", side_effect=AssertionError("made again")):
        assert [image.pk for image, _ in images.make_missing_renditions()] == [gone.pk]


# Pages: pictures from the rows fetched with the story ----------------------------------------


class Pictures(HTMLParser):
    """Every <picture>'s sources and image, and every <img>, of a page."""

    def __init__(self):
        super().__init__()
        self.imgs: list[dict] = []
        self.sources: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.imgs.append(dict(attrs))
        elif tag == "source":
            self.sources.append(dict(attrs))


def pictures_of(html: str) -> Pictures:
    parser = Pictures()
    parser.feed(html)
    return parser


def srcset_entries(srcset: str) -> list[tuple[str, int]]:
    entries = []
    for entry in srcset.split(","):
        url, width = entry.split()
        entries.append((url, int(width.removesuffix("w"))))
    return entries


PHOTO_SEEDS = itertools.count(100, 2)


def story_with_photos(lead=(700, 420), in_body=(500, 300), **kwargs) -> Article:
    """A live story with a lead photo and a photo in its body, of these sizes."""
    seed = next(PHOTO_SEEDS)
    body_photo = library_photo(photo(in_body, seed=seed + 1), "body.jpg")
    body = (
        "<p>First paragraph.</p>"
        + images.photo_html(body_photo.digest, "A crowd in a square")
        + "<p>Second paragraph.</p>"
    )
    return ArticleFactory(
        lead_image=library_photo(photo(lead, seed=seed), "lead.jpg"),
        body=body,
        **kwargs,
    )


def test_the_lead_picture_loads_first_and_body_photos_lazily(client):
    story = story_with_photos()
    found = pictures_of(client.get(story.get_absolute_url()).text)

    lead, in_body = found.imgs
    assert lead["alt"] == story.lead_image.alt_text
    assert lead["fetchpriority"] == "high" and "loading" not in lead
    assert in_body["alt"] == "A crowd in a square"
    assert in_body["loading"] == "lazy"
    for img in found.imgs:
        assert img["sizes"] and img["srcset"] and int(img["width"]) and int(img["height"])
        assert img["src"].endswith(".jpg")
    assert [source["type"] for source in found.sources] == ["image/webp", "image/webp"]


@pytest.fixture
def development():
    """`make run`'s settings: DEBUG on, so Django serves media."""
    with override_settings(DEBUG=True):
        importlib.reload(newsroom.urls)
        clear_url_caches()
        yield
    importlib.reload(newsroom.urls)
    clear_url_caches()


def test_every_picture_url_answers_with_the_size_it_claims(client, development):
    """Each srcset entry (WebP sources and JPEG images, lead and body) answers 200 with an
    image of the width it names; each <img>'s src has its width and height."""
    story = story_with_photos()
    found = pictures_of(client.get(story.get_absolute_url()).text)
    expected_type = {source["srcset"]: source["type"] for source in found.sources}
    checked = 0
    for tag in [*found.sources, *found.imgs]:
        kind = expected_type.get(tag["srcset"], "image/jpeg")
        for url, width in srcset_entries(tag["srcset"]):
            response = client.get(url)
            assert response.status_code == 200, url
            assert response["Content-Type"] == kind
            with PILImage.open(io.BytesIO(b"".join(response.streaming_content))) as picture:
                assert picture.width == width, url
            checked += 1
    for img in found.imgs:
        response = client.get(img["src"])
        with PILImage.open(io.BytesIO(b"".join(response.streaming_content))) as picture:
            assert picture.size == (int(img["width"]), int(img["height"]))
    assert checked == 3 * 2 + 2 * 2  # 320, 640, 700 wide and 320, 500, in WebP and JPEG


def no_image_work():
    """Pillow and the storage fail if a page touches them: pages read rows only."""
    refuse = AssertionError("image work during a page request")
    return [
        mock.patch("PIL.Image.open", side_effect=refuse),
        mock.patch.object(FileSystemStorage, "exists", side_effect=refuse),
        mock.patch.object(FileSystemStorage, "size", side_effect=refuse),
        mock.patch.object(FileSystemStorage, "open", side_effect=refuse),
        mock.patch.object(FileSystemStorage, "get_modified_time", side_effect=refuse),
    ]


def test_no_page_opens_or_stats_an_image(client):
    story = story_with_photos(people=["Ada Lovelace"])
    urls = [
        story.get_absolute_url(),
        "/",
        "/archive/",
        "/people/ada-lovelace/",
        *(reverse("articles:feed", args=[format]) for format in ("rss", "atom", "json")),
    ]
    patches = no_image_work()
    for patch in patches:
        patch.start()
    try:
        pages = [client.get(url) for url in urls]
    finally:
        for patch in patches:
            patch.stop()
    assert [page.status_code for page in pages] == [200] * len(urls)
    assert "<picture>" in pages[0].text


def json_ld(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def test_social_cards_and_json_ld_show_renditions(client):
    """og:image is the 16:9 crop 1200 wide, with its type, size and alt; JSON-LD names the
    16:9, 4:3 and 1:1 crops, each as wide as it comes."""
    story = story_with_photos(lead=(1300, 800))
    html = client.get(story.get_absolute_url()).text
    wide = story.lead_image.renditions.get(crop=Crop.WIDE, format=Format.JPEG, width=1200)

    metas = dict(re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', html))
    assert metas["og:image"] == f"http://testserver{wide.file.url}"
    assert (metas["og:image:width"], metas["og:image:height"]) == ("1200", "675")
    assert metas["og:image:type"] == "image/jpeg"
    assert metas["og:image:alt"] == story.lead_image.alt_text
    assert metas["twitter:card"] == "summary_large_image"

    article = next(item for item in json_ld(html) if item["@type"] == "NewsArticle")
    shapes = [(item["width"], item["height"]) for item in article["image"]]
    assert shapes == [(1200, 675), (1067, 800), (800, 800)]
    for item in article["image"]:
        assert item["@type"] == "ImageObject"
        assert item["url"].startswith("http://testserver/media/images/r/")
        assert item["creditText"] == story.lead_image.credit


def test_a_story_without_a_photo_has_no_picture_nor_image_metadata(client):
    html = client.get(ArticleFactory().get_absolute_url()).text
    assert "<picture" not in html and "og:image" not in html
    article = next(item for item in json_ld(html) if item["@type"] == "NewsArticle")
    assert "image" not in article


@pytest.mark.parametrize("format", ["rss", "atom"])
def test_xml_feeds_carry_the_lead_photo_and_body_photos(client, format):
    story = story_with_photos(lead=(1300, 800), in_body=(900, 600))
    shown = images.rendition(story.lead_image, Crop.FULL)
    response = client.get(reverse("articles:feed", args=[format]))
    entry = feedparser.parse(response.content).entries[0]

    url = f"http://testserver{shown.file.url}"
    (enclosure,) = [link for link in entry.links if link.rel == "enclosure"]
    assert (enclosure.href, enclosure.type, int(enclosure.length)) == (
        url,
        "image/jpeg",
        shown.size,
    )
    media = entry.media_content[0]
    assert (media["url"], media["width"], media["height"]) == (url, "1200", "738")
    (img,) = pictures_of(entry.content[0].value).imgs
    body_photo = images.rendition(Image.objects.get(lead_of=None), Crop.FULL, width=960)
    assert img == {
        "src": f"http://testserver{body_photo.file.url}",
        "width": "900",
        "height": "600",
        "alt": "A crowd in a square",
    }
    if format == "rss":
        assert 'xmlns:media="http://search.yahoo.com/mrss/"' in response.text


@pytest.mark.usefixtures("without_page_cache")
def test_feed_photos_cost_two_queries_however_many_items(client):
    """The items' lead photos in one query, their body photos in another: a feed of ten
    stories with photos runs as many queries as one (FEED_BUDGET and these two)."""
    url = reverse("articles:feed", args=["rss"])
    small = {"lead": (60, 40), "in_body": (40, 60)}
    story_with_photos(**small)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(9):
        story_with_photos(**small)
    with CaptureQueriesContext(connection) as ten:
        response = client.get(url)
    assert len(feedparser.parse(response.content).entries) == 10
    assert len(ten) == len(one) <= FEED_BUDGET + 2


def test_json_feed_items_name_their_image(client):
    story = story_with_photos()
    item = client.get(reverse("articles:feed", args=["json"])).json()["items"][0]
    assert (
        item["image"]
        == f"http://testserver{images.rendition(story.lead_image, Crop.FULL).file.url}"
    )


# Alt text: no story is published with a photo that has none ----------------------------------


@pytest.fixture
def editor(client):
    client.force_login(make_user("eddie", "Editor"))


def photo_without_alt() -> Image:
    """A photo as an import of a draft or the migration leaves it: no alt text yet."""
    return library_photo(photo(seed=30), alt_text="")


def test_the_library_asks_for_alt_text(client, editor):
    upload = io.BytesIO(photo(seed=31))
    upload.name = "harbour.jpg"
    response = client.post(
        IMAGE_ADD_URL, {"file": upload, "alt_text": "", "focus_x": "0.5", "focus_y": "0.5"}
    )
    assert response.status_code == 200
    assert "This field is required." in response.text
    assert not Image.objects.exists()


def test_a_story_with_a_photo_without_alt_text_cannot_be_published(client, editor):
    data = article_data(status=Article.Status.PUBLISHED, lead_image=photo_without_alt().pk)
    response = client.post(ADD_URL, data)
    assert response.status_code == 200
    assert LEAD_IMAGE_NEEDS_ALT in response.text.replace("&quot;", '"')
    assert not Article.objects.exists()

    data["status"] = Article.Status.DRAFT
    assert client.post(ADD_URL, data).status_code == 302


def test_a_body_photo_without_alt_text_stops_publication(client, editor):
    image = ImageFactory()
    body = f'<p>Text.</p><figure><img src="x" alt="" data-file="{image.digest}"></figure>'
    response = client.post(ADD_URL, article_data(status=Article.Status.PUBLISHED, body=body))
    assert response.status_code == 200
    assert "A story cannot be published with a photo in its body" in response.text
    assert BODY_IMAGE_NEEDS_ALT.startswith("A story cannot be published with a photo in its body")


def test_the_publish_action_refuses_a_story_whose_photo_has_no_alt_text(client, editor):
    story = draft(headline="Waiting for its alt text", lead_image=photo_without_alt())
    response = client.post(
        CHANGELIST_URL,
        {"action": "publish_selected", "_selected_action": [story.pk]},
        follow=True,
    )
    assert "was not published" in response.text
    assert Article.objects.get(pk=story.pk).status == Article.Status.DRAFT


STORY = "Headline: Boats return\nPublished: 2025-02-01T08:00:00+00:00\n{header}\n\n{body}\n"


def story_file(folder: Path, header: str, body="The fleet is back.", name="boats.txt") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "boats.jpg").write_bytes(photo((500, 300), seed=40))
    path = folder / name
    path.write_text(STORY.format(header=header, body=body), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("header", "line", "message"),
    [
        (
            "Image: boats.jpg\nImage-Caption: At dawn",
            3,
            "a published story's photo needs 'Image-Alt: …', what it shows for readers who "
            "cannot see it (a caption is not alt text)",
        ),
        (
            "Image-Caption: At dawn",
            3,
            "'Image-Caption' describes the photo in 'Image:', which this story does not have",
        ),
        (
            "Image: boats.jpg\nImage-Alt: Boats\nImage-Focus: 1.5, 0",
            5,
            "'1.5, 0' is not a focal point: two numbers from 0 to 1, across then down, "
            "e.g. 'Image-Focus: 0.5, 0.3'",
        ),
    ],
)
def test_an_import_names_the_line_of_a_photo_it_refuses(tmp_path, header, line, message):
    path = story_file(tmp_path, header)
    report = import_stories([path])
    assert [str(error) for error in report.errors] == [f"{path}:{line}: {message}"]
    assert not Image.objects.exists()


def test_a_draft_may_wait_for_its_alt_text(tmp_path):
    path = story_file(tmp_path, "Status: draft\nImage: boats.jpg")
    assert not import_stories([path]).errors
    assert Article.objects.get().lead_image.alt_text == ""


def test_a_published_html_story_needs_alt_text_on_its_body_photos(tmp_path):
    body = '<p>The fleet.</p>\n\n<figure><img src="boats.jpg"></figure>'
    path = story_file(tmp_path, "Format: html", body=body)
    assert [str(e) for e in import_stories([path]).errors] == [
        f"{path}:7: a published story's photos need alt text: 'boats.jpg' has none"
    ]


# Story files: the same file is one library image --------------------------------------------


def test_the_same_file_in_two_stories_is_one_library_image(tmp_path):
    header = "Image: boats.jpg\nImage-Alt: Fishing boats\nImage-Focus: 0.25, 0.75"
    one = story_file(tmp_path, header)
    two = story_file(tmp_path, header.replace("Fishing", "Moored"), name="again.txt")
    two.write_text(two.read_text().replace("Boats return", "Boats leave"))

    report = import_stories([one, two])

    assert not report.errors
    image = Image.objects.get()
    assert Article.objects.filter(lead_image=image).count() == 2
    assert (image.alt_text, image.focus_x, image.focus_y) == ("Moored boats", 0.25, 0.75)
    assert {rendition.crop for rendition in image.renditions.all()} == set(Crop.values)
    assert import_stories([one, two]).outcomes == {one: "unchanged", two: "unchanged"}


def test_body_photos_come_into_the_library_and_out_again(tmp_path, client):
    """An HTML story's <img src="file"> becomes a library photo the page shows as a picture,
    and an export writes the file back beside the story."""
    body = (
        '<p>The fleet.</p>\n\n<figure><img src="boats.jpg" alt="Boats in a row">'
        "<figcaption>The harbour</figcaption></figure>"
    )
    path = story_file(tmp_path / "in", "Format: html", body=body)
    assert not import_stories([path]).errors

    story = Article.objects.get()
    image = Image.objects.get()
    assert image.alt_text == "Boats in a row"
    assert f'data-file="{image.digest}"' in story.body
    page = client.get(story.get_absolute_url()).text
    assert 'alt="Boats in a row"' in page and "<figcaption>The harbour</figcaption>" in page

    call_command("export_articles", tmp_path / "out", verbosity=0)
    exported = (tmp_path / "out" / f"{story.slug}.txt").read_text()
    name = re.search(r'<img src="([^"]+)" alt="Boats in a row">', exported)[1]
    assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "in" / "boats.jpg").read_bytes()


def test_an_html_photo_must_be_a_file_beside_the_story(tmp_path):
    body = '<p><img src="https://example.com/boats.jpg" alt="Boats"></p>'
    path = story_file(tmp_path, "Format: html", body=body)
    assert [str(e) for e in import_stories([path]).errors] == [
        f"{path}:5: photo file 'https://example.com/boats.jpg' not found next to the story file"
    ]


# The admin: hostile uploads, the library, photos in bodies ----------------------------------


def truncated_jpeg() -> bytes:
    data = photo((300, 200), seed=50)
    return data[: len(data) // 2]


def bomb_png() -> bytes:
    """A small PNG whose header claims 40000 × 40000 pixels."""
    data = bytearray(photo((4, 3), format="PNG"))
    data[16:24] = (40000).to_bytes(4, "big") * 2
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


# What an upload holds, the name it comes with, and the form error it gets.
HOSTILE_UPLOADS = {
    "truncated JPEG": (truncated_jpeg, "cut.jpg", "is not a JPEG, PNG, WebP or GIF image"),
    "decompression bomb": (bomb_png, "bomb.png", "Upload a valid image"),
    "text named .jpg": (lambda: b"#!/bin/sh\nrm -rf /\n", "run.jpg", "Upload a valid image"),
    "SVG named .jpg": (
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"/>',
        "logo.jpg",
        "Upload a valid image",
    ),
    "PNG named .php": (
        lambda: photo(format="PNG"),
        "shell.php",
        "File extension “php” is not allowed.",
    ),
    "empty file": (lambda: b"", "empty.jpg", "The submitted file is empty."),
}


def upload(client, data: bytes, name="photo.jpg", **fields):
    file = io.BytesIO(data)
    file.name = name
    form = {"file": file, "alt_text": "Boats", "focus_x": "0.5", "focus_y": "0.5"} | fields
    return client.post(IMAGE_ADD_URL, form)


@pytest.mark.parametrize("kind", HOSTILE_UPLOADS)
def test_a_hostile_upload_is_a_form_error(client, editor, settings, tmp_path, kind):
    settings.MEDIA_ROOT = tmp_path
    make, name, message = HOSTILE_UPLOADS[kind]
    response = upload(client, make(), name=name)
    assert response.status_code == 200
    assert message in response.text
    assert not Image.objects.exists()
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


def test_an_upload_over_the_size_limit_is_a_form_error(client, editor, settings):
    settings.NEWSROOM_IMPORT_MAX_IMAGE_BYTES = 1000
    response = upload(client, photo((300, 200), seed=51))
    assert "is larger than 0.001 MB, the limit" in response.text
    assert not Image.objects.exists()


@pytest.mark.parametrize("kind", ["CMYK JPEG", "animated GIF", "palette PNG with transparency"])
def test_an_odd_but_real_photo_uploads(client, editor, kind):
    """Named for what it is: a GIF or PNG sent as .jpg is stored as .gif or .png."""
    data = ODD_PHOTOS[kind]()
    response = upload(client, data, name="odd.jpg")
    assert response.status_code == 302
    image = Image.objects.get()
    assert image.renditions.count() == 2 * 4
    assert image.file.name.endswith(images.suffix_for(data))


def test_the_same_file_twice_is_refused_naming_the_library_photo(client, editor):
    data = photo(seed=52)
    assert upload(client, data).status_code == 302
    response = upload(client, data, alt_text="Again")
    assert "This photo is already in the library" in response.text
    assert Image.objects.count() == 1


def test_writers_fix_their_own_photos_until_a_live_story_shows_them(client):
    writer = make_user("wendy", "Writer")
    client.force_login(writer)
    assert upload(client, photo(seed=53)).status_code == 302
    image = Image.objects.get()
    image_url = reverse("admin:articles_image_change", args=[image.pk])
    form = {"alt_text": "Boats again", "focus_x": "0.4", "focus_y": "0.5"}
    assert client.post(image_url, form).status_code == 302

    ArticleFactory(lead_image=image)
    assert client.post(image_url, form | {"alt_text": "Changed"}).status_code == 403
    assert Image.objects.get().alt_text == "Boats again"
    assert client.get(image_url).status_code == 200  # still theirs to look at


def test_a_body_photo_must_come_from_the_library(client, editor):
    outside = '<p>Text.</p><p><img src="https://tracker.example/pixel.gif" alt="x"></p>'
    response = client.post(ADD_URL, article_data(body=outside))
    assert response.status_code == 200
    assert "is not from the image library" in response.text

    image = ImageFactory()
    picked = (
        f'<p>Text.</p><figure><img src="/anything" alt="Boats" data-file="{image.digest}"></figure>'
    )
    assert client.post(ADD_URL, article_data(body=picked)).status_code == 302
    stored = Article.objects.get().body
    assert f'src="{images.preview_url(image.digest)}"' in stored


def test_the_picker_offers_library_photos_and_their_previews(client, editor):
    image = ImageFactory(alt_text="Nets drying on the quay")
    page = client.get(reverse("admin:articles_image_pick"), {"CKEditorFuncNum": "-1", "q": "nets"})
    assert f'data-image="{image.digest}"' in page.text
    assert 'data-alt="Nets drying on the quay"' in page.text

    preview = client.get(images.preview_url(image.digest))
    assert preview.status_code == 302
    assert preview["Location"] == images.rendition(image, Crop.FULL, width=640).file.url


def test_the_picker_is_for_staff(client):
    response = client.get(reverse("admin:articles_image_pick"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# The migration: stories' lead images become library images ----------------------------------


def migrate_articles(target: str | None = None) -> None:
    executor = MigrationExecutor(connection)
    node = ("articles", target) if target else executor.loader.graph.leaf_nodes("articles")[0]
    executor.migrate([node])


def lead_image_columns(story) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT image, image_alt, image_caption, image_credit FROM articles_article "
            "WHERE id = %s",
            [story.pk],
        )
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_lead_images_into_the_library(client, settings, tmp_path):
    """Two stories sharing a stored photo get one library image with the first one's alt
    text, caption and credit; make_renditions then makes its renditions; migrating back
    restores the columns."""
    settings.MEDIA_ROOT = tmp_path
    first, second = ArticleFactory(), ArticleFactory()
    migrate_articles("0020_content_change_keys")
    name = FileSystemStorage().save("articles/2025/01/boats.jpg", ContentFile(exif_photo()))
    with connection.cursor() as cursor:
        for story, alt in ((first, "Boats at dawn"), (second, "")):
            cursor.execute(
                "UPDATE articles_article SET image = %s, image_alt = %s, image_caption = %s, "
                "image_credit = %s WHERE id = %s",
                [name, alt, "The harbour", "AP", story.pk],
            )
    migrate_articles()

    image = Image.objects.get()
    assert (image.file.name, image.alt_text, image.caption, image.credit) == (
        name,
        "Boats at dawn",
        "The harbour",
        "AP",
    )
    assert (image.width, image.height) == (40, 60)
    assert set(Article.objects.values_list("lead_image", flat=True)) == {image.pk}
    call_command("make_renditions", verbosity=0)
    assert "<picture>" in client.get(first.get_absolute_url()).text

    migrate_articles("0020_content_change_keys")
    assert lead_image_columns(second) == (name, "Boats at dawn", "The harbour", "AP")
    migrate_articles()


def test_a_library_photo_keeps_its_file_and_shows_its_focal_point(client, editor):
    """Bodies name a photo by its file's digest, so the file of a saved photo is not
    replaced (another photo is another library image); the change form rings the focal
    point on the whole photo, and the crops beside it."""
    image = ImageFactory(focus_x=0.25, focus_y=0.5)
    url = reverse("admin:articles_image_change", args=[image.pk])
    page = client.get(url).text
    assert 'name="file"' not in page
    assert re.search(r'<svg class="focal-point" viewBox="0 0 320 213"', page)
    assert '<circle cx="80.0" cy="106.5"' in page
    assert page.count("class='library-crop'") == 4

    other = io.BytesIO(photo(seed=60))
    other.name = "other.jpg"
    form = {"file": other, "alt_text": "Boats", "focus_x": "0.5", "focus_y": "0.5"}
    assert client.post(url, form).status_code == 302
    assert Image.objects.get(pk=image.pk).digest == image.digest


def test_a_photo_a_story_shows_cannot_be_deleted(client, editor):
    in_body, lead = ImageFactory(), ImageFactory()
    ArticleFactory(headline="Boats in the body", body=images.photo_html(in_body.digest, "Boats"))
    ArticleFactory(headline="Boats in the lead", lead_image=lead)
    for image, headline in ((in_body, "Boats in the body"), (lead, "Boats in the lead")):
        url = reverse("admin:articles_image_delete", args=[image.pk])
        page = client.post(url, {"post": "yes"})
        assert page.status_code == 200 and headline in page.text
    assert Image.objects.count() == 2

    spare = ImageFactory()
    response = client.post(reverse("admin:articles_image_delete", args=[spare.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Image.objects.filter(pk=spare.pk).exists()


def test_a_large_jpeg_is_decoded_no_larger_than_its_renditions_need(monkeypatch):
    """A JPEG far larger than twice the widest rendition is decoded at a half, a quarter or
    an eighth of its size; its stored size is still the original's. (Here "far larger" is
    made small, so the test needs no 30-megapixel photo.)"""
    assert images.decode_size((8000, 6000)) == (3200, 2400)
    assert images.decode_size((1000, 800)) == (1000, 800)
    monkeypatch.setattr(images, "DECODE_AT_LEAST", (800, 600))
    decoded = []
    upright = images.ImageOps.exif_transpose
    monkeypatch.setattr(
        images.ImageOps,
        "exif_transpose",
        lambda picture: decoded.append(picture.size) or upright(picture),
    )

    image = library_photo(photo((2000, 1500), seed=70))

    assert decoded == [(1000, 750)]
    assert (image.width, image.height) == (2000, 1500)
    assert made(image)[(Crop.FULL, Format.JPEG)][-1] == (1000, 750)


def test_a_photo_is_a_block_of_the_body_but_its_caption_is_no_summary():
    """A figure leading the body is a paragraph Also Read boxes can follow (named "(photo)"
    when it has no caption), and the story's summary is its first paragraph of prose."""
    photo_block = f"<figure>{images.photo_html('abc', 'Boats')}</figure>"
    captioned = f"<figure>{images.photo_html('def', 'Nets')}<figcaption>Nets</figcaption></figure>"
    story = ArticleFactory(standfirst="", body=f"{photo_block}{captioned}<p>The fleet is back.</p>")
    assert story.paragraphs == [photo_block, captioned, "<p>The fleet is back.</p>"]
    assert story.summary == "The fleet is back."
    labels = [label for _, label in forms.paragraph_choices(story.paragraphs)]
    assert labels[2:4] == ["After ¶1: (photo)", "After ¶2: Nets"]
