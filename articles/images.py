"""The image library's pictures: what counts as an image, renditions made once, and their HTML.

An ``Image`` (``models.py``) is an original photo with its alt text, caption, credit and focal
point. When it is saved, this module makes its renditions: the whole photo and crops of 16:9,
4:3 and 1:1 around the focal point, each at a few widths (never wider than the photo), in
WebP and JPEG (and AVIF with ``IMAGE_AVIF``), stripped of the camera's metadata (EXIF, GPS,
XMP) and turned upright and into sRGB. They are stored files and ``Rendition`` rows; a page reads
the rows fetched with its stories (``ArticleQuerySet.with_lead_images``) and never opens,
decodes or stats a file.

Why not sorl-thumbnail, easy-thumbnails or django-imagekit: each makes a thumbnail the first
time a template asks for it (in a reader's request) and looks every one up again on each
render (a key-value store, a database row or a storage check per size), and none stores the
width and height that ``srcset``, ``width``/``height``, ``og:image`` and feeds need without
opening the file. Pillow, already a dependency, does the work; this module is the recipe.
"""

import hashlib
import io
import logging
import math
from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connections, router, transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from PIL import Image as PILImage
from PIL import ImageCms, ImageOps, features

from . import caching, text
from .models import Image, Rendition

logger = logging.getLogger(__name__)

# Pillow's names for the formats a browser shows everywhere; nothing else enters the library.
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
NOT_AN_IMAGE = "is not a JPEG, PNG, WebP or GIF image (or the file is damaged)"

Crop = Rendition.Crop
Format = Rendition.Format
# Each crop's shape (None: the photo's own) and the widths it is made at. Narrower photos
# get their own width instead of the wider sizes: nothing is ever upscaled.
CROP_RATIOS = {Crop.FULL: None, Crop.WIDE: (16, 9), Crop.STANDARD: (4, 3), Crop.SQUARE: (1, 1)}
WIDTHS = {
    Crop.FULL: (320, 640, 960, 1200, 1600),
    Crop.WIDE: (320, 640, 960, 1200),
    Crop.STANDARD: (320, 640, 960, 1200),
    Crop.SQUARE: (320, 640, 960, 1200),
}
ENCODER_OPTIONS = {
    Format.AVIF: {"quality": 60, "speed": 8},
    Format.WEBP: {"quality": 80, "method": 4},
    Format.JPEG: {"quality": 82, "optimize": True, "progressive": True},
}
FILE_SUFFIXES = {Format.AVIF: "avif", Format.WEBP: "webp", Format.JPEG: "jpg"}
# Change this when the recipe above changes: every image's renditions are then out of date,
# and ``manage.py make_renditions`` makes them again.
RECIPE_VERSION = 1
# The width social cards, feeds and fallbacks ask for (og:image is 1200 wide).
SHARE_WIDTH = 1200
FALLBACK_WIDTH = 960
# How a picture loads: the one a page leads with before anything else, the others only as
# they near the screen.
LEAD_LOADING = 'fetchpriority="high"'
LAZY_LOADING = 'loading="lazy" decoding="async"'
# How wide a story's photos are shown (its lead image and those in its body): the story
# column (site.css ``--measure``, 40rem) beside the page's padding; on a phone, the screen
# less that padding.
ARTICLE_SIZES = "(min-width: 42rem) 40rem, calc(100vw - 2rem)"


class UnusableImage(Exception):
    """The file cannot be made into renditions; the message says why, for an editor."""


def rendition_formats() -> tuple[str, ...]:
    """Modern formats first. AVIF only when ``NEWSROOM_IMAGE_AVIF`` asks for it and this
    Pillow can write it (its wheels can since 11.3): it doubles the time renditions take for
    files a tenth smaller than WebP's, a trade each site makes for itself."""
    avif = settings.NEWSROOM_IMAGE_AVIF and features.check("avif")
    return (*((Format.AVIF,) if avif else ()), Format.WEBP, Format.JPEG)


# What counts as an image ------------------------------------------------------------------


