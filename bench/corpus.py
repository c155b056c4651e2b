"""A synthetic newsroom for scale tests and benchmarks (``manage.py generate_corpus``).

Everything comes from the word lists below and one seeded random generator, so a seed and a
size always give the same stories, tags and links (and, with the same ``now``, the same dates);
nothing is downloaded. The shape follows a real newsroom: a few sections, a couple of hundred
bylines, thousands of people and every ISO 3166 country tagged with a long-tailed (Zipf-like)
distribution, so a few hubs are huge and most are small; 0–6 Also Read links per story, most to
recent stories, some still pending and some to archived stories; mostly published stories,
with drafts, stories in review, scheduled and archived ones spread over several years.

Stories are generated oldest first and written in batches with ``bulk_create`` (model
``save()`` is bypassed, so every derived field the models compute — headline keys, slugs,
link target keys — is computed here with the same ``text`` helpers). Memory stays bounded:
only the current batch, a window of recent stories that links may point at, and one small
integer per headline (to keep headlines unique) are held.
"""

import math
import random
from bisect import bisect
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate

import pycountry
from django.db import connection, reset_queries, transaction
from django.utils import timezone

from articles import caching, text
from articles.models import (
    Article,
    Author,
    Byline,
    Country,
    CrossLink,
    Person,
    Section,
    TaggedCountry,
    TaggedPerson,
    TaggedTopic,
    Topic,
)

SECTIONS = [
    ("World", 30),
    ("India", 18),
    ("Politics", 14),
    ("Business", 12),
    ("Sport", 9),
    ("Science", 4),
    ("Technology", 5),
    ("Health", 3),
    ("Climate", 2),
    ("Culture", 2),
    ("Opinion", 1),
]


def words(block: str) -> list[str]:
    return block.split()


AGENCIES = ["PTI", "AP", "Reuters", "AFP", "ANI", "IANS", "Bloomberg", "DPA"]

GIVEN_NAMES = words(
    """Aarav Abena Adele Ahmed Aiko Alejandro Alexei Amara Amina Ananya Anders Andrzej
Anika Antoine Arjun Astrid Ayesha Beatriz Benedikt Bongani Camille Carlos Chen Chiara Chioma
Dag Daniela Darius Deepa Diego Dmitri Elena Emeka Emre Esther Fatima Felix Femi Fernando
Francesca Gabriel Giorgos Hamid Hana Hannah Hiroshi Ibrahim Ines Ingrid Isabel Ivan Jakub Jamal
Javier Jin Joao Jonas Jorge Kamala Karim Katarzyna Kenji Kofi Lars Leila Lena Liam Lucia Luis
Mahmoud Maja Malik Mariam Marta Mateo Mehmet Mei Miguel Mira Mohammed Nadia Naledi Nikhil Nina
Noah Nour Olga Omar Oscar Pablo Pedro Priya Rahul Rania Ravi Rosa Rui Sakura Salma Samuel Sanjay
Sara Sebastian Seo-yeon Sergei Shreya Sipho Sofia Soren Sunita Tariq Thabo Tomas Valentina Vikram
Wei Yara Yasmin Yusuf Zainab Zara Zoltan"""
)
SURNAMES = words(
    """Abadi Adeyemi Agarwal Ahmadi Alvarez Andersen Arslan Bakr Banerjee Barros Becker
Bianchi Bose Brennan Castillo Chatterjee Chen Costa Dahl Das Demir Diallo Dubois Duarte Eze
Farouk Fernandes Fischer Fonseca Garcia Ghosh Gonzalez Gupta Haddad Hansen Hassan Herrera
Hoffmann Horvat Hosseini Ivanova Iyer Jansen Johansson Kapoor Kaya Khalil Khan Kim Kowalski
Kumar Kuznetsov Lambert Larsen Lee Lindqvist Lopez Mahlangu Mansour Martins Mehta Mendes
Mensah Meyer Moreau Mukherjee Murphy Nair Nakamura Nasser Nguyen Novak Nowak Obi Okafor Okonkwo
Olsen Ortiz Osei Park Patel Pereira Petrov Pillai Popescu Qureshi Rahman Ramos Rao Reddy Rezaei
Rossi Rahimi Saito Salazar Santos Sato Schmidt Sen Shah Sharma Silva Singh Sokolov Suzuki
Takahashi Tan Torres Tran Usman Varga Vasquez Verma Vogel Wagner Wang Weber Yadav Yilmaz Zhang
Zhou Zulu"""
)

