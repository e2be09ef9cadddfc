"""Which students a file name names: the grader's word lookup against the plain regex rule."""
import random
import re

from hypothesis import given, settings, strategies as st

from sim.exercises.grade import _by_lower, _named, _names, full_name

IDS = {f"s{n:05d}" for n in range(200)} | {"alice", "bob.smith@uni.edu", "a-b", "x_1", "0001234", "1234",
                                           "JSmith", "bob-", "eve_", "z.9.", "jsmith-jones", "a", "b", "bob"}


def by_regex(stem, ids):
    """The rule as the guide states it: the id, in any case, with no ASCII letter or digit
    just before or after -- the longest: not an id found inside another one found there."""
    spans = {(m.start(), m.start() + len(i), i) for i in ids
             for m in re.finditer(rf"(?<![A-Za-z0-9])(?={re.escape(i)}(?![A-Za-z0-9]))", stem, re.I)}
    return {i for a, b, i in spans if not any(a2 <= a and b <= b2 and (a2, b2) != (a, b) for a2, b2, _ in spans)}


def test_lms_file_names():
    assert _names("student012_100012_900036_answers-alice", IDS) == {"alice"}
    assert _names("Smith John_55_assignsubmission_file_answers-bob.smith@uni.edu", IDS) == {"bob.smith@uni.edu"}
    assert _names("answers-1234 (1)", IDS) == {"1234"}
    assert _names("foo0001234", IDS) == set()                   # inside a word: no one
    assert _names("answers-JSMITH", IDS) == {"JSmith"}
    assert _names("bob--late", IDS) == {"bob-"}                 # an id may end in '-'


def test_a_hyphenated_id_names_its_owner_not_the_id_inside_it():
    """``answers-jsmith-jones`` named jsmith too (a '-' is a word's edge): with two names the
    file went to the student it claims inside, or, broken, to nobody."""
    assert _names("answers-jsmith-jones", IDS) == {"jsmith-jones"}
    assert _names("answers-jsmith-jones", IDS, longest=False) == {"JSmith", "jsmith-jones"}
    assert _names("answers-jsmith (1)", IDS) == {"JSmith"}
    assert _names("a-b", IDS) == {"a-b"} and _names("a--b", IDS) == {"a", "b"}
    # the export's answers-ID names an id the class does not have only when it names none of its
    assert _named("answers-jsmith-final", _by_lower(IDS)) == {"JSmith"}
    assert _named("answers-zobrien-final", _by_lower(IDS)) == {"zobrien-final"}


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["s00012", "S00013", "alice", "jsmith", "-jones", "bob", "a", "b", "bob.smith@uni.edu", "a-b", "x_1", "1234",
                                 "0001234", "bob-", "eve_", "z.9.", "_", "-", ".", "@", " ", "a", "0",
                                 "answers-", "(1)"]), max_size=8))
def test_the_same_names_as_the_regex_rule(parts):
    stem = "".join(parts)
    assert _names(stem, IDS) == by_regex(stem, IDS)


def test_random_names():
    rng = random.Random(1)
    for _ in range(300):
        stem = "".join(rng.choice("abs0123456789_-.@ ") for _ in range(rng.randint(0, 40)))
        assert _names(stem, IDS) == by_regex(stem, IDS), stem


def test_a_full_name_is_compared_as_moodle_writes_it_into_a_folders_name():
    """Unicode NFC (a Mac's unzip decomposes ü), case-folded, white space collapsed, and what
    Moodle's download changes ('_' to a space; clean_filename() drops ' & : and the like) --
    but accents stay: Muller and Müller are two people."""
    assert full_name("Maria Mu\u0308ller") == full_name("MARIA  müller ") == "maria müller"
    assert full_name("Zoë O'Brien") == full_name("Zoë OBrien") == full_name("zoë_obrien") == "zoë obrien"
    assert full_name("Maria Muller") != full_name("Maria Müller")
    assert full_name("Łukasz Çelik") != full_name("Lukasz Celik")
    assert full_name("STRASSE") == full_name("Straße")             # case-folding, as Unicode defines it