def image_problem(data: bytes) -> str:
    """What is wrong with ``data`` as a library image, or '' if nothing is.

    Checked before anything is decoded in full: the real format (whatever the file's name
    says), and the pixel count (a decompression bomb is a small file that decodes to
    gigabytes). Then the first frame is decoded, so renditions can be made from it.
    """
    limit = settings.NEWSROOM_IMPORT_MAX_IMAGE_PIXELS
    try:
        with PILImage.open(io.BytesIO(data), formats=IMAGE_FORMATS) as picture:
            if picture.width * picture.height > limit:
                return (
                    f"is {picture.width}×{picture.height} pixels; "
                    f"images may have at most {limit / 1e6:g} million"
                )
            picture.verify()
        with PILImage.open(io.BytesIO(data), formats=IMAGE_FORMATS) as picture:
            if picture.format == "JPEG":  # as renditions decode it; every byte is still read
                picture.draft(None, decode_size(picture.size))
            picture.load()
    # Pillow's decoders refuse broken data with many kinds of exception (Django's ImageField
    # catches Exception for the same reason); any of them means "not a usable image".
    except Exception:
        return NOT_AN_IMAGE
    return ""


def upload_problem(data: bytes) -> str:
    """``image_problem`` for a file of any size (an upload): too large is a problem too."""
    limit = settings.NEWSROOM_IMPORT_MAX_IMAGE_BYTES
    if len(data) > limit:
        return f"is larger than {limit / 1e6:g} MB, the limit"
    return image_problem(data)


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def suffix_for(data: bytes) -> str:
    """The file suffix of the format ``data`` really is, whatever its name said."""
    with PILImage.open(io.BytesIO(data), formats=IMAGE_FORMATS) as picture:
        return {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}[picture.format]


# Renditions ---------------------------------------------------------------------------------


def renditions_key(image: Image) -> str:
    """What the renditions of ``image`` are made from: its file, focal point and the recipe.
    Part of every rendition's file name, so a new focal point gives new addresses (cached
    copies of the old crops cannot linger under the new ones)."""
    made_from = (
        f"{image.digest}|{image.focus_x:.4f}|{image.focus_y:.4f}|"
        f"{RECIPE_VERSION}|{','.join(rendition_formats())}"
    )
    return hashlib.sha256(made_from.encode()).hexdigest()[:16]


def has_alpha(picture: PILImage.Image) -> bool:
    if picture.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        return True
    return "transparency" in picture.info


# EXIF orientations that turn a photo on its side: upright, its width is its stored height.
SIDEWAYS = {5, 6, 7, 8}
# A JPEG much larger than this (long side, short side) is decoded at a half, a quarter or an
# eighth of its size (``draft``): still twice the widest rendition, at a fraction of the
# time and memory a 45-megapixel photo takes.
DECODE_AT_LEAST = (2 * WIDTHS[Crop.FULL][-1], 2 * WIDTHS[Crop.SQUARE][-1])


def decode_size(size: tuple[int, int]) -> tuple[int, int]:
    """The smallest size to decode a photo of ``size`` at that loses no rendition detail."""
    long, short = DECODE_AT_LEAST
    scale = min(1.0, max(long / max(size), short / min(size)))
    return (math.ceil(size[0] * scale), math.ceil(size[1] * scale))


def prepared(data: bytes) -> tuple[PILImage.Image, tuple[int, int]]:
    """The first frame of ``data`` (an animation's too), upright (EXIF orientation applied),
    in sRGB, as RGB or RGBA (alpha kept only where some pixel uses it), and without any of
    the metadata the original carries; and the original's size, upright."""
    try:
        with PILImage.open(io.BytesIO(data), formats=IMAGE_FORMATS) as source:
            source.seek(0)
            width, height = source.size
            if source.getexif().get(0x0112) in SIDEWAYS:
                width, height = height, width
            if source.format == "JPEG":
                source.draft(None, decode_size(source.size))
            picture = ImageOps.exif_transpose(source)
        mode = "RGBA" if has_alpha(picture) else "RGB"
        profile = picture.info.get("icc_profile")
        if picture.mode not in ("RGB", "RGBA", "CMYK", "L"):
            picture = picture.convert(mode)
        if profile:
            picture = in_srgb(picture, profile, mode)
        picture = picture.convert(mode)
        if mode == "RGBA" and picture.getchannel("A").getextrema() == (255, 255):
            picture = picture.convert("RGB")
    except Exception as error:  # Pillow's decoders fail in many ways; see image_problem()
        raise UnusableImage(NOT_AN_IMAGE) from error
    picture.info = {}
    return picture, (width, height)


