"""Staff preview: any story, in any status, as readers will see it; no reader can open it."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers, patch_cache_control

from articles.models import Article

from .views import ArticleDetailView

PREVIEW_PERMISSION = "articles.view_article"


class ArticlePreviewView(ArticleDetailView):
    """The reader's detail page for a story of any status, found by id.

    It extends the reader's view so a preview shows what the public page will show; a
    reader (or a staff member without the permission) gets the same 404 as for no story.
    """

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not (user.is_active and user.is_staff and user.has_perm(PREVIEW_PERMISSION)):
            raise Http404("No story here.")
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return Article.objects.all().for_detail()

    def get_object(self, queryset=None):
        return get_object_or_404(queryset or self.get_queryset(), pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        context = self.get_context_data(object=self.object, is_preview=True)
        response = self.render_to_response(context)
        add_never_cache_headers(response)
        patch_cache_control(response, private=True, no_store=True)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response
