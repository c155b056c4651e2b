"""The image library in the admin: upload a photo with its alt text, caption, credit and
focal point; see the crops made from it and the stories that use it.

An upload is hostile until proven otherwise: it is read whole only up to the size limit,
then checked as the importer checks a story's image (real format, pixel count, a full
decode: ``articles.images.upload_problem``), so a bad file is a form error and never reaches
the code that makes renditions.
"""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from articles import images
from articles.models import Article, ArticleQuerySet, Image, Rendition

PUBLISH_PERMISSION = "articles.publish_article"
THUMBNAIL_WIDTH = 320
PICKER_SIZE = 48  # photos the picker shows at once (the newest, or the best matches)
ALREADY_IN_LIBRARY = "This photo is already in the library: “%(image)s” (image %(pk)s)."


class ImageAdminForm(forms.ModelForm):
    class Meta:
        model = Image
        fields = ["file", "alt_text", "caption", "credit", "focus_x", "focus_y"]
        widgets = {
            "file": forms.ClearableFileInput(
                attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
            ),
            "alt_text": forms.TextInput(attrs={"size": 80}),
            "caption": forms.Textarea(attrs={"rows": 2, "cols": 80}),
            "focus_x": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "1"}),
            "focus_y": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "1"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "alt_text" in self.fields:  # absent when only viewed
            # Blank in the database for photos imported with drafts; never from here.
            self.fields["alt_text"].required = True

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None or "file" not in self.changed_data:
            return upload
        upload.seek(0)
        data = upload.read(settings.NEWSROOM_IMPORT_MAX_IMAGE_BYTES + 1)
        upload.seek(0)
        if problem := images.upload_problem(data):
            raise forms.ValidationError(f"The file {problem}.", code="unusable_image")
        same = Image.objects.filter(digest=images.digest_of(data)).exclude(pk=self.instance.pk)
        if existing := same.first():
            raise forms.ValidationError(
                ALREADY_IN_LIBRARY,
                params={"image": existing, "pk": existing.pk},
                code="duplicate_image",
            )
        # Named for what it is, whatever the name it came with: a .php that is a PNG is .png.
        upload.name = f"{upload.name.rsplit('.', 1)[0]}{images.suffix_for(data)}"
        return upload


class AltTextFilter(admin.SimpleListFilter):
    title = "alt text"
    parameter_name = "alt"

    def lookups(self, request, model_admin):
        return [("missing", "Missing"), ("given", "Given")]

    def queryset(self, request, queryset):
        if self.value() == "missing":
            return queryset.needing_alt_text()
        if self.value() == "given":
            return queryset.exclude(alt_text="")
        return queryset


def thumbnail(image: Image, crop=Rendition.Crop.FULL, width=THUMBNAIL_WIDTH):
    found = images.rendition(image, crop, width=width)
    if found is None:
        return "No renditions yet (manage.py make_renditions makes them)."
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="{}" class="library-thumbnail">',
        found.file.url,
        found.width,
        found.height,
        image.alt_text,
    )


