"""Staff pages for the story graph: link health, threads, an article's graph, and the two
one-click actions the article change form offers (add a suggested link, accept a tag).

Mounted under ``/admin/newsroom/`` by ``newsroom/urls.py`` (before ``admin/``), so they
sit inside the admin's look and login. ``change_form_context`` gives the article change
form what its partials need (``templates/admin/articles/includes/``).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from articles.intelligence import entities, graph, linkhealth, suggestions, threads
from articles.models import Article, Country, Person, tag_kind_of

from . import editing

app_name = "newsroom_admin"


def staff_view(permission: str):
    """Staff only (others go to the admin login), and a permission (else 403)."""

    def decorate(view):
        return staff_member_required(permission_required(permission, raise_exception=True)(view))

    return decorate


def _render(request, template: str, title: str, **context):
    context = {**admin.site.each_context(request), "title": title, "opts": Article._meta, **context}
    return TemplateResponse(request, f"admin/articles/{template}", context)


def may_change(request, article: Article) -> bool:
    """The article admin's own answer, which may narrow the model permission per story
    (a writer changes only their own drafts)."""
    return admin.site.get_model_admin(Article).has_change_permission(request, article)


def may_add_link(request, article: Article) -> bool:
    return request.user.has_perm("articles.add_crosslink") and may_change(request, article)


def _require(allowed: bool):
    if not allowed:
        raise PermissionDenied


def change_form_context(article: Article, request) -> dict:
    """What the change form's graph and suggestion partials need, for ``extra_context``:
    the suggestions only for editors who may act on them."""
    if article is None or article.pk is None:
        return {}
    context = {"story_graph": graph.neighbourhood(article)}
    if may_add_link(request, article):
        context["link_suggestions"] = suggestions.suggest_links(article)
    if may_change(request, article):
        context["entity_suggestions"] = entities.suggest_for_article(article)
    return context


@staff_view("articles.view_article")
def link_health_page(request):
    report = linkhealth.link_health()
    return _render(request, "link_health.html", "Link health", report=report)


@staff_view("articles.view_article")
def thread_list(request):
    return _render(request, "threads.html", "Story threads", threads=threads.story_threads())


@staff_view("articles.view_article")
def thread_page(request, pk: int):
    thread = threads.thread_of(pk)
    if thread is None:
        raise Http404("No such story.")
    return _render(request, "thread.html", f"Thread: {thread.title}", thread=thread)


@staff_view("articles.view_article")
def graph_page(request, pk: int):
    """The story's graph, with the link and tag suggestions the change form shows."""
    article = get_object_or_404(Article, pk=pk)
    _require(admin.site.get_model_admin(Article).has_view_permission(request, article))
    return _render(
        request,
        "graph.html",
        f"Story graph: {article.headline}",
        original=article,
        **change_form_context(article, request),
    )


def _back(request, article: Article):
    """Back where the editor clicked (a page of this site), else the story's change form."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(reverse("admin:articles_article_change", args=[article.pk]))


class AddLinkForm(forms.Form):
    # Field names are prefixed: inside the change form, the whole story form is posted
    # along with the clicked button, and these must not clash with its fields.
    suggested_target = forms.ModelChoiceField(queryset=Article.objects.all())

    def __init__(self, *args, source: Article, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source

    def clean_suggested_target(self):
        target = self.cleaned_data["suggested_target"]
        if target.pk == self.source.pk:
            raise forms.ValidationError("A story cannot link to itself.")
        if self.source.links_out.filter(target=target).exists():
            raise forms.ValidationError("This story already links there.")
        return target


@require_POST
@staff_view("articles.add_crosslink")
def add_link(request, pk: int):
    source = get_object_or_404(Article, pk=pk)
    _require(may_add_link(request, source))
    form = AddLinkForm(request.POST, source=source)
    if form.is_valid():
        target = form.cleaned_data["suggested_target"]
        try:
            editing.add_also_read(source=source, target=target, user=request.user)
        except IntegrityError:  # a second click, or another editor, got there first
            messages.warning(request, "This story already links there.")
        else:
            _log_change(request, source, f"Added “Also Read: {target.headline}”.")
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return _back(request, source)


def _log_change(request, article: Article, message: str):
    """Tell the editor, and keep it in the story's history like a save of its form."""
    admin.site.get_model_admin(Article).log_change(request, article, message)
    messages.success(request, message)


class AcceptEntityForm(forms.Form):
    """One value, "person:Donald Trump" or "country:IL", so that one button carries it."""

    suggested_tag = forms.CharField(max_length=200)

    def clean_suggested_tag(self):
        kind, _, name = self.cleaned_data["suggested_tag"].partition(":")
        tag_model = {"person": Person, "country": Country}.get(kind)
        if tag_model is None:
            raise forms.ValidationError("Choose a person or a country to tag.")
        try:
            return tag_model, tag_model.normalise_name(name)
        except ValueError as error:
            raise forms.ValidationError(f"{capfirst(str(error))}.") from error


@require_POST
@staff_view("articles.change_article")
def accept_entity(request, pk: int):
    article = get_object_or_404(Article, pk=pk)
    _require(may_change(request, article))
    form = AcceptEntityForm(request.POST)
    if form.is_valid():
        tag_model, name = form.cleaned_data["suggested_tag"]
        editing.tag_story(
            article=article, kind=tag_kind_of(tag_model), name=name, user=request.user
        )
        _log_change(request, article, f"Tagged {tag_model._meta.verbose_name} “{name}”.")
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return _back(request, article)


urlpatterns = [
    path("link-health/", link_health_page, name="link_health"),
    path("threads/", thread_list, name="threads"),
    path("threads/<int:pk>/", thread_page, name="thread"),
    path("articles/<int:pk>/graph/", graph_page, name="graph"),
    path("articles/<int:pk>/add-link/", add_link, name="add_link"),
    path("articles/<int:pk>/accept-tag/", accept_entity, name="accept_entity"),
]
