"""Link suggestions: live stories that share people, countries or topics with a story.

A shared tag weighs more the rarer it is among live stories (smoothed inverse document
frequency, ``ln(1 + N / df)``), so two stories about the same envoy outrank two stories that
both mention the United States. Ties go to the newer story. The story itself and the
stories it already links to are left out. The query count is fixed whatever the
number of tags or stories (at most three).
"""

import math
from dataclasses import dataclass, field

from django.db.models import Count, F, FloatField, Q, Sum, Value
from django.db.models.expressions import Case, OuterRef, Subquery, When
from django.db.models.functions import Coalesce

from articles.models import TAG_KINDS, Article, CrossLink

TAG_THROUGH = {kind: getattr(Article, kind).through for kind in TAG_KINDS}
DEFAULT_LIMIT = 10


@dataclass
class LinkSuggestion:
    article: Article
    score: float
    shared: list[str] = field(default_factory=list)  # names of the shared tags, rarest first


def _live_tagged(through):
    return through.objects.filter(Article.objects.live_condition("content_object__"))


def _union(querysets):
    """One query for several, which the database answers as a UNION ALL."""
    first, *rest = querysets
    return first.union(*rest, all=True)


def _live_count():
    """The number of live stories, as a subquery: live() keeps one status, so grouping by
    status leaves a single group to count."""
    live = Article.objects.live().order_by().values("status").annotate(n=Count("pk"))
    return Subquery(live.values("n")[:1])


def tag_weights(article: Article) -> dict[str, dict[int, tuple[str, float]]]:
    """For each tag kind, the story's tags that live stories carry: id → (name, weight).
    One query: every kind's tags in a UNION, each row with the live story count."""
    rows = _union(
        [
            _live_tagged(through)
            .filter(tag_id__in=through.objects.filter(content_object=article).values("tag_id"))
            .values("tag_id")
            .annotate(
                stories=Count("pk"), kind=Value(kind), name=F("tag__name"), live=_live_count()
            )
            .values_list("kind", "tag_id", "name", "stories", "live")
            for kind, through in TAG_THROUGH.items()
        ]
    )
    weights: dict[str, dict[int, tuple[str, float]]] = {kind: {} for kind in TAG_THROUGH}
    for kind, tag_id, name, stories, live in rows:
        weights[kind][tag_id] = (name, math.log(1 + live / stories))
    return weights


def _score_expression(kind: str, weights: dict[int, tuple[str, float]]):
    """The sum of the weights of this kind's tags a candidate shares, as a subquery."""
    through = TAG_THROUGH[kind]
    weight = Case(
        *(When(tag_id=tag_id, then=Value(w)) for tag_id, (_, w) in weights.items()),
        default=Value(0.0),
        output_field=FloatField(),
    )
    shared = (
        through.objects.filter(content_object=OuterRef("pk"), tag_id__in=list(weights))
        .values("content_object")
        .annotate(total=Sum(weight))
        .values("total")
    )
    return Coalesce(Subquery(shared, output_field=FloatField()), Value(0.0))


def suggest_links(article: Article, limit: int = DEFAULT_LIMIT) -> list[LinkSuggestion]:
    weights = tag_weights(article)
    scores = [_score_expression(kind, w) for kind, w in weights.items() if w]
    if not scores:
        return []
    linked = CrossLink.objects.filter(source=article, target__isnull=False).values("target")
    shares_a_tag = Q()
    for kind, kind_weights in weights.items():
        if kind_weights:
            tagged = TAG_THROUGH[kind].objects.filter(tag_id__in=list(kind_weights))
            shares_a_tag |= Q(pk__in=tagged.values("content_object"))
    score = sum(scores[1:], start=scores[0])
    candidates = list(
        Article.objects.live()
        .filter(shares_a_tag)
        .exclude(pk=article.pk)
        .exclude(pk__in=linked)
        .annotate(score=score)
        .order_by(F("score").desc(), F("published_at").desc(), "-pk")[:limit]
    )
    shared = _shared_tags(candidates, weights)
    return [
        LinkSuggestion(candidate, round(candidate.score, 3), shared.get(candidate.pk, []))
        for candidate in candidates
    ]


def _shared_tags(candidates, weights) -> dict[int, list[str]]:
    """Candidate pk → names of the tags it shares, rarest first (one query)."""
    kinds = [kind for kind, kind_weights in weights.items() if kind_weights]
    if not candidates or not kinds:
        return {}
    pks = [candidate.pk for candidate in candidates]
    rows = _union(
        [
            TAG_THROUGH[kind]
            .objects.filter(content_object__in=pks, tag_id__in=list(weights[kind]))
            .annotate(kind=Value(kind))
            .values_list("kind", "content_object_id", "tag_id")
            for kind in kinds
        ]
    )
    found: dict[int, list[tuple[float, str]]] = {}
    for kind, pk, tag_id in rows:
        name, weight = weights[kind][tag_id]
        found.setdefault(pk, []).append((-weight, name))
    return {pk: [name for _, name in sorted(pairs)] for pk, pairs in found.items()}
