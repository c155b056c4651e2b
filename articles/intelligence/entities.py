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
from articles.models import Country, Person, TaggedCountry, TaggedPerson

CONFIDENT = 0.5  # suggestions below this are guesses, shown only when asked for

# Aliases and demonyms pycountry does not carry, mapped to ISO 3166-1 alpha-2 codes.
COUNTRY_ALIASES = {
    "US": "US", "USA": "US", "America": "US", "United States of America": "US",
    "UK": "GB", "Britain": "GB", "Great Britain": "GB", "England": "GB", "Scotland": "GB",
    "Wales": "GB", "UAE": "AE", "Emirates": "AE", "Russia": "RU", "Syria": "SY",
    "Vietnam": "VN", "Laos": "LA", "Palestine": "PS", "Vatican": "VA", "Holy See": "VA",
    "Czech Republic": "CZ", "Ivory Coast": "CI", "Burma": "MM", "Turkey": "TR",
    "Macedonia": "MK", "Brunei": "BN", "Cape Verde": "CV", "East Timor": "TL",
    "Micronesia": "FM", "Swaziland": "SZ", "DR Congo": "CD", "DRC": "CD",
    "Democratic Republic of the Congo": "CD", "Republic of the Congo": "CG",
    "Saudi": "SA", "KSA": "SA", "PRC": "CN", "ROK": "KR", "DPRK": "KP", "Korea": "KR",
}  # fmt: skip
DEMONYMS = {
    "American": "US", "Israeli": "IL", "Saudi": "SA", "Iranian": "IR", "British": "GB",
    "English": "GB", "Scottish": "GB", "Welsh": "GB", "French": "FR", "German": "DE",
    "Russian": "RU", "Chinese": "CN", "Indian": "IN", "Pakistani": "PK", "Ukrainian": "UA",
    "Egyptian": "EG", "Qatari": "QA", "Jordanian": "JO", "Lebanese": "LB", "Syrian": "SY",
    "Iraqi": "IQ", "Turkish": "TR", "Japanese": "JP", "South Korean": "KR",
    "North Korean": "KP", "Canadian": "CA", "Mexican": "MX", "Brazilian": "BR",
    "Australian": "AU", "Italian": "IT", "Spanish": "ES", "Emirati": "AE", "Afghan": "AF",
    "Bangladeshi": "BD", "Sri Lankan": "LK", "Nepali": "NP", "Nepalese": "NP",
    "Palestinian": "PS", "Yemeni": "YE", "Kuwaiti": "KW", "Bahraini": "BH", "Omani": "OM",
    "Sudanese": "SD", "Libyan": "LY", "Nigerian": "NG", "Kenyan": "KE",
    "South African": "ZA", "Ethiopian": "ET", "Polish": "PL", "Dutch": "NL",
    "Belgian": "BE", "Swiss": "CH", "Swedish": "SE", "Norwegian": "NO", "Danish": "DK",
    "Finnish": "FI", "Greek": "GR", "Irish": "IE", "Portuguese": "PT", "Hungarian": "HU",
    "Czech": "CZ", "Austrian": "AT", "Venezuelan": "VE", "Colombian": "CO",
    "Argentine": "AR", "Argentinian": "AR", "Chilean": "CL", "Peruvian": "PE",
    "Cuban": "CU", "Indonesian": "ID", "Malaysian": "MY", "Filipino": "PH", "Thai": "TH",
    "Vietnamese": "VN", "Burmese": "MM", "Taiwanese": "TW", "Armenian": "AM",
    "Azerbaijani": "AZ", "Kazakh": "KZ", "Uzbek": "UZ", "Belarusian": "BY",
    "Serbian": "RS", "Croatian": "HR", "Romanian": "RO", "Bulgarian": "BG",
    "Moldovan": "MD", "Lithuanian": "LT", "Latvian": "LV", "Estonian": "EE",
    "Georgian": "GE", "Saudi Arabian": "SA", "Algerian": "DZ", "Moroccan": "MA",
    "Tunisian": "TN", "Somali": "SO", "Ghanaian": "GH", "Venezuelans": "VE",
}  # fmt: skip
# Place names that are also something else: a US state, a given name, a bird.
AMBIGUOUS_COUNTRIES = {"Georgia", "Georgian", "Georgians", "Chad", "Jersey"}
AMBIGUOUS_CONFIDENCE = 0.3
# Longer phrases that contain a country word but are not about that country; matched like
# countries (longest first) so that "New Mexico" hides "Mexico".
NOT_COUNTRIES = {
    "New Jersey", "New Mexico", "New South Wales", "New England", "New Guinea",
    "Mexico City", "Panama City", "Kuwait City", "Guatemala City", "Indian Ocean",
    "Latin American", "South American", "North American", "Central American",
    "Native American", "African American", "Asian American", "Arab American",
    "Latin America", "South America", "North America", "Central America",
    "British Columbia", "Georgia Tech", "Jordan River", "West Bank",
}  # fmt: skip

