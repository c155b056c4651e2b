"""The words entity suggestions (``articles.entities``) know: country aliases and demonyms,
place names that are also something else, titles that introduce a name, capitalised words
that are never part of one, and common given names.

Data only: the lists grow without touching the rules that use them. TITLES and NOT_NAMES
are lower case (compared with a word's lower-case form); the rest are spelled exactly as
they appear in text.
"""

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

# Dotted abbreviations written out before tokenising, so "U.S." reads as the word "US".
ABBREVIATIONS = (("U.S.A.", "USA"), ("U.S.", "US"), ("U.K.", "UK"), ("U.A.E.", "UAE"))
# Lower-case particles inside a name: "bin Salman", "von der Leyen".
CONNECTORS = {"bin", "ibn", "al", "de", "da", "van", "von", "der", "del", "la", "le", "di"}
