"""Entity suggestions: the people and countries a story is about, found in its own words.

Offline and in-process (no model, no network), fast enough to run on every save. The text is
cut into word tokens once; countries are found by looking up short word sequences in a table
built from pycountry plus aliases and demonyms, and people by three kinds of evidence:

* a name the newsroom already tags (an existing ``Person``),
* a title or role right before the name ("Prime Minister Benjamin Netanyahu",
  "envoy, Steve Witkoff"),
* a common given name followed by a surname ("Joe Biden's administration").

A surname alone counts as another mention of a person only after a full mention, or after
a title when exactly one tagged person bears it ("President Trump"); so a lone "Biden
administration" suggests nothing. Every suggestion carries a confidence in [0, 1];
ambiguous place names ("Georgia") never rise above a low guess.
"""

import html
import re
from dataclasses import dataclass
from functools import cache

import pycountry
from django.db.models import F, Q, Value
from django.db.models.functions import Lower

from articles import text
from articles.importing import HEADER_KEYS, HEADER_LINE
from articles.models import Country, Person, PersonAlias, TaggedCountry, TaggedPerson

from .entity_words import (
    ABBREVIATIONS,
    AMBIGUOUS_COUNTRIES,
    CONNECTORS,
    COUNTRY_ALIASES,
    DEMONYMS,
    GIVEN_NAMES,
    NOT_COUNTRIES,
    NOT_NAMES,
    TITLES,
)

CONFIDENT = 0.5  # suggestions below this are guesses, shown only when asked for
AMBIGUOUS_CONFIDENCE = 0.3  # the most a place name that is also something else gets

_TOKEN = re.compile(r"[^\W\d_]+")
MAX_COUNTRY_WORDS = 6


@dataclass(frozen=True)
class EntitySuggestion:
    kind: str  # "person" or "country"
    name: str  # as it would be tagged: "Donald Trump", "Israel"
    confidence: float
    mentions: int
    code: str = ""  # ISO 3166-1 alpha-2 for countries

    def __str__(self):
        if self.kind == "country":
            return f"country: {self.code} {self.name}"
        return f"person: {self.name}"

    @property
    def is_confident(self) -> bool:
        return self.confidence >= CONFIDENT


@dataclass
class _Token:
    word: str
    before: str  # the text between the previous token and this one

    @property
    def capitalised(self) -> bool:
        return self.word[:1].isupper()


@cache
def country_table() -> dict[str, tuple[str, float]]:
    """Phrase → (alpha-2 code, confidence) for every name, alias and demonym we know."""
    table: dict[str, tuple[str, float]] = {}
    for record in pycountry.countries:
        for name in (record.name, getattr(record, "common_name", None)):
            if name and "," not in name and "(" not in name:
                table[name] = (record.alpha_2, 0.9)
        official = getattr(record, "official_name", None)
        if official and "," not in official:
            table[official.removeprefix("the ")] = (record.alpha_2, 0.9)
    table.update({alias: (code, 0.9) for alias, code in COUNTRY_ALIASES.items()})
    for demonym, code in DEMONYMS.items():
        table.setdefault(demonym, (code, 0.75))
        if not demonym.endswith(("ese", "sh", "ch", "ss")):
            table.setdefault(demonym + "s", (code, 0.75))
    for phrase, (code, _) in list(table.items()):
        if phrase in AMBIGUOUS_COUNTRIES or phrase.removesuffix("s") in AMBIGUOUS_COUNTRIES:
            table[phrase] = (code, AMBIGUOUS_CONFIDENCE)
    table.update(dict.fromkeys(NOT_COUNTRIES, ("", 0.0)))
    return table


def tokenise(value: str) -> list[_Token]:
    tokens, previous_end = [], 0
    for match in _TOKEN.finditer(value):
        tokens.append(_Token(match.group(), value[previous_end : match.start()]))
        previous_end = match.end()
    return tokens


def _phrases(tokens: list[_Token], start: int, covered: set[int]) -> list[str]:
    """The phrases of 1 to MAX_COUNTRY_WORDS words starting at ``start``, longest first,
    never across punctuation nor into a person's name."""
    phrases = [tokens[start].word]
    for index in range(start + 1, min(start + MAX_COUNTRY_WORDS, len(tokens))):
        token = tokens[index]
        if token.before not in (" ", "-") or index in covered:
            break
        phrases.append(phrases[-1] + token.before + token.word)
    return phrases[::-1]