SRGB = ImageCms.createProfile("sRGB")


def in_srgb(picture: PILImage.Image, profile: bytes, mode: str) -> PILImage.Image:
    """``picture`` converted from its embedded colour profile to sRGB, which is what a
    browser assumes once the profile is stripped; unchanged if the profile is unusable."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        return ImageCms.profileToProfile(picture, source, SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return picture


def crop_box(size: tuple[int, int], ratio, focus: tuple[float, float]) -> tuple[int, ...]:
    """The largest box of ``ratio`` (width, height; None: the whole picture) inside a
    picture of ``size``, centred on the focal point as far as the edges allow, so the focal
    point is always inside it."""
    width, height = size
    if ratio is None:
        return (0, 0, width, height)
    if width * ratio[1] > height * ratio[0]:
        box_width, box_height = max(1, round(height * ratio[0] / ratio[1])), height
    else:
        box_width, box_height = width, max(1, round(width * ratio[1] / ratio[0]))
    left = min(max(round(focus[0] * width - box_width / 2), 0), width - box_width)
    top = min(max(round(focus[1] * height - box_height / 2), 0), height - box_height)
    return (left, top, left + box_width, top + box_height)


def widths_for(available: int, widths: tuple[int, ...]) -> list[int]:
    """The widths to make from a box ``available`` pixels wide: those narrower than it, and
    its own width when it is no wider than the widest wanted."""
    chosen = [width for width in widths if width < available]
    if available <= widths[-1]:
        chosen.append(available)
    return chosen


def encoded(picture: PILImage.Image, format: str) -> bytes:
    if format == Format.JPEG and picture.mode == "RGBA":
        flat = PILImage.new("RGB", picture.size, "white")
        flat.paste(picture, mask=picture.getchannel("A"))
        picture = flat
    out = io.BytesIO()
    picture.save(out, format.upper(), **ENCODER_OPTIONS[format])
    return out.getvalue()


def resized_versions(picture: PILImage.Image, focus: tuple[float, float]):
    """``(crop, resized picture)`` for every crop and width of the recipe, widest first.

    Each crop's widest version is made from the original, the narrower ones from it: a
    third less work than going back to a 45-megapixel original for each, and no visible
    difference (each is still a reduction of at least a quarter).
    """
    for crop, ratio in CROP_RATIOS.items():
        box = crop_box(picture.size, ratio, focus)
        box_width, box_height = box[2] - box[0], box[3] - box[1]
        source, source_box = picture, box
        for width in reversed(widths_for(box_width, WIDTHS[crop])):
            height = round(width * (ratio[1] / ratio[0] if ratio else box_height / box_width))
            resized = source.resize(
                (width, max(1, height)),
                PILImage.Resampling.LANCZOS,
                box=source_box,
                reducing_gap=2.0,
            )
            resized.info = {}
            source, source_box = resized, None
            yield crop, resized


# Files written in the current import (``files_written``), to delete if it is refused.
_written: ContextVar[list[str] | None] = ContextVar("image_files_written", default=None)


@contextmanager
def files_written():
    """Collect the names of the files this module writes within the block (originals and
    renditions): the importer deletes them when the story they were written for is refused.
    An enclosing block collects them too (the demo deletes every file of a load that fails
    after some of its stories were written)."""
    names: list[str] = []
    reset = _written.set(names)
    try:
        yield names
    finally:
        _written.reset(reset)
        if (enclosing := _written.get()) is not None:
            enclosing.extend(names)


def _note_written(name: str) -> None:
    if (names := _written.get()) is not None:
        names.append(name)


def make_renditions(image: Image, *, force: bool = False) -> bool:
    """Make the renditions of ``image`` unless they are up to date (``force``: anyway).

    Returns whether it made them. The files are written first and the rows replaced in one
    transaction; the files of the rows replaced are deleted once it commits. Raises
    ``UnusableImage`` for an original that cannot be decoded.
    """
    key = renditions_key(image)
    if image.renditions_key == key and not force:
        return False
    storage = Rendition._meta.get_field("file").storage
    with image.file.open("rb") as original:
        picture, size = prepared(original.read())
    rows, names = [], []
    try:
        for crop, resized in resized_versions(picture, (image.focus_x, image.focus_y)):
            for format in rendition_formats():
                data = encoded(resized, format)
                slug = crop.replace(":", "x")
                name = storage.save(
                    f"images/r/{key}/{slug}-{resized.width}.{FILE_SUFFIXES[format]}",
                    ContentFile(data),
                )
                names.append(name)
                _note_written(name)
                rows.append(
                    Rendition(
                        image=image,
                        crop=crop,
                        format=format,
                        width=resized.width,
                        height=resized.height,
                        size=len(data),
                        file=name,
                    )
                )
        _replace_renditions(image, rows, size, key)
    except BaseException:
        delete_files(names)
        raise
    image.width, image.height = size
    image.renditions_key = key
    return True


def _replace_renditions(image: Image, rows: list[Rendition], size, key: str) -> None:
    using = router.db_for_write(Rendition, instance=image)
    with transaction.atomic(using=using):
        replaced = list(
            Rendition.objects.using(using).filter(image=image).values_list("file", flat=True)
        )
        # One statement, no per-row signals: each would start a content generation of its
        # own (articles.caching); one for the lot is made below.
        table = connections[using].ops.quote_name(Rendition._meta.db_table)
        with connections[using].cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE image_id = %s", [image.pk])  # noqa: S608
        Rendition.objects.using(using).bulk_create(rows)
        Image.objects.using(using).filter(pk=image.pk).update(
            width=size[0], height=size[1], renditions_key=key
        )
        caching.content_changed(using)
        transaction.on_commit(partial(delete_files, replaced), using=using)


def delete_files(names) -> None:
    storage = Rendition._meta.get_field("file").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError as error:  # a file already gone is no reason to fail a save
            logger.warning("Could not delete %s: %s", name, error)


@receiver(pre_save, sender=Image, dispatch_uid="image-digest")
def _digest_new_file(sender, instance: Image, raw=False, **kwargs):
    """An image is identified by its file's content: a file about to be stored (assigned,
    not yet saved) is read for its digest, as is one stored without a digest."""
    new_file = not getattr(instance.file, "_committed", True)
    instance._file_is_new = new_file
    if raw or not instance.file or not (new_file or not instance.digest):
        return
    if new_file:
        # Not closed: an upload's temporary file would go with it, before it is stored.
        instance.file.open("rb")
        instance.file.seek(0)
        instance.digest = digest_of(instance.file.read())
        instance.file.seek(0)
    else:
        with instance.file.storage.open(instance.file.name, "rb") as stored:
            instance.digest = digest_of(stored.read())


@receiver(post_save, sender=Image, dispatch_uid="image-renditions")
def _make_renditions_on_save(sender, instance: Image, raw=False, **kwargs):
    if raw:  # loaddata: the rows come with the data
        return
    if getattr(instance, "_file_is_new", False):
        _note_written(instance.file.name)
    make_renditions(instance)


@receiver(pre_delete, sender=Image, dispatch_uid="image-files-noted")
def _note_files_of_deleted_image(sender, instance: Image, **kwargs):
    instance._files_to_delete = [
        instance.file.name,
        *instance.renditions.values_list("file", flat=True),
    ]


@receiver(post_delete, sender=Image, dispatch_uid="image-files-deleted")
def _delete_files_of_deleted_image(sender, instance: Image, using=None, **kwargs):
    names = [name for name in getattr(instance, "_files_to_delete", ()) if name]
    transaction.on_commit(partial(delete_files, names), using=using)


# Showing them ------------------------------------------------------------------------------


def by_kind(renditions) -> dict[tuple[str, str], list[Rendition]]:
    """Renditions by ``(crop, format)``, each list narrowest first."""
    kinds = defaultdict(list)
    for rendition in sorted(renditions, key=lambda r: r.width):
        kinds[(rendition.crop, rendition.format)].append(rendition)
    return kinds


def closest(renditions: list[Rendition], width: int) -> Rendition | None:
    """The widest of ``renditions`` no wider than ``width``; else the narrowest."""
    fitting = [r for r in renditions if r.width <= width]
    if fitting:
        return max(fitting, key=lambda r: r.width)
    return min(renditions, key=lambda r: r.width, default=None)


def rendition(image: Image | None, crop: str, format: str = Format.JPEG, width=SHARE_WIDTH):
    """The rendition of ``image`` in ``crop`` and ``format`` closest to ``width`` (no wider
    unless none is that narrow), from the rows fetched with it; None without one."""
    if image is None:
        return None
    return closest(by_kind(image.renditions.all())[(crop, format)], width)


def srcset(renditions: list[Rendition]) -> str:
    return ", ".join(f"{r.file.url} {r.width}w" for r in renditions)


def picture_html(renditions, *, alt: str, sizes: str, crop: str = Crop.FULL, lead: bool = False):
    """A ``<picture>``: a ``<source>`` per modern format and a JPEG ``<img>``, each with its
    ``srcset`` and ``sizes``; the ``<img>`` has ``width`` and ``height`` (so the page does
    not jump as it loads) and ``alt``. The lead image of a page loads first
    (``fetchpriority="high"``); any other waits until it nears the screen (``loading="lazy"``).
    Empty when there is no JPEG rendition of ``crop`` (renditions not made yet).
    """
    kinds = by_kind(renditions)
    fallback = closest(kinds[(crop, Format.JPEG)], FALLBACK_WIDTH)
    if fallback is None:
        return ""
    sources = format_html_join(
        "",
        '<source type="{}" srcset="{}" sizes="{}">',
        (
            (kinds[(crop, format)][0].media_type, srcset(kinds[(crop, format)]), sizes)
            for format in (Format.AVIF, Format.WEBP)
            if kinds[(crop, format)]
        ),
    )
    loading = mark_safe(LEAD_LOADING if lead else LAZY_LOADING)  # noqa: S308 - constants
    return format_html(
        '<picture>{}<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" {}>'
        "</picture>",
        sources,
        fallback.file.url,
        srcset(kinds[(crop, Format.JPEG)]),
        sizes,
        fallback.width,
        fallback.height,
        alt,
        loading,
    )


def image_html(image: Image | None, *, sizes: str, crop: str = Crop.FULL, lead: bool = False):
    """``picture_html`` for a library image, with its alt text."""
    if image is None:
        return ""
    return picture_html(
        image.renditions.all(), alt=image.alt_text, sizes=sizes, crop=crop, lead=lead
    )


def json_ld(image: Image | None, absolute) -> list[dict]:
    """schema.org ``ImageObject``s of the 16:9, 4:3 and 1:1 crops of ``image`` (the widest
    JPEG of each, as search engines ask), ``absolute`` making their URLs absolute."""
    if image is None:
        return []
    kinds = by_kind(image.renditions.all())
    found = []
    for crop in (Crop.WIDE, Crop.STANDARD, Crop.SQUARE):
        if widest := kinds[(crop, Format.JPEG)][-1:]:
            thing = {
                "@type": "ImageObject",
                "url": absolute(widest[0].file.url),
                "width": widest[0].width,
                "height": widest[0].height,
            }
            if image.caption:
                thing["caption"] = image.caption
            if image.credit:
                thing["creditText"] = image.credit
            found.append(thing)
    return found


# Backfill ------------------------------------------------------------------------------------


def make_missing_renditions(*, force: bool = False):
    """Make the renditions of every library image whose renditions are missing or out of
    date (``force``: of every image). Yields ``(image, problem)`` per image worked on,
    ``problem`` being '' when its renditions were made."""
    for image in Image.objects.order_by("pk").iterator(chunk_size=200):
        if not force and image.renditions_key == renditions_key(image):
            continue
        try:
            make_renditions(image, force=force)
        except UnusableImage as error:
            yield image, f"the original {image.file.name} {error}"
        except OSError as error:
            yield image, f"the original {image.file.name} cannot be read ({error})"
        else:
            yield image, ""


# Photos in a story's body ------------------------------------------------------------------
#
# A body's ``<img>`` names a library image by the digest of its file (``data-file``, the
# attribute the admin's rich-text editor keeps for a picked file), so a body means the same
# in every database an export is imported into; its ``src`` is only for the editor
# (``preview_url``). Pages and feeds replace each with renditions of that image; one that
# names no library image shows nothing.


def preview_url(digest: str) -> str:
    """Where the admin's editor finds a body photo to show (a staff-only redirect to a
    rendition: ``ImageAdmin.preview_view``)."""
    return reverse("admin:articles_image_preview", args=[digest])


def renditions_by_digest(digests) -> dict[str, list[Rendition]]:
    """The renditions of the library images with these digests: one query, none for none."""
    digests = {digest for digest in digests if digest}
    if not digests:
        return {}
    found = defaultdict(list)
    rows = Rendition.objects.filter(image__digest__in=digests).annotate(digest=F("image__digest"))
    for rendition in rows:
        found[rendition.digest].append(rendition)
    return found


def body_digests(bodies) -> set[str]:
    """The library images named by the photos of ``bodies`` (blocks, or lists of blocks)."""
    digests = set()
    for body in bodies:
        for block in [body] if isinstance(body, str) else body:
            digests.update(image.file for image in text.body_images(block) if image.file)
    return digests


def with_pictures(blocks: list[str], *, sizes: str = ARTICLE_SIZES) -> list[str]:
    """``blocks`` (a body's, sanitised) with each photo as a ``<picture>`` that loads lazily
    (``picture_html``): one query when there are photos, none otherwise."""
    if not any("<img" in block for block in blocks):
        return blocks
    found = renditions_by_digest(body_digests(blocks))
    return [
        text.replace_images(
            block,
            lambda image: picture_html(found.get(image.file, []), alt=image.alt, sizes=sizes),
        )
        for block in blocks
    ]


def with_plain_images(blocks: list[str], found: dict, absolute) -> list[str]:
    """``blocks`` with each photo as one ``<img>`` of a JPEG (absolute URL, width, height
    and alt), for feed readers, which show ``<picture>`` poorly; ``found`` is
    ``renditions_by_digest`` of every item's photos, fetched once for the feed."""

    def plain(image):
        jpegs = [r for r in found.get(image.file, []) if r.crop == Crop.FULL]
        shown = closest([r for r in jpegs if r.format == Format.JPEG], FALLBACK_WIDTH)
        if shown is None:
            return ""
        return format_html(
            '<img src="{}" width="{}" height="{}" alt="{}">',
            absolute(shown.file.url),
            shown.width,
            shown.height,
            image.alt,
        )

    return [text.replace_images(block, plain) if "<img" in block else block for block in blocks]


def library_body(body: str) -> tuple[str, list[str]]:
    """``body`` (sanitised) with each photo pointing at its library image as the editor
    shows it, and what is wrong with the photos that are not from the library."""
    found = text.body_images(body)
    if not found:
        return body, []
    known = set(
        Image.objects.filter(digest__in={image.file for image in found}).values_list(
            "digest", flat=True
        )
    )
    problems = [
        f"the photo “{image.alt or image.src or 'without a name'}” is not from the image library"
        for image in found
        if image.file not in known
    ]
    return text.replace_images(
        body, lambda image: photo_html(image.file, image.alt) if image.file in known else ""
    ), problems


def photo_html(digest: str, alt: str) -> str:
    """A body's ``<img>`` of the library image with ``digest``, as a body stores it."""
    return format_html('<img src="{}" alt="{}" data-file="{}">', preview_url(digest), alt, digest)
