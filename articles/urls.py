from django.urls import path

from .reader import corrections, feeds, live, preview, views

app_name = "articles"

urlpatterns = [
    path("", views.FrontPageView.as_view(), name="front"),
    path("archive/", views.ArchiveView.as_view(), name="archive"),
    path("news/<str:slug>/", views.ArticleDetailView.as_view(), name="detail"),
    path("news/<str:slug>/live/entries/", live.new_entries, name="live_entries"),
    path("preview/<int:pk>/", preview.ArticlePreviewView.as_view(), name="preview"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("corrections/", corrections.CorrectionsView.as_view(), name="corrections"),
    # Hubs: one pattern per kind so each has a readable URL and its own name.
    path("people/<str:slug>/", views.HubView.as_view(kind="people"), name="person"),
    path("countries/<str:slug>/", views.HubView.as_view(kind="countries"), name="country"),
    path("topics/<str:slug>/", views.HubView.as_view(kind="topics"), name="topic"),
    path("sections/<str:slug>/", views.HubView.as_view(kind="sections"), name="section"),
    path("authors/<str:slug>/", views.HubView.as_view(kind="authors"), name="author"),
    # Feeds: format is one of "rss", "atom", "json".
    path("feed/<str:format>/", feeds.site_feed, name="feed"),
    path("corrections/feed/<str:format>/", corrections.corrections_feed, name="corrections_feed"),
    path("<str:kind>/<str:slug>/feed/<str:format>/", feeds.hub_feed, name="hub_feed"),
]