TOPICS = """Gaza ceasefire; Ukraine war; Climate talks; General election; Monsoon; Inflation;
Interest rates; Trade tariffs; Artificial intelligence; Space exploration; Cricket; Football;
Olympics; Public health; Vaccines; Housing; Migration; Energy prices; Oil markets; Elections;
Supreme Court; Parliament; Budget; Cybersecurity; Floods; Wildfires; Earthquakes; Heatwave;
Air pollution; Education; Farm protests; Railways; Aviation; Stock markets; Start-ups;
Semiconductors; Electric vehicles; Renewable energy; Water crisis; Human rights;
Press freedom; Corruption; Terrorism; Nuclear talks; Refugees; Tourism; Film festivals;
Music; Tennis; Chess; Data privacy; Social media; Defence deals; Border dispute;
Peace talks; Sanctions; Central banks; Jobs report; Pensions; Healthcare reform;
Drug prices; Pandemic preparedness; Biodiversity; Ocean plastics; Deforestation;
Mining; Shipping; Food prices; Drought; Cyclone; Local elections; Coalition talks;
Protests; Strikes; Wages; Taxes; Banking; Cryptocurrency; Telecoms; 5G rollout;
Satellite launch; Moon mission; Gene editing; Cancer research; Mental health; Obesity;
Antibiotic resistance; Smart cities; Metro rail; Highways; Ports; Digital payments""".replace(
    "\n", " "
).split("; ")
TOPICS = [t.strip() for t in TOPICS]

# Big news countries first; the rest of pycountry's list follows in a seeded order.
PROMINENT_COUNTRIES = [
    "US",
    "IN",
    "CN",
    "GB",
    "RU",
    "UA",
    "IL",
    "PK",
    "FR",
    "DE",
    "JP",
    "IR",
    "SA",
    "BD",
    "BR",
    "AU",
    "CA",
    "TR",
    "EG",
    "KR",
    "AF",
    "LK",
    "NP",
    "ZA",
    "NG",
]

