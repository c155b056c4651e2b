"""The story graph around one article: its two-hop neighbourhood, drawn as an SVG.

Editors see every status here (it is an admin surface), so nodes are marked live, draft,
scheduled, archived, taken down or pending; liveness comes from
``Article.objects.with_liveness()``, the one publication gate. The neighbourhood costs two
queries whatever its size, and the drawing caps the nodes it shows (a hub story can have
hundreds of neighbours) and says how many more there are.
"""

import math
from dataclasses import dataclass, field

from django.db.models import Case, Q, Value, When
from django.urls import reverse

from articles.models import Article, CrossLink

MAX_NODES = 40  # the centre included
MAX_FIRST_RING = 24
MAX_EDGES = 5000  # links read at most, the story's own first; far more than can be drawn
NODE_RADIUS = 9
CENTRE_RADIUS = 14
SIZE = 640  # the drawing is SIZE × SIZE, the story in the middle
CENTRE = SIZE / 2
LABEL_MARGIN = 130  # room either side for the labels of the leftmost and rightmost nodes
RINGS = {1: 150, 2: 280}  # ring radii

STATUSES = {
    "live": "Live",
    "draft": "Draft or in review",
    "scheduled": "Scheduled",
    "archived": "Archived",
    "withdrawn": "Taken down",
    "pending": "Pending (story not written yet)",
}
# Fill, outline and dash per status: colour is never the only cue (WCAG 1.4.1), so
# statuses also differ in outline style, and every node has a text title.
STATUS_STYLES = {
    "live": {"fill": "#1a7f37", "stroke": "#0b3d1a", "dash": ""},
    "draft": {"fill": "#ffffff", "stroke": "#57606a", "dash": "3 2"},
    "scheduled": {"fill": "#0969da", "stroke": "#033d8b", "dash": "1 2"},
    "archived": {"fill": "#8c959f", "stroke": "#24292f", "dash": ""},
    "withdrawn": {"fill": "#a40e26", "stroke": "#4c0519", "dash": "4 1 1 1"},
    "pending": {"fill": "#ffffff", "stroke": "#bc4c00", "dash": "6 3"},
}


def change_url(pk: int) -> str:
    """The admin page where a story (and its links) is edited."""
    return reverse("admin:articles_article_change", args=[pk])


def node_status(status: str, is_live: bool) -> str:
    if is_live:
        return "live"
    if status == Article.Status.PUBLISHED:
        return "scheduled"  # published but not yet live: its time is in the future
    if status == Article.Status.ARCHIVED:
        return "archived"
    if status == Article.Status.WITHDRAWN:
        return "withdrawn"
    return "draft"


@dataclass
class Node:
    key: str  # "a<pk>" for stories, "p<target_key>" for pending links
    headline: str
    status: str
    pk: int | None = None
    published_at: object = None
    hop: int = 0
    x: float = 0.0
    y: float = 0.0

    @property
    def url(self) -> str:
        return change_url(self.pk) if self.pk else ""

    @property
    def radius(self) -> int:
        return CENTRE_RADIUS if self.hop == 0 else NODE_RADIUS

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]

    @property
    def label(self) -> dict:
        """Where the label goes: outside the ring, away from the centre, so labels of
        neighbouring nodes spread apart; beside nodes straight above or below the centre,
        where the edges come in; under the centre node itself."""
        dx, dy = self.x - CENTRE, self.y - CENTRE
        if self.hop == 0:
            return {"x": self.x, "y": round(self.y + self.radius + 14, 1), "anchor": "middle"}
        if abs(dx) < 20:
            return {
                "x": round(self.x + self.radius + 5, 1),
                "y": round(self.y + 4, 1),
                "anchor": "start",
            }
        length = math.hypot(dx, dy)
        offset = self.radius + 5
        return {
            "x": round(self.x + dx / length * offset, 1),
            "y": round(self.y + dy / length * offset + 4, 1),
            "anchor": "start" if dx > 0 else "end",
        }

    @property
    def style(self) -> dict[str, str]:
        return STATUS_STYLES[self.status]

    @property
    def short_headline(self) -> str:
        return self.headline if len(self.headline) <= 28 else self.headline[:27] + "…"


