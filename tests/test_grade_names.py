"""Which students a file name names: the grader's word lookup against the plain regex rule."""
import random
import re

from hypothesis import given, settings, strategies as st

from sim.exercises.grade import _names

IDS = {f"s{n:05d}" for n in range(200)} | {"alice", "bob.smith@uni.edu", "a-b", "x_1", "0001234", "1234",
                                           "JSmith", "bob-", "eve_", "z.9."}


def by_regex(stem, ids):
    """The rule as the guide states it: the id, in any case, with no ASCII letter or digit
    just before or after."""
    return {i for i in ids if re.search(rf"(?<![A-Za-z0-9]){re.escape(i)}(?![A-Za-z0-9])", stem, re.I)}


def test_lms_file_names():
    assert _names("student012_100012_900036_answers-alice", IDS) == {"alice"}
    assert _names("Smith John_55_assignsubmission_file_answers-bob.smith@uni.edu", IDS) == {"bob.smith@uni.edu"}
    assert _names("answers-1234 (1)", IDS) == {"1234"}
    assert _names("foo0001234", IDS) == set()                   # inside a word: no one
    assert _names("answers-JSMITH", IDS) == {"JSmith"}
    assert _names("bob--late", IDS) == {"bob-"}                 # an id may end in '-'


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["s00012", "S00013", "alice", "bob.smith@uni.edu", "a-b", "x_1", "1234",
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
