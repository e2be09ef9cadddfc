"""Chapters 8-10's exercises ask, and do not answer in the asking (a student's findings)."""
import math
import re

from sim.exercises.bank import BANK, instance, pool_instance
from sim.exercises.variants import rng_for

STUDENTS = ["book"] + [f"s{k:03d}" for k in range(1, 9)]


def test_the_public_lan_config_question_does_not_say_how_the_data_comes_down():
    """two-links-config's public-LAN question glossed the NAT `none` "the router translates nothing"
    and named no policy: it does not give the answer (numgen, no NAT).  How the data comes down is
    said, and said as what it is: the simulator's Internet follows the router's kind of choice (per
    packet, or one line per connection: sim/topology.py), the real Internet's is the providers'
    routing.  It said "the Internet spreads the data coming down as chapter 4's did", false for a
    per-connection policy, whose download came down one line (a student reviewer)."""
    seen = 0
    for k in range(12):
        inst = pool_instance("two-links-config", k)
        if "public addresses" not in inst.prompt:
            continue
        seen += 1
        assert "the router translates nothing" not in inst.prompt, inst.prompt
        assert "numgen" not in inst.prompt and "spreads the data coming down" not in inst.prompt, inst.prompt
        assert "In this simulator the Internet sends the data coming down" in inst.prompt, inst.prompt
        assert "On the real Internet the way down is the providers' routing" in inst.prompt, inst.prompt
        assert inst.hint.startswith("In this simulator the way down follows the way up"), inst.hint
    assert seen


def test_the_books_provider_filter_example_is_the_mismatched_case():
    """The book's own "Does the provider forward it?" asked a packet leaving by the line whose
    address its binding has (forwarded): the case the chapter is about is the other, a packet
    leaving by another line with its binding's address, which the filter drops.  Students'
    variants keep their random choice between the two."""
    book = instance("nf-filter", "book", secret="")
    assert book.answer == "drop", book.prompt
    answers = {instance("nf-filter", s, secret="").answer for s in STUDENTS[1:]}
    assert answers == {"drop", "forward"}, answers


def test_how_many_on_if1_shows_hashes_not_the_uplinks_to_count():
    """hash-count showed each connection's SYN leaving by its uplink: counting "uplink1" lines
    answered it.  It shows each SYN's routing decision by its hash, without the nexthop chosen;
    the answer follows from if1's share of the hash space (tests/test_exercises.py works it out)."""
    for s in STUDENTS:
        inst = instance("hash-count", s, secret="")
        assert inst.context
        for line in inst.context:
            assert re.search(r"hash-l4 of \(5-tuple\) = 0x[0-9a-f]{8}$", line), line
            assert not re.search(r"\bif\d\b|uplink\d|bound", line), line


def _chance_book():
    return BANK["two-links-chance"].build("book", rng_for("book", "two-links-chance", ""))


def test_the_chances_too_low_says_what_is_wrong_with_the_value_typed():
    """"Too low: ... the chance is above 1/n" was the feedback on 53 % with two uplinks (53 > 50).
    Below 1/n the feedback says 1/n is what equal weights give; from 1/n up to the answer, that the
    shares count squared."""
    ex = _chance_book()
    n = len(re.findall(r"if\d+ \d+", re.search(r"unequal weights \(([^:]+):", ex.prompt).group(1)))
    low = min(int(v) for v in ex.accepted)
    below = [v for v in range(0, low) if v < 100 / n]
    between = [v for v in range(math.ceil(100 / n), low)]
    assert below and between, (n, ex.accepted)
    for v in below:
        assert ex.outcomes[str(v)].startswith(f"Too low: with equal weights the chance would be 1/{n}"), v
    for v in between:
        text = ex.outcomes[str(v)]
        assert text.startswith(f"Still too low: above 1/{n}") and "squared" in text, v
    assert set(ex.directions) == {ex.outcomes[str(v)] for v in range(0, 101) if str(v) in ex.outcomes}


def test_a_wrong_masq_repair_leads_with_what_failed():
    """An instructor's finding: a wrong repair of chapter 9's router said "With seed 3512: 8 of 8
    messages echoed, complete; drops: ingress filter 11." -- what worked first, the failure in its
    last words.  It leads with what failed, then the rest of the run; a right one is as it was."""
    wrong = right = 0
    for k in range(8):
        inst = pool_instance("masq-repair", k, "")
        for norm, text in inst.outcomes.items():
            if norm in inst.accepted:
                right += 1
                assert re.fullmatch(r"Right\. Works for every seed tried \(\d+, \d+\): (\d+) of \1 messages echoed, "
                                    r"complete; drops: none\.", text), text
                continue
            wrong += 1
            m = re.fullmatch(r"Not yet\. With seed \d+: not repaired: (.+?)\. The rest of the run: (.+)\.", text)
            assert m, text
            failed, rest = m.groups()
            assert failed.startswith(("the connection was reset", "the echo did not complete")) \
                or re.match(r"\d+ packets? lost on the way, where none may be \(", failed), text
            assert "drops: " not in text.split("The rest")[0] and "messages echoed" in rest, text
            if "lost on the way" in failed:          # said once, where it failed
                assert "ingress filter" not in rest and "nat oif changed" not in rest, text
    assert wrong and right
