from django.urls import path

from . import views

app_name = "articles"

urlpatterns = [
    path("", views.FrontPageView.as_view(), name="front"),
    path("news/<str:slug>/", views.ArticleDetailView.as_view(), name="detail"),
]
