"""The exercises of chapter 5, NAT (book/05-nat.md)."""
from __future__ import annotations

from sim.observe import uplink_hops
from sim.runs import run
from sim.trace import Ev

from . import (addressed, addresses_text, arrival_before, article_ports, client_syns, dev_addr,
                endpoint_choices, endpoint_why_not, exercise, ifs, numeric, predict)


@exercise("nat-endpoint", 5, "predict", "The source address and port after NAT")
def nat_endpoint(student, rng):
    nat = rng.choice(["article", "netfilter"])
    c = rng.choice([2, 3, 4])
    n = rng.choice([2, 3])
    params = addressed(student, rng, "flashget",
                       dict(nat=nat, connections=c, uplinks=n, seed=rng.randrange(1, 1000), size=3000))
    r = run("flashget", **params)
    ports = sorted({p.sport for p in client_syns(r)})
    j = rng.randrange(c)
    sport = ports[j]
    step = next(i for i, e in enumerate(r.events) if e.ev is Ev.NAT and e.node == "router"
                and e.dir == "snat" and e.before.sport == sport)
    ask = arrival_before(r, step)
    after = r.events[step].pkt
    dev = next(d for i, d, p in uplink_hops(r) if i > step)
    ans = f"{after.ip.src}:{after.sport}"
    table = article_ports(r)
    cands = {f"{dev_addr(r, d)}:{p}" for d in ifs(n) for p in [sport] + [table[e] + j for e in ifs(n)]}
    cands.add(f"{r.net['local1'].addr}:{sport}")
    # on the right address, the ports a half-understood rule leaves open: another place in the
    # uplink's own table (the article's model hands them out in turn) and another connection's
    # client port -- so that knowing where a table starts does not pick the answer by itself
    here = dev_addr(r, dev)
    turns = {f"{here}:{table[dev] + i}" for i in range(c) if i != j}
    theirs = {f"{here}:{p}" for p in ports if p != sport}
    cands |= turns | theirs
    choices = endpoint_choices(rng, ans, cands, must=turns if nat == "article" else theirs)
    first_ports = ", ".join(f"{table[d]}.. on {d}" for d in ifs(n))

    def why_port(p: int) -> str:
        """Why the packet does not carry port ``p``: what ``p`` is, and the rule it breaks."""
        table_of = next((d for d in ifs(n) if table[d] <= p < table[d] + 1000), None)
        if nat == "article":
            if p == sport:
                return ("the article's model does not keep the client's port: it hands out ports from the "
                        "uplinks' own tables")
            if p in ports:
                return (f"{p} is the client port of another of these connections, and the article's model "
                        f"does not keep client ports: it hands out ports from the uplinks' own tables")
            if table_of != dev:
                return (f"{p} is a port of {table_of}'s table, and the article's model takes the port from the "
                        f"table of the uplink the packet leaves by")
            k = p - table[dev] + 1
            nth = {1: "first", 2: "second", 3: "third", 4: "fourth"}.get(k, f"{k}th")
            return (f"the article's model hands out {dev}'s ports in turn, one to each connection that leaves "
                    f"by {dev}, so {p} goes to the {nth} of them; count the connections that left by {dev} "
                    f"before this one")
        if p in ports:
            return (f"{p} is the client port of another of these connections, and netfilter translates each "
                    f"connection by its own tuple")
        return (f"{p} is a port of the article model's tables ({table_of}'s), and netfilter has no such tables: "
                f"it picks another port only when the translated tuple would not be unique")

    why_not = endpoint_why_not(
        r, choices, ans, f"the SYN leaves by {dev}, and NAT gives a connection's first packet the address of "
                         f"the uplink it leaves by", why_port)
    return predict(
        scenario="flashget", params=params, r=r, ask=ask, step=step, choices=choices, answer=ans,
        form="endpoint", reveal_to=step, why_not=why_not,
        prompt=(f"{c} parallel downloads from Local host 1 (source ports {ports[0]}..{ports[-1]}) to Remote "
                f"host 1, {n} uplinks, NAT model `{nat}`. Addresses: {addresses_text(r, port=False)}. At event {ask} "
                f"the SYN of the connection from port {sport} reaches the router; it will leave by {dev} "
                f"({dev_addr(r, dev)}). What source (address:port) will it carry after NAT?"),
        hint=("A connection's first packet takes the address of the uplink it leaves by. The port depends on the NAT "
              f"model: the article's model hands out ports from each uplink's own table ({first_ports}), in "
              "turn; netfilter keeps the client's port when the tuple stays unique."),
        explanation=(f"{ans}: `{nat}` NAT on {dev} "
                     + ("took the next port from that uplink's own table." if nat == "article" else
                        "kept the source port, since no other connection uses it.")))


@exercise("nat-seen", 5, "numeric", "What the server sees")
def nat_seen(student, rng):
    nat = rng.choice(["article", "netfilter"])
    c = rng.choice([2, 3, 4, 5, 6, 8])
    params = addressed(student, rng, "flashget", dict(nat=nat, connections=c, seed=rng.randrange(1, 1000), size=2000))
    r = run("flashget", **params)
    seen = sorted({s for conn in r.summary["connections"] for s in conn["seen_by_server_as"]})
    addrs = sorted({s.split(",")[0].strip("( ") for s in seen})
    # the bound the prompt states, from the variant's own connections and uplinks: a count past it
    # is told so (``model.beyond``), not only the hint ("999" got the hint alone)
    n = len(r.net.uplinks())
    most = c * n
    why = f"{c} connections, each showing at most one source endpoint on each of the {n} uplinks"
    return numeric(
        scenario="flashget", params=params, answer=len(seen),
        prompt=(f"A download manager opens {c} parallel connections from Local host 1 to Remote host 1 "
                f"({r.net['remote1'].addr}), through the router's NAT (model `{nat}`, no equalize), whose "
                f"uplinks are {' and '.join(f'{d} {dev_addr(r, d)}' for d in r.net.uplinks())}. How many "
                f"different (address, port) endpoints does Remote host 1 see these connections come from? "
                f"(At most {most}: {why}.)"),
        hint=("Remote host 1 tells connections apart by the endpoint each comes from: what NAT makes of a "
              "connection's source (address, port), and when it decides it."),
        under=("Too few: NAT must keep connections apart. Can two connections from one client to one server "
               "share an external (address, port)? The server would take their packets for one connection's."),
        over=(f"Too many: each connection keeps one external (address, port) for its whole life. NAT binds it "
              f"when the connection's first packet passes, and without equalize every packet of a connection "
              f"leaves by the same uplink, so the binding never has to change."),
        upto=3 * c + 10, most=most, most_why=why,
        explanation=(f"{len(seen)}: one per connection ({', '.join(seen)}); all from {', '.join(addrs)}, since "
                     f"the connections share one route cache entry and so one uplink."))