def _is_name_word(token: _Token) -> bool:
    return (
        token.capitalised
        and len(token.word) > 1
        and token.word.lower() not in NOT_NAMES
        and token.word.lower() not in TITLES
        and not token.word.isupper()
    )


def plain_text(headline: str, body: str = "", *, is_html: bool = False) -> str:
    """Headline and body as prose, without markup or ``Also Read:`` lines (other stories)."""
    paragraphs = text.html_blocks(body) if is_html else re.split(r"\n\s*\n", body)
    paragraphs = [text.html_to_text(p) if is_html else p.strip() for p in paragraphs]
    prose = [
        p
        for p in paragraphs
        if p
        and text.link_headline(p, text.ALSO_READ_PREFIX) is None
        and text.link_headline(p, text.RELATED_PREFIX) is None
    ]
    # The headline ends like a sentence so its last word never runs into the body's first.
    value = "\n\n".join([f"{headline.strip()}.", *prose] if headline.strip() else prose)
    value = html.unescape(value)
    for abbreviation, short in ABBREVIATIONS:
        value = value.replace(abbreviation, short)
    return value


def split_story_file(content: str) -> tuple[str, str]:
    """Headline and body of raw text. A story-file header block, when there is one, gives
    the headline and standfirst; its People and Countries lines are left out, since they
    are the answer, not the evidence."""
    head, _, rest = content.strip().partition("\n\n")
    matches = [HEADER_LINE.match(line.strip()) for line in head.splitlines()]
    if not all(m and m["key"].lower() in HEADER_KEYS for m in matches):
        return "", content
    header = {m["key"].lower(): m["value"] for m in matches}
    if "headline" not in header:
        return "", content
    headline = ". ".join(filter(None, [header["headline"], header.get("standfirst")]))
    return headline, rest