ROLES = [
    "the prime minister",
    "the finance minister",
    "the foreign minister",
    "the opposition leader",
    "a senior official",
    "the party spokesperson",
    "the chief executive",
    "the central bank governor",
    "the health minister",
    "the team captain",
    "a senior diplomat",
    "the chief minister",
]
SUBJECTS = [
    "Officials",
    "The government",
    "Analysts",
    "Residents",
    "Police",
    "The ministry",
    "Opposition parties",
    "Economists",
    "Aid agencies",
    "Investors",
    "Local leaders",
    "The court",
    "Researchers",
    "Union leaders",
    "Diplomats",
    "Campaigners",
]
VERBS = [
    ("review", "reviewed"),
    ("expand", "expanded"),
    ("scrap", "scrapped"),
    ("defend", "defended"),
    ("approve", "approved"),
    ("reject", "rejected"),
    ("delay", "delayed"),
    ("announce", "announced"),
    ("back", "backed"),
    ("oppose", "opposed"),
    ("launch", "launched"),
    ("cut", "cut"),
    ("raise", "raised"),
    ("extend", "extended"),
    ("revive", "revived"),
    ("probe", "probed"),
]
OBJECTS = [
    "a new trade deal",
    "fuel subsidies",
    "the emergency package",
    "border controls",
    "the draft bill",
    "talks with rebels",
    "the rescue plan",
    "a tax on imports",
    "rail fares",
    "the peace proposal",
    "new visa rules",
    "the defence pact",
    "power tariffs",
    "a water-sharing treaty",
    "the relief fund",
    "crop prices",
    "the privatisation plan",
    "a ban on exports",
    "the inquiry",
    "pension reforms",
    "the climate target",
    "the ceasefire terms",
    "a loan from lenders",
    "the election timetable",
]
TIMES = [
    "on Monday",
    "on Tuesday",
    "on Wednesday",
    "on Thursday",
    "on Friday",
    "over the weekend",
    "late on Sunday",
    "earlier this week",
    "last month",
    "this year",
    "before the deadline",
    "after weeks of talks",
]
CLAUSES = [
    "amid growing pressure from allies",
    "despite strong objections",
    "in a move welcomed by markets",
    "as talks entered a second week",
    "following a heated debate",
    "after a sharp rise in prices",
    "in response to public anger",
    "ahead of the summit",
    "as the deadline approached",
    "to the surprise of observers",
    "citing security concerns",
    "after a court ruling",
]
NOUNS = [
    "measure",
    "decision",
    "plan",
    "agreement",
    "proposal",
    "policy",
    "ruling",
    "announcement",
    "deal",
    "report",
]
QUOTES = [
    "This is a decisive moment for the country",
    "We will not accept any conditions that harm our people",
    "The numbers speak for themselves",
    "There is still a long way to go",
    "We are ready to talk, but not at any price",
    "Our priority is the safety of citizens",
    "The world is watching what we do next",
    "Nobody should be left behind",
    "This was never about politics",
    "We expect results within weeks, not months",
]
DISASTERS = ["floods", "a cyclone", "an earthquake", "landslides", "a heatwave", "a fire"]


@dataclass(frozen=True)
class StatusShare:
    status: str
    scheduled: bool
    weight: float


STATUS_SHARES = [
    StatusShare(Article.Status.PUBLISHED, False, 88.0),
    StatusShare(Article.Status.ARCHIVED, False, 5.0),
    StatusShare(Article.Status.DRAFT, False, 3.5),
    StatusShare(Article.Status.REVIEW, False, 2.0),
    StatusShare(Article.Status.PUBLISHED, True, 1.5),  # scheduled: live in the future
]

# How many of each thing a story carries, with their weights (index = count).
PEOPLE_PER_STORY = [5, 25, 30, 20, 10, 6, 4]
COUNTRIES_PER_STORY = [10, 40, 30, 15, 5]
TOPICS_PER_STORY = [30, 45, 20, 5]
AUTHORS_PER_STORY = [15, 65, 17, 3]
LINKS_PER_STORY = [20, 20, 20, 15, 12, 8, 5]
PARAGRAPHS = range(4, 13)
PENDING_LINK_SHARE = 0.1
ARCHIVED_LINK_SHARE = 0.08
INLINE_LINK_SHARE = 0.7
# Also Read links point at one of this many most recent stories (archived: their own window).
LINK_WINDOW = 5000
ARCHIVED_WINDOW = 1000
SENTENCE_POOL = 4096


