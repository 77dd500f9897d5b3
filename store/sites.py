"""Which site a command or a question is about: a site named by name or alias, else the only
site in the store, else the configured default; and why there is none when there is none."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable

from sqlalchemy import Connection, select

from common.errors import EMSError, NoSite, SiteNotChosen, UnknownSite
from store.catalog import SiteRef, list_sites, normal_name
from store.schema import Site


def site_names(conn: Connection) -> dict[str, list[str]]:
    """Each site's name with the aliases its catalogue gives it, by name."""
    rows = conn.execute(select(Site.name, Site.profile).order_by(Site.name))
    return {name: list((profile or {}).get("aliases", ())) for name, profile in rows}


def find_site(conn: Connection, text: str) -> SiteRef:
    """A site by its name or an alias, ignoring case, spaces and dashes.

    Raises UnknownSite listing the closest names (or every site) when nothing matches."""
    wanted = text.strip()
    sites = {s.name: s for s in list_sites(conn)}
    if wanted in sites:
        return sites[wanted]
    names = site_names(conn)
    key = normal_name(wanted)
    for name, aliases in names.items():
        if key and key in {normal_name(name), *(normal_name(a) for a in aliases)}:
            return sites[name]
    if not sites:
        raise UnknownSite(f"no site named {wanted!r}; the store has no sites yet")
    by_key = {normal_name(n): n for n in names}
    by_key |= {normal_name(a): n for n, aliases in names.items() for a in aliases}
    close = difflib.get_close_matches(key, list(by_key), n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(dict.fromkeys(by_key[c] for c in close))}? " if close else ""
    raise UnknownSite(f"no site named {wanted!r}; {hint}sites: {', '.join(_listed(sites))}")


def choose_site(conn: Connection, named: str | None, default: str | None) -> SiteRef | None:
    """The site a command or question is about: the one `named` (by name or alias); else the
    only site in the store; else, among several, the `default` (the settings' site); None when
    the store holds no site yet.

    Raises UnknownSite when `named` (or the default, when it is needed) is no site of the
    store, and SiteNotChosen when several sites are held and nothing chose one."""
    if named and named.strip():
        return find_site(conn, named)
    sites = list_sites(conn)
    if not sites:
        return None
    if default and default.strip():
        try:
            return find_site(conn, default)
        except UnknownSite as exc:
            raise UnknownSite(
                f"the default site (EMS_SITE, site in ems.toml) is {default!r}, which the store "
                f"does not hold ({exc}); change the setting or name a site with --site"
            ) from None
    if len(sites) == 1:
        return sites[0]
    raise SiteNotChosen(_listed(s.name for s in sites))


def missing_site(conn: Connection) -> EMSError:
    """Why a turn has no site: the store holds none yet (NoSite, saying how to load data), or
    several and none was chosen (SiteNotChosen, naming them)."""
    sites = list_sites(conn)
    if not sites:
        return NoSite()
    if len(sites) == 1:  # a site arrived since the turn began
        return NoSite(f"site {sites[0].name} was added after this conversation began; ask again")
    return SiteNotChosen(_listed(s.name for s in sites))


def _listed(names: Iterable[str]) -> list[str]:
    """Site names as messages list them: alphabetically, whatever the database's collation."""
    return sorted(names, key=str.casefold)


# Words that follow "site" in a question without naming one ("the site total", "site-wide",
# "the site electricity").
_NOT_A_NAME = frozenset(
    "total totals wide level meter meters energy consumption use usage load demand peak "
    "overall and or in on at for of by to per last this next yesterday today is was has had "
    "used uses use did does do the a an its whole entire "
    # a carrier after "site" is what of the site ("share of the site electricity")
    "electricity electric electrical power gas water heat steam cooling "
    # and what the site holds of its own ("use the site tariff", "the site's floor area")
    "tariff tariffs rate rates price prices cost costs bill bills factor factors area "
    "calendar profile catalogue "
    # and when ("site March so far", "site Feb vs Jan", "site Monday")
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec januar februar märz maerz juni juli "
    "oktober dezember janeiro fevereiro março marco abril maio junho julho agosto setembro "
    "outubro novembro dezembro monday tuesday wednesday thursday friday saturday sunday "
    "mon tue wed thu fri sat sun week weekend month year since from during until so".split()
)
# Words before "site" that make it no name's introduction ("which site used most").
_NOT_NAMING = frozenset("which each every per this our that any whole entire one same".split())
# "site X", "site named X", "site 'Werk Süd'": a site the question names, known or not.
_SITE_PHRASE = re.compile(
    r"(?:\b(\w+)\s+)?\bsite\s+(?P<named>named\s+|called\s+)?"
    r"(?:[\"'\u201c\u2018]([^\"'\u201d\u2019]+)[\"'\u201d\u2019]|([^\W_][\w-]*))",
    re.IGNORECASE,
)


def _plain_word(match: re.Match[str]) -> bool:
    """ "the site hit its peak": after "the site", an unquoted word in lower case not
    introduced by "named" or "called" is the sentence going on, not a name (as "at site
    west" is)."""
    word = match.group(4)
    if word is None or match.group("named"):
        return False
    return word.isalpha() and word.islower()


def site_in_text(
    conn: Connection, text: str, known: Callable[[str], bool] | None = None
) -> SiteRef | None:
    """The site a question names, by its name or an alias (whole words, ignoring case, and
    spaces, dashes or underscores between the words of a name); None when it names none.

    Raises UnknownSite, listing the store's sites, when the question says "site X" and X is
    no site of the store, unless `known` says X is a word of the caller's vocabulary ("site
    kWh since midnight", "site base load": what of the site, not its name)."""
    sites = {s.name: s for s in list_sites(conn)}
    spelled = [(n, n) for n in sites]
    spelled += [(a, n) for n, aliases in site_names(conn).items() for a in aliases]
    for spelling, name in sorted(spelled, key=lambda pair: -len(pair[0])):
        words = [re.escape(w) for w in re.split(r"[\s_-]+", spelling.strip()) if w]
        if words and re.search(r"(?<![\w-])" + r"[\s_-]*".join(words) + r"(?![\w-])", text, re.I):
            return sites[name]
    for match in _SITE_PHRASE.finditer(text):
        before, word = (match.group(1) or "").casefold(), (match.group(3) or match.group(4))
        if before in _NOT_NAMING or (before == "the" and _plain_word(match)):
            continue
        if word.strip().casefold() in _NOT_A_NAME:
            continue
        if match.group(3) is None and known is not None and known(word.casefold()):
            continue  # unquoted and a word the caller reads: the sentence going on
        return find_site(conn, word.strip())  # a name the store does not hold: UnknownSite
    return None
