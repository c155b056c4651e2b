from django.http import Http404
from django.views.generic import DetailView, ListView, View

from .models import Article


class LiveArticlesMixin:
    def get_queryset(self):
        return Article.objects.live()


class FrontPageView(LiveArticlesMixin, ListView):
    template_name = "articles/front.html"
    paginate_by = 20

    def get_queryset(self):
        return super().get_queryset().for_listing()


class ArticleDetailView(LiveArticlesMixin, DetailView):
    template_name = "articles/detail.html"

    def get_queryset(self):
        return super().get_queryset().for_detail()


class ArchiveView(FrontPageView):
    pass


class SearchView(View):
    def get(self, request):
        raise Http404("Search is not built yet.")


class HubView(View):
    kind = None

    def get(self, request, slug):
        raise Http404("Hubs are not built yet.")
