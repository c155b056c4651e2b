import pytest

from articles import text


@pytest.mark.parametrize(
    ("headline", "slug"),
    [
        (
            "Trump invites Netanyahu to the White House on February 4",
            "trump-invites-netanyahu-to-the-white-house-on-february-4",
        ),
        (
            "'Israel reserves right to resume Gaza war': Netanyahu's big warning",
            "israel-reserves-right-to-resume-gaza-war-netanyahu-s-big-warning",
        ),
        ("भारत ने नई नीति की घोषणा की", "भारत-ने-नई-नीति-की-घोषणा-की"),
        ("נתניהו יבקר בבית הלבן", "נתניהו-יבקר-בבית-הלבן"),
        ("ترامب يدعو نتنياهو إلى البيت الأبيض", "ترامب-يدعو-نتنياهو-إلى-البيت-الأبيض"),
    ],
)
def test_slugify_keeps_every_script_readable(headline, slug):
    """Hindi vowel signs and Hebrew/Arabic letters survive; Django's slugify drops marks."""
    assert text.slugify(headline) == slug


def test_slugify_stops_at_a_word_boundary():
    """Long headlines give slugs within the limit that do not end mid-word."""
    slug = text.slugify("word " * 60, max_length=20)
    assert slug == "word-word-word-word"


def test_headline_key_ignores_case_quotes_punctuation_and_spacing():
    """Links written with curly quotes or other spacing still find their story."""
    assert text.headline_key("‘Israel reserves right’:  Netanyahu’s WARNING") == text.headline_key(
        "'Israel reserves right': Netanyahu's warning"
    )
    assert text.headline_key("Gaza ceasefire") != text.headline_key("Gaza ceasefire holds")


def test_sanitise_html_removes_scripts_handlers_and_javascript_links():
    """Whatever the browser or a file sends, stored HTML cannot run script."""
    dirty = (
        '<p onclick="steal()">Hi <script>alert(1)</script>'
        '<a href="javascript:alert(1)">x</a><a href="https://example.com">ok</a></p>'
    )
    clean = text.sanitise_html(dirty)
    assert "script" not in clean
    assert "onclick" not in clean
    assert "javascript:" not in clean
    assert 'href="https://example.com"' in clean


def test_html_blocks_splits_top_level_blocks_and_wraps_loose_text():
    """Paragraph placement counts top-level blocks, nested markup stays inside its block."""
    body = "<p>One <em>a</em></p>\n<ul><li>x</li><li>y</li></ul>loose <b>text</b><h2>Head</h2>"
    assert text.html_blocks(body) == [
        "<p>One <em>a</em></p>",
        "<ul><li>x</li><li>y</li></ul>",
        "<p>loose <b>text</b></p>",
        "<h2>Head</h2>",
    ]


@pytest.mark.parametrize(
    "body",
    [
        '<p>One</p>\n<p>Two &amp; <a href="https://example.com">three</a></p>',
        "  <p>Leading and trailing space</p>\n\n",
        "<p>Kept</p><p> </p><p><br></p><p>&nbsp;</p><p><strong></strong></p><p>Also kept</p>",
        "<p>Para</p><blockquote><p>Quoted</p></blockquote><p>After</p>",
        "<p>Para</p>loose text<p>After</p>",
        "<p>Para</p><h2>Head</h2>",
        "<ul><li><p>In a list</p></li></ul>",
        "<p>Multi\nline <em>para</em></p>",
        "",
    ],
)
def test_html_blocks_fast_path_agrees_with_the_parser(body):
    """Plain-paragraph bodies skip the HTML parser; the blocks are the same either way."""
    assert text.html_blocks(body) == text._parsed_blocks(body)


def test_extract_links_places_also_read_after_the_paragraphs_before_it():
    """'Also Read:' lines become links at their placement; 'Related:' goes to the end list."""
    body, links = text.extract_links(
        [
            "One",
            "Also Read: First",
            "Two",
            "Also Read: Second",
            "Also read:  Third",
            "Three",
            "Related: Fourth",
        ]
    )
    assert body == ["One", "Two", "Three"]
    assert [(link.headline, link.placement, link.order) for link in links] == [
        ("First", 1, 0),
        ("Second", 2, 0),
        ("Third", 2, 1),
        ("Fourth", None, 0),
    ]


def test_place_links_boxes_each_link_after_its_paragraph_and_clamps_past_the_end():
    """Placement 0 leads, links at one placement keep their order, a placement past the end
    of the body follows the last paragraph, no placement goes to the end list."""
    links = [("lead", 0), ("one", 1), ("one more", 1), ("far", 7), ("listed", None)]
    blocks, listed = text.place_links(["P1", "P2"], links, placement=lambda link: link[1])
    assert [(block.html, [name for name, _ in block.links]) for block in blocks] == [
        ("", ["lead"]),
        ("P1", ["one", "one more"]),
        ("P2", ["far"]),
    ]
    assert listed == [("listed", None)]
    blocks, _ = text.place_links(["P1"], [], placement=lambda link: link[1])
    assert [(block.html, block.links) for block in blocks] == [("P1", [])]


def test_extract_links_rejects_an_empty_also_read():
    """An 'Also Read:' with nothing after it is an error naming its paragraph."""
    with pytest.raises(text.EmptyLinkError) as error:
        text.extract_links(["One", "Also Read:  "])
    assert error.value.index == 1


def test_strip_control_chars_keeps_newlines_and_tabs():
    assert text.strip_control_chars("a\x00b\x0bc\td\ne") == "abc\td\ne"


def test_headline_key_fits_its_column_when_folding_lengthens_the_text():
    # NFKC turns each "㎒" into "mhz": a 300-character headline made a 900-character key,
    # which PostgreSQL refused when the story was saved.
    key = text.headline_key("㎒" * 300)
    assert len(key) <= text.HEADLINE_KEY_MAX_LENGTH
    assert key == text.headline_key("MHz" * 300)