@dataclass
class Edge:
    source: Node
    target: Node
    mutual: bool = False  # drawn once, with an arrowhead at each end

    @property
    def line(self) -> dict[str, float]:
        """End points pulled back from the node centres so the arrowheads stay visible."""
        dx, dy = self.target.x - self.source.x, self.target.y - self.source.y
        length = math.hypot(dx, dy) or 1.0
        start, end = self.source.radius + 3, self.target.radius + 3
        return {
            "x1": round(self.source.x + dx * start / length, 1),
            "y1": round(self.source.y + dy * start / length, 1),
            "x2": round(self.target.x - dx * end / length, 1),
            "y2": round(self.target.y - dy * end / length, 1),
        }


@dataclass
class Neighbourhood:
    centre: Node
    nodes: list[Node] = field(default_factory=list)  # drawn, centre first
    edges: list[Edge] = field(default_factory=list)  # between drawn nodes
    hidden: dict[int, int] = field(default_factory=dict)  # hop → nodes left out

    @property
    def reach(self) -> int:
        """How far the drawing reaches from the centre: a story with one ring of
        neighbours needs no room for a second."""
        rings = {node.hop for node in self.nodes}
        return (RINGS[2] if 2 in rings else RINGS[1] if 1 in rings else 0) + 40

    @property
    def frame(self) -> dict[str, float]:
        """The drawn area (viewBox and background): the rings plus room for labels."""
        return {
            "x": CENTRE - self.reach - LABEL_MARGIN,
            "y": CENTRE - self.reach,
            "width": 2 * (self.reach + LABEL_MARGIN),
            "height": 2 * self.reach,
        }

    @property
    def view_box(self) -> str:
        frame = self.frame
        return f"{frame['x']:g} {frame['y']:g} {frame['width']:g} {frame['height']:g}"

    @property
    def hidden_count(self) -> int:
        return sum(self.hidden.values())

    @property
    def legend(self) -> list[dict[str, str]]:
        return [
            {"status": status, "label": label, **STATUS_STYLES[status]}
            for status, label in STATUSES.items()
        ]

    def ring(self, hop: int) -> list[Node]:
        return [node for node in self.nodes if node.hop == hop and node is not self.centre]

    @property
    def first_ring(self) -> list[Node]:
        return self.ring(1)

    @property
    def second_ring(self) -> list[Node]:
        return self.ring(2)

    @property
    def rings_for_list(self):
        return [("Linked directly", self.first_ring), ("Two links away", self.second_ring)]


def _link_rows(article: Article) -> list[tuple]:
    """Every link within two hops of ``article``, those touching it first (one query)."""
    touching = Q(source=article) | Q(target=article)
    near = CrossLink.objects.filter(touching)
    within_two = touching
    for end in ("source", "target"):
        for neighbour in ("source", "target"):
            within_two |= Q(**{f"{end}__in": near.values(neighbour)})
    rows = (
        CrossLink.objects.filter(within_two)
        .annotate(hop=Case(When(touching, then=Value(1)), default=Value(2)))
        .order_by("hop", "pk")
        .values_list("hop", "source_id", "target_id", "target_key", "target_headline")
    )
    return list(rows[:MAX_EDGES])


