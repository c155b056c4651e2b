"""Link suggestions: live stories that share people, countries or topics with a story.

A shared tag weighs more the rarer it is among live stories (smoothed inverse document
frequency, ``ln(1 + N / df)``), so two stories about the same envoy outrank two stories that
both mention the United States. Ties go to the newer story. The story itself and the
stories it already links to are left out. The query count is fixed whatever the
number of tags or stories (at most eight).
"""

import math
from dataclasses import dataclass, field

from django.db.models import Count, F, FloatField, Q, Sum, Value
from django.db.models.expressions import Case, OuterRef, Subquery, When
from django.db.models.functions import Coalesce

from .models import Article, CrossLink, TaggedCountry, TaggedPerson, TaggedTopic

TAG_THROUGH = {"people": TaggedPerson, "countries": TaggedCountry, "topics": TaggedTopic}
DEFAULT_LIMIT = 10


@dataclass
class LinkSuggestion:
    article: Article
    score: float
    shared: list[str] = field(default_factory=list)  # names of the shared tags, rarest first


def _live_tagged(through):
    return through.objects.filter(Article.objects.live_condition("content_object__"))


def tag_weights(article: Article) -> dict[str, dict[int, tuple[str, float]]]:
    """For each tag kind, the story's tags that live stories carry: id → (name, weight)."""
    live_count = Article.objects.live().count()
    weights = {}
    for kind, through in TAG_THROUGH.items():
        own = through.objects.filter(content_object=article).values("tag_id")
        rows = (
            _live_tagged(through)
            .filter(tag_id__in=own)
            .values("tag_id", "tag__name")
            .annotate(stories=Count("pk"))
        )
        weights[kind] = {
            row["tag_id"]: (row["tag__name"], math.log(1 + live_count / row["stories"]))
            for row in rows
        }
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
    """Candidate pk → names of the tags it shares, rarest first (one query per kind)."""
    found: dict[int, list[tuple[float, str]]] = {}
    for kind, kind_weights in weights.items():
        if not kind_weights or not candidates:
            continue
        rows = (
            TAG_THROUGH[kind]
            .objects.filter(
                content_object__in=[c.pk for c in candidates], tag_id__in=list(kind_weights)
            )
            .values_list("content_object_id", "tag_id")
        )
        for pk, tag_id in rows:
            name, weight = kind_weights[tag_id]
            found.setdefault(pk, []).append((-weight, name))
    return {pk: [name for _, name in sorted(pairs)] for pk, pairs in found.items()}