class _Finder:
    def __init__(self, value: str):
        self.tokens = tokenise(value)
        self.covered: set[int] = set()  # token indexes inside a person's name
        self.people: dict[str, dict] = {}

    # People ---------------------------------------------------------------------------
    def name_runs(self):
        """Runs of capitalised words (with connectors like "bin"), as (start, end) pairs."""
        tokens, i = self.tokens, 0
        while i < len(tokens):
            if not tokens[i].capitalised:
                i += 1
                continue
            j = i + 1
            while j < len(tokens) and tokens[j].before in (" ", "-"):
                if tokens[j].capitalised:
                    j += 1
                elif tokens[j].word in CONNECTORS:
                    # "bin Salman", "von der Leyen": connectors only inside a name
                    k = j
                    while k < len(tokens) and tokens[k].word in CONNECTORS:
                        k += 1
                    if k < len(tokens) and tokens[k].capitalised and tokens[k].before in (" ", "-"):
                        j = k + 1
                    else:
                        break
                else:
                    break
            yield i, j
            i = j

    def _breaks_name(self, k: int, end: int) -> bool:
        """A word in a run of capitals that cannot be part of a person's name there."""
        word = self.tokens[k].word
        if word in CONNECTORS:
            return False
        if not _is_name_word(self.tokens[k]):
            return True
        # "Israeli Prime Minister …", "Saudi Crown Prince …"; not "Jordan Bardella"
        return k + 1 < end and word in country_table() and word not in GIVEN_NAMES

    def candidates(self):
        """Possible names: the stretches of each run between titles, verbs and other
        words that are never part of a name (Title Case headlines have plenty)."""
        for start, end in self.name_runs():
            segment = start
            for k in range(start, end + 1):
                if k < end and not self._breaks_name(k, end):
                    continue
                while segment < k and self.tokens[segment].word in CONNECTORS:
                    segment += 1
                last = k
                while last > segment and self.tokens[last - 1].word in CONNECTORS:
                    last -= 1
                if last - segment >= 2:
                    yield segment, last
                segment = k + 1

    def _title_before(self, index: int) -> bool:
        """A title word right before the name, or a role and a comma: "envoy, Steve …"."""
        if index == 0:
            return False
        before = self.tokens[index].before
        previous = self.tokens[index - 1].word.lower()
        return before in (" ", ", ", ". ") and previous in TITLES and previous != "of"

    def name(self, start: int, end: int) -> str:
        words = [self.tokens[start].word]
        for token in self.tokens[start + 1 : end]:
            words.append(("-" if token.before == "-" else " ") + token.word)
        return "".join(words)

    def _known_within(self, start: int, end: int, known: dict[str, str]):
        """The longest known name inside tokens[start:end], as (start, end, name)."""
        for length in range(min(end - start, 4), 1, -1):
            for a in range(start, end - length + 1):
                name = known.get(self.name(a, a + length).casefold())
                if name:
                    return a, a + length, name
        return None

    def titled_surnames(self) -> dict[str, list[int]]:
        """Lone names right after a title ("President Trump says"): word → token indexes."""
        found: dict[str, list[int]] = {}
        for start, end in self.name_runs():
            for k in range(start, end):
                if (
                    _is_name_word(self.tokens[k])
                    and self._title_before(k)
                    and (k + 1 == end or self._breaks_name(k + 1, end))
                ):
                    found.setdefault(self.tokens[k].word, []).append(k)
        return found

    def find_people(
        self,
        known: dict[str, str],
        by_surname: dict[str, list[str]] | None = None,
        aliases: dict[str, str] | None = None,
    ):
        for start, end in list(self.candidates()):
            name = self.name(start, end)
            words = sum(t.word not in CONNECTORS for t in self.tokens[start:end])
            given_and_surname = words == 2 and self.tokens[start].word in GIVEN_NAMES
            canonical = None
            if found := self._known_within(start, end, known):
                start, end, canonical = found
                confidence = 0.95
            elif words <= 4 and self._title_before(start):
                confidence = 0.9
            elif given_and_surname:
                confidence = 0.7
            else:
                continue
            entry = self.people.setdefault(
                canonical or name, {"confidence": 0.0, "mentions": 0, "first": start}
            )
            entry["confidence"] = max(entry["confidence"], confidence)
            entry["mentions"] += 1
            self.covered.update(range(start, end))
        self.find_by_titled_surname(by_surname or {})
        self.find_aliases(aliases or {})
        self.count_surnames()

    def find_aliases(self, aliases: dict[str, str]):
        """Other names the newsroom gave a person (casefolded alias → name: "Bibi", "President
        Biden"), wherever the text uses one that no fuller name covers: a mention of that
        person, as sure as a known name."""
        for start, end in list(self.name_runs()):
            index = start
            while index < end:
                found = self._alias_at(index, end, aliases)
                if found is None:
                    index += 1
                    continue
                stop, name = found
                entry = self.people.setdefault(
                    name, {"confidence": 0.0, "mentions": 0, "first": index}
                )
                entry["confidence"] = max(entry["confidence"], 0.95)
                entry["mentions"] += 1
                self.covered.update(range(index, stop))
                index = stop

    def _alias_at(self, index: int, end: int, aliases: dict[str, str]):
        """The longest alias starting at token ``index`` (before ``end``) that no found name
        covers, as (end, name), or None."""
        for stop in range(min(end, index + 4), index, -1):
            if self.covered.isdisjoint(range(index, stop)):
                name = aliases.get(self.name(index, stop).casefold())
                if name:
                    return stop, name
        return None

    def find_by_titled_surname(self, by_surname: dict[str, list[str]]):
        """ "President Trump" is Donald Trump when the newsroom tags exactly one Trump and
        the text names no other in full."""
        named = {name.split()[-1] for name in self.people}
        for surname, indexes in self.titled_surnames().items():
            candidates = by_surname.get(surname.casefold(), [])
            if surname in named or len(candidates) != 1:
                continue
            entry = self.people.setdefault(
                candidates[0], {"confidence": 0.0, "mentions": 0, "first": indexes[0]}
            )
            entry["confidence"] = max(entry["confidence"], 0.8)
            entry["mentions"] += len(indexes)
            self.covered.update(indexes)

    def count_surnames(self):
        """A surname alone, after a full mention, is another mention of that person."""
        surnames = {}
        for name, entry in self.people.items():
            surnames.setdefault(name.split()[-1], []).append((entry["first"], name))
        for index, token in enumerate(self.tokens):
            if index in self.covered or token.word not in surnames:
                continue
            earlier = [name for first, name in surnames[token.word] if first < index]
            if len(earlier) == 1:  # two people sharing a surname: we cannot tell
                self.people[earlier[0]]["mentions"] += 1
                self.covered.add(index)

    # Countries ------------------------------------------------------------------------
    def find_countries(self) -> dict[str, dict]:
        """Countries by the longest phrase that names one, left to right."""
        table, found, i = country_table(), {}, 0
        while i < len(self.tokens):
            # Every name, alias and demonym starts with a capital letter.
            if not self.tokens[i].capitalised or i in self.covered:
                i += 1
                continue
            phrases = _phrases(self.tokens, i, self.covered)
            match = next((p for p in phrases if p in table), None)
            if match is None:
                i += 1
                continue
            code, confidence = table[match]
            if code:  # "New Mexico" and the like match, and name no country
                entry = found.setdefault(code, {"confidence": 0.0, "mentions": 0})
                entry["confidence"] = max(entry["confidence"], confidence)
                entry["mentions"] += 1
            i += len(phrases) - phrases.index(match)
        return found