def neighbourhood(article: Article) -> Neighbourhood:
    """The stories within two links of ``article``, in either direction (two queries)."""
    rows = _link_rows(article)
    first = [row[1:] for row in rows if row[0] == 1]
    second = [row[1:] for row in rows if row[0] == 2]
    first_ids = {s for s, *_ in first} | {t for _, t, *_ in first if t}
    first_ids.discard(article.pk)
    hops = {article.pk: 0} | dict.fromkeys(first_ids, 1)
    for source, target, *_ in second:
        for pk in (source, target):
            if pk is not None:
                hops.setdefault(pk, 2)
    stories = {
        row["pk"]: row
        for row in Article.objects.with_liveness()
        .filter(pk__in=list(hops))
        .values("pk", "headline", "status", "published_at", "live")
    }
    nodes: dict[str, Node] = {}
    for pk, hop in hops.items():
        row = stories[pk]
        nodes[f"a{pk}"] = Node(
            f"a{pk}",
            row["headline"],
            node_status(row["status"], row["live"]),
            pk=pk,
            published_at=row["published_at"],
            hop=hop,
        )
    pairs: set[tuple[str, str]] = set()
    for source, target, target_key, target_headline in first + second:
        source_key = f"a{source}"
        if target is None:
            # A pending link is drawn as its own node: the story it waits for.
            target_id = f"p{target_key}"
            nodes.setdefault(
                target_id,
                Node(target_id, target_headline, "pending", hop=nodes[source_key].hop + 1),
            )
        else:
            target_id = f"a{target}"
        pairs.add((source_key, target_id))
    return _layout(nodes, pairs, nodes[f"a{article.pk}"])


def _ring_order(node: Node):
    """Live stories first, then newest, so the cap keeps what matters most to a reader."""
    stamp = node.published_at.timestamp() if node.published_at else 0
    return (node.status != "live", node.status == "pending", -stamp, node.key)


def _layout(nodes: dict[str, Node], pairs, centre: Node) -> Neighbourhood:
    graph = Neighbourhood(centre=centre)
    adjacent: dict[str, set[str]] = {}
    for a, b in pairs:
        adjacent.setdefault(a, set()).add(b)
        adjacent.setdefault(b, set()).add(a)
    first = sorted((n for n in nodes.values() if n.hop == 1), key=_ring_order)
    second = [n for n in nodes.values() if n.hop == 2]
    # The first ring gets at least MAX_FIRST_RING places, and any the second leaves over.
    room = MAX_NODES - 1
    shown_first = first[: min(len(first), max(MAX_FIRST_RING, room - len(second)))]
    angles = {
        node.key: 2 * math.pi * index / len(shown_first) - math.pi / 2
        for index, node in enumerate(shown_first)
    }
    # A second-hop story is drawn only beside a drawn first-hop story it is linked with,
    # near that story's angle, so that its edge stays short and readable.
    reachable = [n for n in second if adjacent.get(n.key, set()) & angles.keys()]
    shown_second = sorted(reachable, key=_ring_order)[: room - len(shown_first)]
    parent_angle = {
        n.key: min(angles[k] for k in adjacent[n.key] if k in angles) for n in shown_second
    }
    shown_second.sort(key=lambda n: (parent_angle[n.key], _ring_order(n)))
    graph.hidden = {1: len(first) - len(shown_first), 2: len(second) - len(shown_second)}
    gap = 2 * math.pi / max(len(shown_second), 36)
    second_angles, previous = {}, -math.inf
    for parent in dict.fromkeys(parent_angle[n.key] for n in shown_second):
        children = [n for n in shown_second if parent_angle[n.key] == parent]
        for index, node in enumerate(children):
            wanted = parent + (index - (len(children) - 1) / 2) * gap
            previous = second_angles[node.key] = max(wanted, previous + gap)
    centre.x = centre.y = CENTRE
    graph.nodes = [centre]
    for hop, ring, ring_angles in ((1, shown_first, angles), (2, shown_second, second_angles)):
        for node in ring:
            node.x = round(CENTRE + RINGS[hop] * math.cos(ring_angles[node.key]), 1)
            node.y = round(CENTRE + RINGS[hop] * math.sin(ring_angles[node.key]), 1)
            graph.nodes.append(node)
    drawn = {node.key: node for node in graph.nodes}
    for source, target in sorted(pairs):
        if source in drawn and target in drawn:
            if (target, source) in pairs:
                if source > target:
                    continue  # the mutual pair is drawn once, from its smaller key
                graph.edges.append(Edge(drawn[source], drawn[target], mutual=True))
            else:
                graph.edges.append(Edge(drawn[source], drawn[target]))
    return graph