# Words that introduce a name: "President Donald Trump", "envoy, Steve Witkoff".
TITLES = {
    "president", "vice", "prime", "minister", "secretary", "senator", "sen", "rep",
    "representative", "governor", "gov", "chancellor", "king", "queen", "prince", "princess",
    "crown", "sheikh", "emir", "sultan", "speaker", "mayor", "general", "gen", "pope",
    "ambassador", "envoy", "spokesperson", "spokesman", "spokeswoman", "chief", "leader",
    "premier", "judge", "justice", "dr", "mr", "mrs", "ms", "lord", "lady", "sir", "dame",
    "foreign", "defence", "defense", "finance", "interior", "state", "of", "special",
    "commander", "colonel", "captain", "admiral", "ayatollah", "rabbi", "cardinal",
    "former", "late", "deputy", "acting", "opposition", "adviser", "advisor", "director",
    "ceo", "chairman", "chairwoman", "chair", "founder", "coach", "striker", "actor",
    "actress", "singer", "author", "host", "anchor", "envoys", "presidents", "ministers",
}  # fmt: skip
# Capitalised words that start sentences or name things, never part of a person's name.
NOT_NAMES = {
    "the", "a", "an", "and", "but", "or", "if", "while", "when", "after", "before", "as",
    "in", "on", "at", "for", "from", "to", "by", "with", "apart", "also", "read", "related",
    "meanwhile", "however", "though", "although", "since", "during", "then", "this",
    "that", "these", "those", "his", "her", "their", "our", "its", "my", "we", "he",
    "she", "they", "it", "i", "you", "there", "here", "what", "who", "why", "how",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "house", "white", "east", "west", "north", "south",
    "middle", "street", "university", "party", "council", "ministry", "department",
    "agency", "news", "times", "post", "strip", "bank", "city", "airport", "parliament",
    "congress", "senate", "court", "army", "forces", "force", "union", "nations",
    "republic", "kingdom", "states", "office", "administration", "government", "group",
    "company", "inc", "ltd", "club", "hospital", "school", "college", "day", "week",
    "year", "new", "old", "united", "national", "international", "federal", "central",
    # verbs and small words that Title Case headlines capitalise
    "is", "are", "was", "were", "be", "been", "will", "would", "can", "could", "has",
    "have", "had", "not", "no", "over", "amid", "against", "into", "about", "up", "down",
    "out", "off", "back", "says", "said", "say", "invites", "invited", "meets", "met",
    "visits", "visited", "calls", "called", "urges", "warns", "slams", "vows", "wins",
    "loses", "signs", "backs", "rejects", "hits", "announces", "asks", "tells", "agrees",
    "plans", "seeks", "faces", "claims", "denies", "demands", "threatens", "praises",
    "blames", "joins", "quits", "names", "named", "appoints", "arrives", "returns",
    "talks", "speaks", "holds", "sends", "orders", "hosts", "welcomes", "defends",
    "attacks", "criticises", "criticizes", "accuses", "reveals", "launches", "ends",
    "begins", "starts", "delays", "delayed", "resumes", "expected", "set", "likely",
    "deal", "trade", "war", "peace", "ceasefire", "summit", "visit", "meeting",
}  # fmt: skip
# Common given names: a capitalised word from this list followed by a capitalised word is
# probably a person even when the newsroom has never tagged them. Words that are also
# everyday English ("Will", "May", "Grace") are left out on purpose.
_GIVEN_NAMES_TEXT = """
    Aaron Abdul Abdullah Abraham Adam Adrian Ahmad Ahmed Alan Albert Alex Alexander Alexei
    Ali Alice Alicia Amanda Amir Amit Amy Ana Andrea Andrew Andy Angela Angelina Ann Anna
    Anne Anthony Antonio Antony Arvind Ashraf Barack Ben Benjamin Bernie Beth Betty Bill Bob
    Boris Brad Brian Bruce Carl Carlos Carol Caroline Catherine Charles Charlie Chris
    Chad Christian Christine Christopher Chuck Claire Claudia Colin Cory Dan Daniel Danny David
    Dennis Diana Dick Dmitry Donald Donna Dora Doug Douglas Ebrahim Ed Edward Ehud Elena Eli
    Elizabeth Ellen Elon Emily Emma Emmanuel Eric Erik Fatima Frank Friedrich Gavin George
    Gilad Gina Giorgia Gordon Greg Gregory Hakan Hamad Hana Hannah Hans Harry Hassan Heather
    Helen Henry Hillary Hossein Hugh Hussein Ian Ilhan Isaac Ivan Jack Jacob Jake James
    Jamie Jane Janet Jared Jason Javier Jean Jeff Jeffrey Jennifer Jeremy Jerome Jessica Jim
    Jimmy Joan Joe Joel John Johnny Jon Jonathan Jordan Jose Joseph Josh Joshua Juan Julia Julian
    Julie Justin Kamala Karen Karl Kate Katherine Keir Kevin Khalid Kim Kristi Larry Laura
    Lauren Leo Linda Lisa Lloyd Louis Lucy Luis Mahmoud Marco Margaret Maria Marie Mario
    Marjorie Martin Mary Masoud Matt Matthew Max Meghan Michael Michel Michelle Mike Mitch
    Mohamed Mohammad Mohammed Muhammad Naftali Nancy Narendra Natalie Nathan Neil Nicholas
    Nick Nicola Nicolas Nikki Nina Olaf Oliver Olivia Omar Pam Pamela Patrick Paul Pedro
    Pete Peter Philip Rachel Rahul Rajnath Ralph Ramzan Raphael Rebecca Recep Richard Rick
    Rishi Rob Robert Roger Ron Ronald Rudy Rupert Ruth Ryan Sam Samuel Sarah Scott Sean
    Sergei Sergey Shinzo Shmuel Simon Sonia Sophie Stephen Steve Steven Sue Susan Tamim Ted
    Thomas Tim Timothy Tina Todd Tom Tony Ursula Valerie Viktor Vladimir Volodymyr Walter
    William Yahya Yair Yoav Yuri
"""
GIVEN_NAMES = frozenset(_GIVEN_NAMES_TEXT.split())

