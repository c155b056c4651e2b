"""The hostile-input layer's shared parts: what an attacker sends, a small newsroom for it to
hit, and the checks every response must pass.

Used by tests/test_hostile_*.py. Strategies draw raw URL text (percent-escapes as sent on the
wire) from pieces known to break things, mixed with values that exist in the seeded database,
so that most requests reach the ORM rather than stopping at the router.
"""

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote, unquote_plus

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone
from hypothesis import settings
from hypothesis import strategies as st

from articles.editorial import live as live_coverage
from articles.models import Article, SlugRedirect
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CrossLinkFactory,
    SectionFactory,
    archived,
    draft,
    in_review,
    scheduled,
)


def examples(ci_count: int) -> int:
    """How many examples a property tries: ``ci_count`` under the "ci" profile, which sets
    ``max_examples=10`` (tests/conftest.py), and proportionally more under "dev"."""
    return max(1, ci_count * settings.default.max_examples // 10)


def staff_user(username: str, group: str | None = None, *, superuser: bool = False):
    """A staff user with no password: ``force_login`` needs none, and hashing one costs
    more than a hundred of these requests."""
    user = User.objects.create(username=username, is_staff=True, is_superuser=superuser)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@contextmanager
def rolled_back():
    """One example's database work, undone afterwards. A savepoint, so a query PostgreSQL
    refused (which aborts the transaction) does not poison the examples after it."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# URL text ---------------------------------------------------------------------------------

# Raw URL text, as sent: traversal, NUL and other control bytes, broken and overlong UTF-8,
# UTF-16 surrogates encoded as UTF-8, bidirectional and zero-width marks, combining marks,
# emoji (one with joiners), case-folding traps, and characters that mean something to the
# router, the query parser, templates and shells.
NASTY_PIECES = (
    "..",
    ".",
    "%2e%2e",
    "%2E",
    "%00",
    "a%00b",
    "%2F",
    "%5C",
    "\\",
    "%25",
    "%",
    "%zz",
    "%f",
    "%ff",
    "%fe%ff",
    "%c0%ae",
    "%c0%af",
    "%ed%a0%80",
    "%ed%bf%bf",
    "%f4%90%80%80",
    "%e2%80%ae",
    "%e2%80%8f",
    "%e2%80%8b",
    "%ef%bb%bf",
    "%ef%bf%bf",
    "%0a",
    "%0d%0a",
    "%09",
    "%01",
    "%1f",
    "%7f",
    "%c2%85",
    "%c2%a0",
    "%20",
    "+",
    "\u202e",
    "\u200f",
    "\u0301",
    "e\u0301",
    "\U0001f642",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",
    "%f0%9f%99%82",
    "\u0130",
    "\u00df",
    "\ufb01",
    "\u216b",
    "\u0660\u0661",
    ";",
    "%3b",
    "%3f",
    "%23",
    "%26",
    "%3d",
    "'",
    "%22",
    "%3Cscript%3E",
    "{{",
    "{%",
    "$(",
    "*",
    "~",
    "@",
    ":",
    ",",
    "-",
    "--",
    "0",
    "-1",
    "1e9",
    "NaN",
)
NASTY = st.sampled_from(NASTY_PIECES)
ENCODED_TEXT = st.text(min_size=1, max_size=12).map(lambda value: quote(value, safe=""))


def url_text(known: list[str] | tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """One non-empty piece of raw URL text: a known value as it is, a known value with
    something nasty around or inside it, nasty pieces strung together, or a very long run."""
    known = list(known)
    piece = st.one_of(NASTY, ENCODED_TEXT, *([st.sampled_from(known)] if known else []))
    junk = st.lists(piece, min_size=1, max_size=5).map("".join)
    long = st.builds(lambda part, times: part * times, piece, st.integers(50, 1500))
    branches = [junk, long]
    if known:
        value = st.sampled_from(known)
        mutated = st.builds(mutate, value, piece, st.sampled_from(MUTATIONS))
        branches = [value, mutated, *branches]
    return st.one_of(*branches)


MUTATIONS = ("append", "prepend", "insert", "upper", "double")


def mutate(value: str, piece: str, how: str) -> str:
    middle = len(value) // 2
    return {
        "append": value + piece,
        "prepend": piece + value,
        "insert": value[:middle] + piece + value[middle:],
        "upper": value.upper() or piece,
        "double": f"{value}/{value}",
    }[how]


BIG_NUMBERS = (
    "0",
    "00",
    "007",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "1" * 40,
    "9" * 400,
)


def number_text(known: list[str]) -> st.SearchStrategy[str]:
    """What ``<int:…>`` accepts (digits, however many) and some that it does not."""
    return st.one_of(
        st.sampled_from(known or ["1"]),
        st.sampled_from(BIG_NUMBERS),
        st.integers(min_value=0, max_value=10**30).map(str),
        url_text(known),
    )


def query_string(known: dict[str, list[str]], unknown_keys=()) -> st.SearchStrategy[str]:
    """A raw query string: parameters the views read with known and hostile values, and
    parameters nobody reads; repeated, empty and without ``=``."""
    keys = list(known) + ["utm_source", "fbclid", "_", "callback", *unknown_keys]
    key = st.one_of(st.sampled_from(keys), url_text())

    @st.composite
    def pair(draw):
        name = draw(key)
        value = draw(st.one_of(st.just(""), url_text(known.get(name, ()))))
        return name + draw(st.sampled_from(["=", "=", ""])) + (value if value else "")

    return st.lists(pair(), max_size=4).map("&".join)


# Pieces every pattern is tried with, before Hypothesis draws its own: the ones behind real
# failures (issue 13) and their relatives.
NOTORIOUS_PIECES = (
    "%00",
    "..",
    "%2e%2e",
    "%ff",
    "%ed%a0%80",
    "\u202e\u0301",
    "\U0001f642",
    "x" * 2000,
    "9" * 30,
)


def notorious_requests(route, query_keys) -> list[tuple[str, str]]:
    """(path, query) pairs with a notorious piece in every parameter, then in every query
    parameter too."""
    pairs = []
    for piece in NOTORIOUS_PIECES:
        path = route.filled(piece)
        pairs.append((path, ""))
        pairs.append((path, "&".join(f"{key}={piece}" for key in query_keys)))
    return pairs


HTTP_DATES = (
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "Sat, 01 Jan 0001 00:00:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Sun, 06 Nov 1994 08:49:37 GMT",
    "Sunday, 06-Nov-94 08:49:37 GMT",
    "Sun Nov  6 08:49:37 1994",
    "yesterday",
    "",
)


def request_headers() -> st.SearchStrategy[dict]:
    """Headers the middleware and the feeds read: conditional GETs, forwarded addresses."""
    value = st.one_of(st.sampled_from(HTTP_DATES), st.text(max_size=30))
    return st.fixed_dictionaries(
        {},
        optional={
            "If-Modified-Since": value,
            "If-None-Match": st.one_of(st.just("*"), st.just('"x", W/"y"'), st.text(max_size=30)),
            "X-Forwarded-For": st.one_of(
                st.sampled_from(["1.2.3.4", "1.2.3.4, 5.6.7.8", "::1", "unknown", "", "x" * 300]),
                st.text(max_size=30),
            ),
            "Accept-Language": st.text(max_size=30),
        },
    ).map(lambda headers: {k: v.replace("\r", "").replace("\n", "") for k, v in headers.items()})


# URL patterns -----------------------------------------------------------------------------

_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern of the site with the patterns it is included under."""

    parts: tuple
    name: str

    def __str__(self):
        return "".join(str(part) for part in self.parts) or "/"

    @property
    def has_parameters(self) -> bool:
        return any(
            isinstance(part, RegexPattern) or _PARAMETER.search(part._route) for part in self.parts
        )

    @property
    def is_admin(self) -> bool:
        return str(self).startswith("admin/")

    def url(self, known: dict[str, list[str]]) -> st.SearchStrategy[str]:
        """Raw paths this pattern could be asked for, its parameters drawn from ``known``."""
        return st.tuples(*(self._part(part, known) for part in self.parts)).map(
            lambda parts: "/" + "".join(parts)
        )

    def filled(self, value: str) -> str:
        """The path with every parameter (and every regex part) replaced by ``value``."""
        parts = []
        for part in self.parts:
            if isinstance(part, RoutePattern):
                parts.append(_PARAMETER.sub(lambda _: value, part._route))
            else:
                parts.append(value + "/")
        return "/" + "".join(parts)

    @staticmethod
    def _part(part, known):
        if isinstance(part, RoutePattern):
            route = part._route
            pieces, last = [], 0
            for match in _PARAMETER.finditer(route):
                pieces.append(st.just(route[last : match.start()]))
                name = match["name"]
                if isinstance(part.converters[name], IntConverter):
                    pieces.append(number_text(known.get(name, known.get("pk", []))))
                else:
                    pieces.append(url_text(known.get(name, known.get("any", []))))
                last = match.end()
            pieces.append(st.just(route[last:]))
            return st.tuples(*pieces).map("".join)
        if isinstance(part, RegexPattern):
            # Text the pattern matches, and raw junk in its place.
            matching = st.from_regex(part._regex, fullmatch=True).map(
                lambda value: quote(value, safe="/")
            )
            return st.one_of(matching, url_text(known.get("any", [])).map(lambda v: v + "/"))
        raise TypeError(f"no strategy for URL pattern {part!r}")


def site_routes(patterns=None, parts=()) -> list[Route]:
    """Every URL pattern of the site, found from the URLconf: new ones are covered at once."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        here = (*parts, pattern.pattern)
        if isinstance(pattern, URLResolver):
            found.extend(site_routes(pattern.url_patterns, here))
        elif isinstance(pattern, URLPattern):
            namespace = ":".join(str(p) for p in here)
            found.append(Route(here, pattern.name or namespace))
    return found


# Responses --------------------------------------------------------------------------------

TRACEBACK_MARKERS = (b"Traceback (most recent call last)", b'id="traceback"', b"Exception Value")


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def check_response(response, url: str, hidden_headlines=()) -> bytes:
    """No server error, no traceback, and no non-live story's headline (unless the request
    itself carried it, as a search term does)."""
    assert response.status_code < 500, f"{response.status_code} for {url!r}"
    body = body_of(response)
    for marker in TRACEBACK_MARKERS:
        assert marker not in body, f"traceback in the response to {url!r}"
    asked = unquote_plus(url, errors="replace").casefold()
    for headline in hidden_headlines:
        if headline.casefold() in asked:
            continue
        assert headline.encode() not in body, f"non-live story {headline!r} shown at {url!r}"
    return body


# A small newsroom ------------------------------------------------------------------------

HIDDEN_MAKERS = {"draft": draft, "review": in_review, "scheduled": scheduled, "archived": archived}


@dataclass
class Newsroom:
    """The seeded database: what exists, what must stay hidden, and values that hit it."""

    live: list[Article]
    hidden: list[Article]
    known: dict[str, list[str]] = field(default_factory=dict)

    @property
    def hidden_headlines(self) -> list[str]:
        return [article.headline for article in self.hidden]


def seed_newsroom() -> Newsroom:
    """Three live stories and one hidden story of every kind, sharing tags, a section and an
    author, linked inline and as Related; an old slug; a pending link; a hub (a person and a
    topic) that only hidden stories have."""
    author = AuthorFactory(name="Shared Author")
    world, business = SectionFactory(name="World"), SectionFactory(name="Business")
    shared = {"people": ["Joe Biden"], "countries": ["IL"], "topics": ["Gaza ceasefire"]}
    live = [
        ArticleFactory(
            headline="Ceasefire faces new hurdle",
            section=world,
            authors=[author],
            countries=["IL", "US"],
            people=["Joe Biden", "Benjamin Netanyahu"],
            topics=["Gaza ceasefire"],
        ),
        ArticleFactory(headline="Markets rally on trade news", section=business, **shared),
        ArticleFactory(
            headline="Talks resume in Doha",
            section=world,
            published_at=timezone.now() - timedelta(days=400),
            **shared,
        ),
    ]
    hidden = [
        make(
            headline=f"Hidden {kind} story about aardvark{number}",
            body=f"<p>Aardvark{number} is secret.</p>",
            section=world if number % 2 else business,
            authors=[author],
            people=["Joe Biden", "Secret Source"],
            countries=["IL", "FR"],
            topics=["Gaza ceasefire", "Hidden topic"],
        )
        for number, (kind, make) in enumerate(HIDDEN_MAKERS.items())
    ]
    for order, story in enumerate(hidden):
        CrossLinkFactory(source=live[0], target=story, placement=1, order=order)
        CrossLinkFactory(source=live[1], target=story, placement=None, order=order)
    CrossLinkFactory(source=live[0], target=live[1], placement=2, order=0)
    CrossLinkFactory(source=live[1], target=None, target_headline="A story not written yet")
    SlugRedirect.objects.create(old_slug="ceasefire-old-address", article=live[0])
    SlugRedirect.objects.create(old_slug="hidden-old-address", article=hidden[0])
    # Live coverage, so that its pages of entries and its new-entries endpoint are fuzzed.
    live_coverage.start_coverage(article=live[0], actor="test")
    for number in range(3):
        live_coverage.post_entry(article=live[0], body=f"Update {number}.", is_key=number == 1)
    return Newsroom(live, hidden, known_values(live + hidden))


def known_values(articles) -> dict[str, list[str]]:
    """Values that exist, by URL parameter and query parameter name."""
    from articles.models import Author, Country, Person, Section, Topic
    from articles.reader.feeds import FORMATS
    from articles.reader.hubs import HUB_KINDS
    from articles.reader.paging import ListingKey
    from articles.reader.sitemaps import SITEMAPS

    slugs = [article.slug for article in articles]
    slugs += list(SlugRedirect.objects.values_list("old_slug", flat=True))
    for model in (Section, Author, Person, Country, Topic):
        slugs += list(model.objects.values_list("slug", flat=True))
    pks = sorted({str(article.pk) for article in articles})
    listed = Article.objects.live().for_listing().with_listing_time()
    keys = [str(ListingKey.of(article)) for article in listed]
    words = ["aardvark0", "aardvark1", "Hidden", "ceasefire", "Biden", "secret", "trade"]
    known = {
        "slug": slugs,
        "pk": pks,
        "object_id": pks,
        "kind": list(HUB_KINDS),
        "format": list(FORMATS),
        "section": list(SITEMAPS),
        "before": keys,
        "after": keys,
        "q": words,
        "p": ["1", "2", "0", "-1", "99999999999999999999"],
        "page": ["1", "2", "0"],
    }
    known["any"] = sorted({value for values in known.values() for value in values})
    return known