def default_people(articles: int) -> int:
    """Thousands of people for a big corpus, fewer for a small one."""
    return min(8000, max(100, articles // 10))


class Zipf:
    """Draws items ranked by popularity: the r-th item with weight 1 / r ** exponent."""

    def __init__(self, items, exponent: float):
        self.items = list(items)
        self.cum_weights = list(
            accumulate(1 / (rank**exponent) for rank in range(1, len(self.items) + 1))
        )

    def sample(self, rng: random.Random, k: int) -> list:
        """``k`` distinct items (fewer if there are fewer items)."""
        k = min(k, len(self.items))
        chosen: dict = {}
        total = self.cum_weights[-1]
        while len(chosen) < k:
            index = bisect(self.cum_weights, rng.random() * total)
            chosen.setdefault(index, self.items[min(index, len(self.items) - 1)])
        return list(chosen.values())


def weighted_count(rng: random.Random, weights: list[float]) -> int:
    return rng.choices(range(len(weights)), weights=weights)[0]


@dataclass
class CorpusReport:
    articles: int = 0
    links: int = 0
    pending_links: int = 0
    people: int = 0
    countries: int = 0
    topics: int = 0
    statuses: dict = field(default_factory=dict)


@dataclass
class _Story:
    """A story in the making: the unsaved Article, its byline/tag ids and its links."""

    article: Article
    author_ids: list[int]
    person_ids: list[int]
    country_ids: list[int]
    topic_ids: list[int]
    links: list[tuple[Article | None, str, int | None, int]]  # target, headline, placement, order


class CorpusGenerator:
    def __init__(
        self,
        articles: int,
        *,
        seed: int = 0,
        now: datetime | None = None,
        years: int = 6,
        people: int | None = None,
    ):
        self.total = articles
        self.rng = random.Random(seed)
        self.now = now or timezone.now().replace(microsecond=0)
        self.start = self.now - timedelta(days=365 * years)
        self.people_count = people if people is not None else default_people(articles)
        self.headline_hashes: set[int] = set()
        self.window: deque[Article] = deque(maxlen=LINK_WINDOW)
        self.archived_window: deque[Article] = deque(maxlen=ARCHIVED_WINDOW)
        self.sentences = [self._sentence() for _ in range(SENTENCE_POOL)]
        self.status_weights = list(accumulate(share.weight for share in STATUS_SHARES))

    # --- Reference data -------------------------------------------------------------------

    def create_reference_data(self) -> CorpusReport:
        rng = self.rng
        section_names = [name for name, _ in SECTIONS]
        self.sections = self._ensure(Section, section_names, lambda name, i: {"position": i})
        self.section_weights = list(accumulate(weight for _, weight in SECTIONS))

        author_names = self._names(rng, 200)
        authors = self._ensure(Author, author_names)
        self.authors = Zipf(zip(authors, author_names, strict=True), 0.6)

        people_names = self._names(rng, self.people_count)
        people = self._ensure(Person, people_names)
        self.people = Zipf(zip(people, people_names, strict=True), 1.07)

        records = sorted(pycountry.countries, key=lambda c: c.alpha_2)
        rng.shuffle(records)
        records.sort(
            key=lambda c: (
                PROMINENT_COUNTRIES.index(c.alpha_2)
                if c.alpha_2 in PROMINENT_COUNTRIES
                else len(PROMINENT_COUNTRIES)
            )
        )
        country_names = [Country.display_name(record) for record in records]
        countries = self._ensure(
            Country, country_names, lambda name, i: {"code": records[i].alpha_2}
        )
        self.country_list = list(zip(countries, country_names, strict=True))
        self.countries = Zipf(self.country_list, 1.2)

        topics = self._ensure(Topic, TOPICS)
        self.topics = Zipf(zip(topics, TOPICS, strict=True), 1.0)
        return CorpusReport(people=len(people), countries=len(countries), topics=len(topics))

    @staticmethod
    def _names(rng: random.Random, count: int) -> list[str]:
        """``count`` distinct full names, in a seeded order (the order is their popularity)."""
        pairs = [(g, s) for g in GIVEN_NAMES for s in SURNAMES]
        rng.shuffle(pairs)
        return [f"{given} {surname}" for given, surname in pairs[:count]]

    @staticmethod
    def _ensure(model, names: list[str], extra=lambda name, i: {}) -> list[int]:
        """The ids of the named rows, creating those that do not exist yet (in order)."""
        existing = {
            name.lower(): pk for pk, name in model.objects.values_list("pk", "name").iterator()
        }
        missing = [
            model(name=name, slug=text.slugify(name, max_length=90), **extra(name, i))
            for i, name in enumerate(names)
            if name.lower() not in existing
        ]
        for row in model.objects.bulk_create(missing, batch_size=1000):
            existing[row.name.lower()] = row.pk
        return [existing[name.lower()] for name in names]

    # --- Text -------------------------------------------------------------------------------

    def _sentence(self) -> str:
        rng = self.rng
        verb, past = rng.choice(VERBS)
        pattern = rng.randrange(5)
        subject, obj, when, clause = (
            rng.choice(SUBJECTS),
            rng.choice(OBJECTS),
            rng.choice(TIMES),
            rng.choice(CLAUSES),
        )
        noun = rng.choice(NOUNS)
        if pattern == 0:
            return f"{subject} {past} {obj} {when}, {clause}."
        if pattern == 1:
            return f"{subject} said the {noun} would {verb} {obj} {when}."
        if pattern == 2:
            return f"The {noun} comes {clause}, and {subject.lower()} expect more to follow."
        if pattern == 3:
            return f"“{rng.choice(QUOTES)},” {rng.choice(ROLES)} told reporters {when}."
        return f"Critics say the {noun} does little to {verb} {obj}, {clause}."

    def _headline(self, person: str | None, country: str | None, topic: str | None) -> str:
        rng = self.rng
        verb, past = rng.choice(VERBS)
        obj = rng.choice(OBJECTS)
        who = person or rng.choice(ROLES).removeprefix("the ").removeprefix("a ").capitalize()
        where = country or rng.choice(["the capital", "the region", "the north", "the coast"])
        about = topic or rng.choice(NOUNS)
        patterns = [
            f"{who} says {where} will {verb} {obj}",
            f"{where} {past} {obj} as {about.lower()} talks stall",
            f"{who} to visit {where} amid row over {about.lower()}",
            f"{about}: {who} {past} {obj}",
            f"{obj.capitalize()} in {where}: what we know so far",
            f"{who} {past} {obj} {rng.choice(CLAUSES)}",
            f"{rng.randint(3, 90)} dead as {rng.choice(DISASTERS)} hits {where}",
            f"{where} and {who} agree to {verb} {obj}",
        ]
        headline = text.collapse_whitespace(rng.choice(patterns))
        return headline[:1].upper() + headline[1:]

    def unique_headline(self, person, country, topic) -> tuple[str, str]:
        """A headline and slug no other story or pending link has.

        Equal headline keys give equal slugs, so unique slugs keep link keys unique too.
        """
        for attempt in range(100):
            headline = self._headline(person, country, topic)
            if attempt >= 10:  # a crowded corner (the busiest person and country): widen it
                headline = f"{headline} (update {attempt - 9})"
            slug = text.slugify(headline)
            if hash(slug) not in self.headline_hashes:
                self.headline_hashes.add(hash(slug))
                return headline, slug
        raise RuntimeError("could not find a unique headline")  # pragma: no cover

    def _body(self, person: str | None, country: str | None, source: str) -> list[str]:
        rng = self.rng
        count = rng.choice(PARAGRAPHS)
        sentences = rng.choices(self.sentences, k=count * 3)
        paragraphs = [" ".join(sentences[i * 3 : i * 3 + rng.randint(2, 3)]) for i in range(count)]
        verb, _ = rng.choice(VERBS)
        lede = (
            f"{person or 'Officials'}, {rng.choice(ROLES)}, said {rng.choice(TIMES)} that "
            f"{country or 'the government'} would {verb} {rng.choice(OBJECTS)}, "
            f"{rng.choice(CLAUSES)}."
        )
        paragraphs[0] = f"{lede} {paragraphs[0]}" + (f" ({source})" if source else "")
        return paragraphs

    # --- Stories ----------------------------------------------------------------------------

    def story(self, index: int) -> _Story:
        rng = self.rng
        people = self.people.sample(rng, weighted_count(rng, PEOPLE_PER_STORY))
        countries = self.countries.sample(rng, weighted_count(rng, COUNTRIES_PER_STORY))
        if index < len(self.country_list):
            # Every country gets a story, however rare, once the corpus is big enough.
            extra = self.country_list[len(self.country_list) - 1 - index]
            countries = [c for c in countries if c != extra] + [extra]
        topics = self.topics.sample(rng, weighted_count(rng, TOPICS_PER_STORY))
        authors = self.authors.sample(rng, weighted_count(rng, AUTHORS_PER_STORY))
        section_id = self.sections[
            bisect(self.section_weights, rng.random() * self.section_weights[-1])
        ]
        source = rng.choice(AGENCIES) if rng.random() < 0.4 else ""

        person = people[0][1] if people else None
        country = countries[0][1] if countries else None
        topic = topics[0][1] if topics else None
        headline, slug = self.unique_headline(person, country, topic)
        paragraphs = self._body(person, country, source)

        share = STATUS_SHARES[bisect(self.status_weights, rng.random() * self.status_weights[-1])]
        span = (self.now - self.start).total_seconds()
        moment = self.start + timedelta(seconds=span * (index + rng.random()) / self.total)
        moment = min(moment, self.now - timedelta(minutes=1))
        published_at = updated_at = None
        if share.scheduled:
            published_at = self.now + timedelta(minutes=rng.randint(60, 14 * 24 * 60))
        elif share.status in (Article.Status.PUBLISHED, Article.Status.ARCHIVED):
            published_at = moment
            if rng.random() < 0.15:
                updated_at = min(published_at + timedelta(minutes=rng.randint(10, 2880)), self.now)

        article = Article(
            headline=headline,
            headline_key=text.headline_key(headline),
            slug=slug,
            standfirst=" ".join(rng.choices(self.sentences, k=1)),
            body=text.text_to_html(paragraphs),
            status=share.status,
            published_at=published_at,
            updated_at=updated_at,
            section_id=section_id,
            source=source,
        )
        links = self._links(len(paragraphs))
        self.remember(article)
        return _Story(
            article=article,
            author_ids=[pk for pk, _ in authors],
            person_ids=[pk for pk, _ in people],
            country_ids=[pk for pk, _ in countries],
            topic_ids=[pk for pk, _ in topics],
            links=links,
        )

    def _links(self, paragraphs: int):
        """0–6 Also Read links: to recent stories, some archived, some not written yet."""
        rng = self.rng
        links = []
        targets: set[int] = set()
        order_at: dict[int | None, int] = {}
        for _ in range(weighted_count(rng, LINKS_PER_STORY)):
            roll = rng.random()
            target = None
            if roll < PENDING_LINK_SHARE or not self.window:
                headline, _ = self.unique_headline(None, None, None)
            else:
                pool = self.window
                if roll < PENDING_LINK_SHARE + ARCHIVED_LINK_SHARE and self.archived_window:
                    pool = self.archived_window
                # Recent stories are linked most: a triangular draw leaning to the newest.
                target = pool[int(len(pool) * math.sqrt(rng.random()))]
                if id(target) in targets:
                    continue  # one link per pair
                targets.add(id(target))
                headline = target.headline
            placement = rng.randint(1, paragraphs - 1) if rng.random() < INLINE_LINK_SHARE else None
            order = order_at.get(placement, 0)
            order_at[placement] = order + 1
            links.append((target, headline, placement, order))
        return links

    def remember(self, article: Article) -> None:
        """Make a story a link target for later ones.

        It gets its id when its batch is written, which happens before the batch's links are.
        """
        self.window.append(article)
        if article.status == Article.Status.ARCHIVED:
            self.archived_window.append(article)


# The rows written beside each story, by the model attributes they fill.
ROW_FIELDS = {
    Byline: ("article_id", "author_id", "position"),
    TaggedPerson: ("content_object_id", "tag_id", "listed_at"),
    TaggedCountry: ("content_object_id", "tag_id", "listed_at"),
    TaggedTopic: ("content_object_id", "tag_id", "listed_at"),
    CrossLink: (
        "source_id",
        "target_id",
        "target_headline",
        "target_key",
        "placement",
        "order",
        "created_at",
    ),
}


def insert_rows(model, rows: list[tuple]) -> None:
    """Insert plain rows: COPY on PostgreSQL (several times faster), bulk_create elsewhere."""
    fields = ROW_FIELDS[model]
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            (model(**dict(zip(fields, row, strict=True))) for row in rows), batch_size=2000
        )
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, for its COPY support
        with raw.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def write_batch(stories: list[_Story], report: CorpusReport, now: datetime) -> None:
    # Stories through the ORM (their ids come back, and any field added later gets its
    # default); the many small rows that hang off them as plain rows.
    Article.objects.bulk_create([story.article for story in stories])
    rows = {model: [] for model in ROW_FIELDS}
    for story in stories:
        article = story.article
        rows[Byline] += [(article.pk, pk, position) for position, pk in enumerate(story.author_ids)]
        listed = article.listed_at  # what Article.relist() keeps on the tag rows
        rows[TaggedPerson] += [(article.pk, pk, listed) for pk in story.person_ids]
        rows[TaggedCountry] += [(article.pk, pk, listed) for pk in story.country_ids]
        rows[TaggedTopic] += [(article.pk, pk, listed) for pk in story.topic_ids]
        for target, headline, placement, order in story.links:
            rows[CrossLink].append(
                (
                    article.pk,
                    target.pk if target else None,
                    headline,
                    target.headline_key if target else text.headline_key(headline),
                    placement,
                    order,
                    article.published_at or article.created_at,
                )
            )
            report.pending_links += target is None
        scheduled = article.published_at and article.published_at > now
        status = "scheduled" if scheduled else str(article.status)
        report.statuses[status] = report.statuses.get(status, 0) + 1
    for model, model_rows in rows.items():
        insert_rows(model, model_rows)
    report.articles += len(stories)
    report.links += len(rows[CrossLink])


def generate_corpus(
    articles: int,
    *,
    seed: int = 0,
    now: datetime | None = None,
    batch_size: int = 2000,
    people: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CorpusReport:
    """Write ``articles`` synthetic stories, their tags, bylines and links, in one transaction."""
    generator = CorpusGenerator(articles, seed=seed, now=now, people=people)
    with transaction.atomic():
        report = generator.create_reference_data()
        for start in range(0, articles, batch_size):
            stories = [generator.story(i) for i in range(start, min(start + batch_size, articles))]
            write_batch(stories, report, generator.now)
            reset_queries()  # with DEBUG on, Django would keep every batch's SQL
            if progress:
                progress(report.articles, articles)
        caching.content_changed()  # bulk inserts send no signals; cached pages must go
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Fresh planner statistics, so the first requests see the corpus as it is; and,
            # outside a transaction (not in tests), the visibility map autovacuum would make
            # in time: without it no index-only scan pays, and the capped counts of a story's
            # tags read a busy tag's whole index (a quarter of a million rows) instead of a
            # thousand entries.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    return report


def delete_corpus() -> None:
    """Delete every story, tag, section and author (what ``--reset`` means)."""
    models = (Article, Person, Country, Topic, Section, Author)
    if connection.vendor == "postgresql":
        # Django's deletion collector holds every row it deletes in memory; a million-story
        # corpus goes in one statement instead, with every table that hangs off these.
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
        with transaction.atomic(), connection.cursor() as cursor:
            # Checks Django defers to commit would otherwise forbid TRUNCATE mid-transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables} CASCADE")
            caching.content_changed()  # TRUNCATE sends no signals; cached pages must go
        return
    with transaction.atomic():
        for model in (CrossLink, TaggedPerson, TaggedCountry, TaggedTopic, Byline, *models):
            model.objects.all().delete()