_TOKEN = re.compile(r"[^\W\d_]+")
_ABBREVIATIONS = (("U.S.A.", "USA"), ("U.S.", "US"), ("U.K.", "UK"), ("U.A.E.", "UAE"))
CONNECTORS = {"bin", "ibn", "al", "de", "da", "van", "von", "der", "del", "la", "le", "di"}
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
    for abbreviation, short in _ABBREVIATIONS:
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

    def find_people(self, known: dict[str, str], by_surname: dict[str, list[str]] | None = None):
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
        self.count_surnames()

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


def known_people(finder: _Finder) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Existing Person tags the text names, in one query: by full name (casefolded name →
    name), and by the surname after a title ("President Trump": surname → names)."""
    phrases = set()
    for start, end in finder.name_runs():
        for a in range(start, end):
            for b in range(a + 2, min(end, a + 4) + 1):
                phrases.add(finder.name(a, b).casefold())
    surnames = {surname.casefold() for surname in finder.titled_surnames()}
    if not phrases and not surnames:
        return {}, {}
    condition = Q(key__in=sorted(phrases))
    for surname in sorted(surnames):
        condition |= Q(key__endswith=f" {surname}")
    names = (
        Person.objects.annotate(key=Lower("name")).filter(condition).values_list("name", flat=True)
    )
    by_name, by_surname = {}, {}
    for name in names:
        by_name[name.casefold()] = name
        by_surname.setdefault(name.split()[-1].casefold(), []).append(name)
    return by_name, by_surname


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