def _boost(confidence: float, mentions: int) -> float:
    """More mentions make a sure finding surer, but never lift a guess out of doubt."""
    if confidence <= AMBIGUOUS_CONFIDENCE:
        return confidence
    return round(min(0.99, confidence + 0.03 * (mentions - 1)), 2)


def known_people(finder: _Finder):
    """Existing Person tags the text names, in one query: by full name (casefolded name →
    name, an alias of two words or more counting as a name), by the surname after a title
    ("President Trump": surname → names), and by any of their aliases (casefolded alias →
    name: "Bibi", "President Biden")."""
    phrases, words = set(), set()
    for start, end in finder.name_runs():
        for a in range(start, end):
            words.add(finder.tokens[a].word.casefold())
            for b in range(a + 2, min(end, a + 4) + 1):
                phrases.add(finder.name(a, b).casefold())
    surnames = {surname.casefold() for surname in finder.titled_surnames()}
    if not phrases and not surnames and not words:
        return {}, {}, {}
    condition = Q(key__in=sorted(phrases))
    for surname in sorted(surnames):
        condition |= Q(key__endswith=f" {surname}")
    names = (
        Person.objects.annotate(key=Lower("name"))
        .filter(condition)
        .annotate(alias=Value(""))
        .order_by()
        .values_list("name", "alias")
    )
    aliases = (
        PersonAlias.objects.filter(key__in=sorted(phrases | words))
        .order_by()
        .values_list("tag__name", "key")
    )
    by_name, by_surname, by_alias = {}, {}, {}
    for name, alias in names.union(aliases, all=True):
        if alias:
            by_alias[alias] = name
            if " " in alias:
                by_name[alias] = name
            continue
        by_name[name.casefold()] = name
        by_surname.setdefault(name.split()[-1].casefold(), []).append(name)
    return by_name, by_surname, by_alias


def suggest_entities(headline: str, body: str = "", *, is_html: bool = False):
    """People and countries in a story, most confident first (at most one query)."""
    finder = _Finder(plain_text(headline, body, is_html=is_html))
    finder.find_people(*known_people(finder))
    suggestions = [
        EntitySuggestion("person", name, _boost(e["confidence"], e["mentions"]), e["mentions"])
        for name, e in finder.people.items()
    ]
    for code, entry in finder.find_countries().items():
        record = pycountry.countries.get(alpha_2=code)
        suggestions.append(
            EntitySuggestion(
                "country",
                Country.display_name(record),
                _boost(entry["confidence"], entry["mentions"]),
                entry["mentions"],
                code=code,
            )
        )
    return sorted(suggestions, key=lambda s: (s.kind != "person", -s.confidence, s.name))


def suggest_for_article(article, *, confident_only: bool = True):
    """Suggestions for a saved story, leaving out the tags it already has (≤ 2 queries)."""
    suggestions = suggest_entities(
        f"{article.headline}. {article.standfirst}", article.body, is_html=True
    )
    if article.pk:
        people = TaggedPerson.objects.filter(content_object=article).annotate(
            kind=Value("person"), key=Lower("tag__name")
        )
        countries = TaggedCountry.objects.filter(content_object=article).annotate(
            kind=Value("country"), key=F("tag__code")
        )
        tagged = set(
            people.values_list("kind", "key").union(countries.values_list("kind", "key"), all=True)
        )
        suggestions = [
            s
            for s in suggestions
            if (s.kind, s.name.casefold() if s.kind == "person" else s.code) not in tagged
        ]
    return [s for s in suggestions if s.is_confident or not confident_only]