def focal_point_picture(image: Image):
    """The whole photo with a ring on its focal point (drawn in SVG: the admin's Content
    Security Policy allows no inline style). ``image_focus.js`` moves the point to where
    the editor clicks; without JavaScript the two numbers below set it."""
    shown = images.rendition(image, Rendition.Crop.FULL, width=THUMBNAIL_WIDTH)
    if shown is None:
        return ""
    x, y = image.focus_x * shown.width, image.focus_y * shown.height
    return format_html(
        "<figure class='library-crop'>"
        '<svg class="focal-point" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-label="The photo, its focal point ringed">'
        '<image href="{url}" width="{w}" height="{h}"/>'
        '<circle cx="{x}" cy="{y}" r="12" fill="none" stroke="#fff" stroke-width="4"/>'
        '<circle cx="{x}" cy="{y}" r="12" fill="none" stroke="#c00" stroke-width="2"/>'
        "</svg><figcaption>Whole photo and focal point</figcaption></figure>",
        w=shown.width,
        h=shown.height,
        url=shown.file.url,
        x=f"{x:.1f}",
        y=f"{y:.1f}",
    )


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    form = ImageAdminForm
    list_display = ["preview", "alt_text_or_warning", "caption", "credit", "size", "stories"]
    list_display_links = ["preview", "alt_text_or_warning"]
    list_filter = [AltTextFilter, "created_at"]
    search_fields = ["alt_text", "caption", "credit", "file"]
    readonly_fields = ["crops", "size", "used_by"]
    fieldsets = [
        (None, {"fields": ["file", "alt_text", "caption", "credit"]}),
        (
            "Focal point",
            {
                "fields": ["focus_x", "focus_y", "crops"],
                "description": "The point the crops keep in the picture: 0.5 and 0.5 is the "
                "centre; 0.3 across and 0.2 down is a face in the upper left third.",
            },
        ),
        ("Use", {"fields": ["size", "used_by"]}),
    ]

    class Media:
        css = {"all": ["articles/admin/image_library.css"]}
        js = ["articles/admin/image_focus.js"]

    def get_readonly_fields(self, request, obj=None):
        # A library image is its file: stories' bodies name it by the file's digest, so
        # another photo is another library image.
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "file"] if obj is not None else readonly

    def get_deleted_objects(self, objs, request):
        """Stories showing a photo in their body protect it as lead images do (a foreign
        key): deleting it would leave a hole in them."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        in_bodies = Q()
        for image in objs:
            in_bodies |= Q(body__contains=f'data-file="{image.digest}"')
        stories = Article.objects.filter(in_bodies).order_by("-pk")[:20] if objs else []
        protected = [*protected, *(f"Story: {story} (a photo in its body)" for story in stories)]
        return deleted, counts, perms_needed, protected

    def get_queryset(self, request):
        # Ordered here: a query with a COUNT does not take Meta.ordering (autocomplete pages).
        queryset = (
            super()
            .get_queryset(request)
            .annotate(story_count=Count("lead_of"))
            .order_by("-created_at", "-pk")
        )
        thumbnails = Rendition.objects.filter(format=Rendition.Format.JPEG)
        return queryset.prefetch_related(Prefetch("renditions", queryset=thumbnails))

    # Permissions: writers add photos and fix their own until a live story shows them.

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None or request.user.has_perm(PUBLISH_PERMISSION):
            return allowed
        shown_live = obj.lead_of.filter(ArticleQuerySet.live_condition()).exists()
        return obj.created_by_id == request.user.pk and not shown_live

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    # The story editor's picker and previews ---------------------------------------------

    def get_urls(self):
        return [
            path("pick/", self.admin_site.admin_view(self.picker_view), name="articles_image_pick"),
            path(
                "preview/<str:digest>/",
                self.admin_site.admin_view(self.preview_view),
                name="articles_image_preview",
            ),
            *super().get_urls(),
        ]

    def picker_view(self, request):
        """The photos the figure dialog's "Browse…" offers: a click hands one to the story
        editor (``image_picker.js``, django-prose-editor's picker protocol)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        query = request.GET.get("q", "").strip()[:100]
        found = self.get_queryset(request).exclude(renditions_key="")
        if query:
            found, _ = self.get_search_results(request, found, query)
        return TemplateResponse(
            request,
            "admin/articles/image/picker.html",
            {
                **self.admin_site.each_context(request),
                "title": "Pick a photo",
                "opts": self.opts,
                "query": query,
                "func_num": request.GET.get("CKEditorFuncNum", ""),
                "choices": [
                    (image, thumbnail(image, width=160), images.preview_url(image.digest))
                    for image in found[:PICKER_SIZE]
                ],
                "is_popup": True,
            },
        )

    def preview_view(self, request, digest):
        """A body photo as the story editor shows it: the whole photo, 640 pixels wide."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        image = get_object_or_404(Image, digest=digest)
        shown = images.rendition(image, Rendition.Crop.FULL, width=640)
        if shown is None:
            raise Http404("This photo has no renditions yet.")
        return HttpResponseRedirect(shown.file.url)

    # Columns and read-only fields ---------------------------------------------------------

    @admin.display(description="photo")
    def preview(self, image):
        return thumbnail(image, Rendition.Crop.SQUARE, width=120)

    @admin.display(description="alt text", ordering="alt_text")
    def alt_text_or_warning(self, image):
        return image.alt_text or "⚠ No alt text: stories cannot be published with it"

    @admin.display(description="size")
    def size(self, image):
        return f"{image.width} × {image.height} pixels" if image.width else "–"

    @admin.display(description="stories", ordering="story_count")
    def stories(self, image):
        return getattr(image, "story_count", 0)

    @admin.display(description="crops")
    def crops(self, image):
        if image.pk is None:
            return "Save the photo to see its crops."
        crops = format_html_join(
            "",
            "<figure class='library-crop'>{}<figcaption>{}</figcaption></figure>",
            ((thumbnail(image, crop), label) for crop, label in Rendition.Crop.choices[1:]),
        )
        return format_html("{}{}", focal_point_picture(image), crops)

    @admin.display(description="lead image of")
    def used_by(self, image):
        if image.pk is None:
            return ""
        stories = Article.objects.filter(lead_image=image).order_by("-pk")[:50]
        if not stories:
            return "No story yet."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> ({})</li>',
                (
                    (
                        reverse("admin:articles_article_change", args=[story.pk]),
                        story.headline,
                        story.get_status_display().lower(),
                    )
                    for story in stories
                ),
            ),
        )
