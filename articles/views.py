from django.views.generic import DetailView, ListView

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
