#!/usr/bin/python3
"""Generates ctid's db/phone/phone_data.c from libphonenumber's metadata.

    gen_phone_data.py PhoneNumberMetadata.xml ShortNumberMetadata.xml OUTPUT.c \\
        --version 9.0.35 --commit 1b411cef61875cdb35e543514eaa499db5893c95

Reads resources/PhoneNumberMetadata.xml and resources/ShortNumberMetadata.xml of a
libphonenumber release and writes the compiled-in region table that db/phone/phone.c and
db/phone/phone_format.c read. db/phone/phone_data.h describes the rows and "digit
patterns"; the header comment written into OUTPUT.c lists how the metadata is rewritten.
In short:

1. Every regex the table needs is parsed (libphonenumber uses a small subset of Java's
   syntax) and, where it only describes finitely many digit prefixes (international and
   trunk prefixes, leading digits, emergency numbers), expanded into its alternatives, each
   a sequence of digit sets. Alternatives differing in one digit set are joined again, and
   the result is written as a digit pattern, "0|0456|04[14]4|0[3579]".
2. The general description becomes the region's shape: its first three digits and how many
   digits may follow.
3. Each <territory> becomes one row of phone_regions; the formats of the main region of each
   calling code become rows of phone_formats.
4. The rows are laid out as the committed file has them.

Nothing is looked up by region name: every field comes from a rule applied to every region
(see the functions of section 3). Python 3 standard library only.
"""

import argparse
import sys
import xml.etree.ElementTree as ET

# ---------------------------------------------------------------------------------------------
# 1. The metadata's regular expressions.
#
# Digits, \d, classes of digits such as [2-57], groups (?:...) and capturing groups (...),
# alternation, the quantifiers ?, {n} and {n,m}, and $. A parsed regex is a list of
# alternatives; an alternative is a list of items (node, lo, hi), the node repeated lo to hi
# times; a node is
#   ('digits', frozenset of '0'..'9')
#   ('group', alternatives, capture index or None)
#   ('end',)                                       for $
# ---------------------------------------------------------------------------------------------

ALL_DIGITS = frozenset('0123456789')


class RegexError(ValueError):
    pass


class _Parser:
    def __init__(self, text):
        self.s = ''.join(text.split())  # the XML indents its patterns
        self.i = 0
        self.groups = 0

    def parse(self):
        alts = self.alternatives()
        if self.i != len(self.s):
            raise RegexError('unexpected %r in %r' % (self.s[self.i], self.s))
        return alts

    def peek(self):
        return self.s[self.i] if self.i < len(self.s) else ''

    def alternatives(self):
        alts = [self.sequence()]
        while self.peek() == '|':
            self.i += 1
            alts.append(self.sequence())
        return alts

    def sequence(self):
        seq = []
        while self.peek() not in ('', '|', ')'):
            node = self.node()
            lo, hi = self.quantifier()
            seq.append((node, lo, hi))
        return seq

    def node(self):
        c = self.peek()
        if c.isdigit():
            self.i += 1
            return ('digits', frozenset(c))
        if c == '\\':
            if self.s[self.i + 1 : self.i + 2] != 'd':
                raise RegexError('unsupported escape in %r' % self.s)
            self.i += 2
            return ('digits', ALL_DIGITS)
        if c == '[':
            end = self.s.index(']', self.i)
            body = self.s[self.i + 1 : end]
            self.i = end + 1
            digits = set()
            k = 0
            while k < len(body):
                if k + 2 < len(body) and body[k + 1] == '-':
                    digits.update(chr(d) for d in range(ord(body[k]), ord(body[k + 2]) + 1))
                    k += 3
                else:
                    digits.add(body[k])
                    k += 1
            if not digits or not digits <= ALL_DIGITS:
                raise RegexError('class [%s] is not of digits' % body)
            return ('digits', frozenset(digits))
        if c == '(':
            if self.s.startswith('(?:', self.i):
                self.i += 3
                index = None
            else:
                self.i += 1
                self.groups += 1
                index = self.groups
            alts = self.alternatives()
            if self.peek() != ')':
                raise RegexError('unbalanced group in %r' % self.s)
            self.i += 1
            return ('group', alts, index)
        if c == '$':
            self.i += 1
            return ('end',)
        raise RegexError('unsupported %r in %r' % (c, self.s))

    def quantifier(self):
        c = self.peek()
        if c == '?':
            self.i += 1
            return 0, 1
        if c == '{':
            end = self.s.index('}', self.i)
            lo, comma, hi = self.s[self.i + 1 : end].partition(',')
            self.i = end + 1
            if not comma:
                return int(lo), int(lo)
            if not hi:
                raise RegexError('unbounded repeat in %r' % self.s)
            return int(lo), int(hi)
        return 1, 1


def parse_regex(text):
    return _Parser(text).parse()


def top_alternatives(text):
    """The top-level alternatives of a regex, as regex text."""
    text = ''.join(text.split())
    out, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == '(':
            depth += 1
        elif c == ')':
            depth -= 1
        elif c == '|' and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return out


# ---------------------------------------------------------------------------------------------
# Digit patterns (db/phone/phone_data.h): a finite regex as its alternatives, each a tuple of digit
# sets ("atoms"); written "[2-57]", "." (any digit) or the digit, alternatives sorted and
# joined by '|'.
# ---------------------------------------------------------------------------------------------


def expand(alts, limit=None, stop_group=None, length=None):
    """Every way through a parsed regex, as tuples of atoms, in the order met, once each.

    Repeats are taken at every count they allow; "$" matches nothing.
    limit:      cut each way after that many atoms (the prefixes of that length; shorter
                ways are kept whole).
    stop_group: a way ends where it would enter the capturing group of that index.
    length:     keep only the ways of exactly that many atoms.
    """
    out, seen = [], set()

    def add(path):
        if (length is None or len(path) == length) and path not in seen:
            seen.add(path)
            out.append(path)

    def cut(prefix):
        if length is not None and len(prefix) > length:
            return True
        if limit is not None and len(prefix) >= limit:
            add(prefix[:limit])
            return True
        return False

    def walk_alts(alt_list, prefix, cont):
        for seq in alt_list:
            walk_seq(seq, 0, prefix, cont)

    def walk_seq(seq, k, prefix, cont):
        if cut(prefix):
            return
        if k == len(seq):
            cont(prefix)
            return
        node, lo, hi = seq[k]
        for count in range(lo, hi + 1):
            walk_repeat(node, count, prefix, lambda p: walk_seq(seq, k + 1, p, cont))

    def walk_repeat(node, count, prefix, cont):
        if cut(prefix):
            return
        if count == 0:
            cont(prefix)
        elif node[0] == 'digits':
            walk_repeat(node, count - 1, prefix + (node[1],), cont)
        elif node[0] == 'end':
            walk_repeat(node, count - 1, prefix, cont)
        elif stop_group is not None and node[2] == stop_group:
            add(prefix)
        else:
            walk_alts(node[1], prefix, lambda p: walk_repeat(node, count - 1, p, cont))

    walk_alts(alts, (), add)
    return out


def merge_atoms(paths):
    """Joins alternatives that differ in one atom only: 204 and 604 become [26]04.

    The positions are taken once each, from the first to the last: at position i, the
    alternatives of one length that are equal everywhere but at i become one, with the union
    of their atoms at i. (The order matters: CA's 604 joins 204 at the first position before
    600 could claim it at the last, giving [26]04 and 600.)
    """
    paths = list(dict.fromkeys(paths))
    longest = max((len(p) for p in paths), default=0)
    for i in range(longest):
        groups = {}
        for p in paths:
            key = (len(p), p[:i], p[i + 1 :]) if len(p) > i else (len(p), p, None)
            groups.setdefault(key, []).append(p)
        merged = []
        for (n, head, tail), members in groups.items():
            if tail is None:
                merged.append(head)
            else:
                merged.append(head + (frozenset().union(*(m[i] for m in members)),) + tail)
        paths = list(dict.fromkeys(merged))
    return paths


def atom_str(atom):
    if atom == ALL_DIGITS:
        return '.'
    digits = sorted(atom)
    if len(digits) == 1:
        return digits[0]
    out, k = [], 0
    while k < len(digits):
        j = k
        while j + 1 < len(digits) and ord(digits[j + 1]) == ord(digits[j]) + 1:
            j += 1
        if j - k >= 2:  # three or more in a row: a range
            out.append(digits[k] + '-' + digits[j])
        else:
            out.extend(digits[k : j + 1])
        k = j + 1
    return '[' + ''.join(out) + ']'


def path_str(path):
    return ''.join(atom_str(a) for a in path)


def digit_pattern(paths):
    """The digit pattern of some alternatives (empty ones dropped), or None if none is left."""
    paths = [p for p in paths if p]
    if not paths:
        return None
    return '|'.join(sorted(set(path_str(p) for p in merge_atoms(paths))))


def pattern_of(regex, **kw):
    return digit_pattern(expand(parse_regex(regex), **kw))


def _concrete(path):
    """The digit strings an alternative stands for."""
    out = ['']
    for atom in path:
        out = [s + d for s in out for d in sorted(atom)]
    return out


def may_begin_with(regex, digits):
    """Whether some number a regex matches begins with the digit string digits."""
    for path in expand(parse_regex(regex), limit=len(digits)):
        if len(path) == len(digits) and all(d in a for d, a in zip(digits, path)):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# 2. Shapes: the general description cut down to its first three digits and the number of
# digits that may follow, "[2-9]...{7}" (three atoms, then 7 more digits).
# ---------------------------------------------------------------------------------------------

SHAPE_DIGITS = 3


def shape_paths(alts):
    """Every way through a parsed regex as a list of (atom, lo, hi) runs. A repeated digit set
    stays one run with its range ("\\d{5,7}"); a repeated or optional group gives one way per
    count ("(?:\\d{2})?" gives a way without it and one with it)."""
    out = []

    def walk_alts(alt_list, prefix, cont):
        for seq in alt_list:
            walk_seq(seq, 0, prefix, cont)

    def walk_seq(seq, k, prefix, cont):
        if k == len(seq):
            cont(prefix)
            return
        node, lo, hi = seq[k]
        nxt = lambda p: walk_seq(seq, k + 1, p, cont)
        if node[0] == 'digits':
            nxt(prefix + [(node[1], lo, hi)])
        elif node[0] == 'end':
            nxt(prefix)
        else:
            for count in range(lo, hi + 1):
                walk_group(node, count, prefix, nxt)

    def walk_group(node, count, prefix, cont):
        if count == 0:
            cont(prefix)
        else:
            walk_alts(node[1], prefix, lambda p: walk_group(node, count - 1, p, cont))

    walk_alts(alts, [], out.append)
    return out


def shape_cut(runs):
    """One way through the general description as (first three atoms, lo, hi): the digits
    after the third, whatever they are, only counted."""
    results = []

    def go(k, atoms, lo, hi):
        if k == len(runs):
            results.append((tuple(atoms), lo, hi))
            return
        atom, rlo, rhi = runs[k]
        need = SHAPE_DIGITS - len(atoms)
        if need == 0:
            go(k + 1, atoms, lo + rlo, hi + rhi)
            return
        # A run that may end before the third digit: one way per count that does.
        for count in range(rlo, min(rhi, need - 1) + 1):
            go(k + 1, atoms + [atom] * count, lo, hi)
        if rhi >= need:
            go(k + 1, atoms + [atom] * need, lo + max(rlo - need, 0), hi + rhi - need)

    go(0, [], 0, 0)
    return results


def shape_of(regex):
    cuts = []
    for runs in shape_paths(parse_regex(regex)):
        for c in shape_cut(runs):
            if c not in cuts:
                cuts.append(c)
    # Ways with the same first three atoms join their ranges where these meet or overlap:
    # "[126]...{4}" and "[126]...{5}" become "[126]...{4,5}"; {4} and {6,9} stay apart.
    by_atoms = {}
    for atoms, lo, hi in cuts:
        by_atoms.setdefault(atoms, []).append((lo, hi))
    joined = []
    for atoms, ranges in by_atoms.items():
        ranges.sort()
        cur = list(ranges[0])
        for lo, hi in ranges[1:]:
            if lo <= cur[1] + 1:
                cur[1] = max(cur[1], hi)
            else:
                joined.append((atoms, cur[0], cur[1]))
                cur = [lo, hi]
        joined.append((atoms, cur[0], cur[1]))
    # Then ways equal but for the third atom, with the same range, are one: "430.{4,10}" and
    # "435.{4,10}" become "43[05].{4,10}". The first two atoms are not joined ("4...{5}"
    # and "[19]...{5}" stay apart).
    by_rest = {}
    for atoms, lo, hi in joined:
        by_rest.setdefault((atoms[:-1], lo, hi), set()).update(atoms[-1])
    alts = set()
    for (head, lo, hi), last in by_rest.items():
        count = '{%d}' % lo if lo == hi else '{%d,%d}' % (lo, hi)
        alts.add(path_str(head + (frozenset(last),)) + '.' + count)
    return '|'.join(sorted(alts))


# ---------------------------------------------------------------------------------------------
# 3. The metadata, and the fields of a row.
# ---------------------------------------------------------------------------------------------

# The number types of a territory, in the order of the metadata's schema.
NUMBER_TYPES = (
    'fixedLine',
    'mobile',
    'pager',
    'tollFree',
    'premiumRate',
    'sharedCost',
    'personalNumber',
    'voip',
    'uan',
    'voicemail',
    'noInternationalDialling',
)


def parse_lengths(text):
    """'[6-8],10,12' as a set of ints; '-1' (no number of that type) as the empty set."""
    out = set()
    for part in (text or '').split(','):
        part = part.strip()
        if part.startswith('['):
            lo, hi = part[1:-1].split('-')
            out.update(range(int(lo), int(hi) + 1))
        elif part and int(part) >= 0:
            out.add(int(part))
    return out


def squash(text):
    return ''.join(text.split()) if text is not None else None


class Territory:
    """The facts of one <territory> of PhoneNumberMetadata.xml."""

    def __init__(self, el):
        self.iso = el.get('id')
        self.cc = int(el.get('countryCode'))
        self.main = el.get('mainCountryForCode') == 'true'
        self.idd = squash(el.get('internationalPrefix'))
        self.np = el.get('nationalPrefix')
        self.np_parse = squash(el.get('nationalPrefixForParsing'))
        self.np_transform = el.get('nationalPrefixTransformRule')
        self.leading_digits = squash(el.get('leadingDigits'))
        self.general = squash(el.find('generalDesc/nationalNumberPattern').text)
        self.types = {}  # name -> (pattern, national lengths, local-only lengths)
        for name in NUMBER_TYPES:
            t = el.find(name)
            if t is None:
                continue
            pattern = t.find('nationalNumberPattern')
            pl = t.find('possibleLengths')
            self.types[name] = (
                squash(pattern.text) if pattern is not None else None,
                parse_lengths(pl.get('national')) if pl is not None else set(),
                parse_lengths(pl.get('localOnly')) if pl is not None else set(),
            )
        self.formats = el.findall('availableFormats/numberFormat')

    def dialled_types(self):
        """(name, (pattern, national, local)) of the number types that can be dialled from
        abroad: all but noInternationalDialling."""
        return [
            (name, t)
            for name, t in self.types.items()
            if name != 'noInternationalDialling' and t[0] is not None
        ]


def leading_zero(t):
    """PHONE_REGION_LEADING_ZERO: there is no national prefix, and national numbers may
    begin with 0 (IT, and a "(0)" written in +39 (0)6 ... is a digit)."""
    return t.np is None and may_begin_with(t.general, '0')


def lengths_fields(t):
    """(lengths, local): the national and the local-only possible lengths, each the union
    over the number types without noInternationalDialling."""
    national, local = set(), set()
    for _, (_, n, l) in t.dialled_types():
        national |= n
        local |= l
    return national, local


def idd_field(t):
    """internationalPrefix as a digit pattern.

    Where 810 is dialled (the Soviet "8, tone, 10") and national numbers never begin with 0,
    00 is added: a number dialled with 00 can only be international there, as it is in
    most of the world (BY, KZ, RU, TM; not TJ, whose numbers may begin with 0).
    """
    if t.idd is None:
        return None
    paths = expand(parse_regex(t.idd))
    eight_ten = tuple(frozenset(d) for d in '810')
    zero_zero = tuple(frozenset(d) for d in '00')
    if eight_ten in paths and zero_zero not in paths and not may_begin_with(t.general, '0'):
        paths.append(zero_zero)
    return digit_pattern(paths)


def np_parse_fields(t):
    """(np_parse, local_rule, local_add) from nationalPrefixForParsing and its transform rule.

    Each top-level alternative of nationalPrefixForParsing is read as follows.
    - "(X)$" with a transform rule "D$1" that writes digits D before the group is a local
      number that D completes (AG: 7 digits X become 268 and X): local_rule is X, local_add
      is D.
    - Otherwise the alternative is a prefix to strip. A transform rule keeps the capturing
      group it names ($1, $2) as the national number, so the prefix ends where that group
      begins. This is the simplification phone_data.h states for BR, JP and AR: BR keeps
      (0|90) with its optional carrier code and loses (\\d{10,11}); JP's whole-number
      alternative (000[2569]\\d{4,6})$ leaves nothing; AR's 0?(...15)? leaves 0, its mobile
      "15" infix not rewritten.
    - In a region without a national prefix, a prefix that the region's own national numbers
      may begin with is not stripped (GA: 0 is kept, numbers beginning with 0 being valid
      as they are).
    np_parse is None where nothing is left or the metadata has no nationalPrefixForParsing.
    """
    if t.np_parse is None:
        return None, None, None
    transform = t.np_transform or ''
    added, kept_group = '', None
    if '$' in transform:
        added = transform[: transform.index('$')]
        kept_group = int(transform[transform.index('$') + 1])
    paths, local_rule, local_add = [], None, None
    for alt in top_alternatives(t.np_parse):
        tree = parse_regex(alt)
        seq = tree[0] if len(tree) == 1 else []
        local = (
            len(seq) == 2
            and seq[0][0][0] == 'group'
            and seq[0][0][2] is not None
            and seq[0][1:] == (1, 1)
            and seq[1][0] == ('end',)
        )
        if local and added:
            local_rule = digit_pattern(expand(seq[0][0][1]))
            local_add = added
            continue
        paths.extend(expand(tree, stop_group=kept_group))
    paths = [p for p in paths if p]
    if t.np is None:
        paths = [
            p for p in paths if not any(may_begin_with(t.general, s) for s in _concrete(p))
        ]
    return digit_pattern(paths), local_rule, local_add


def national_also_field(t, local):
    """The national numbers of a length that is also a local-only length (CA's 310xxxx, GB's
    8001111): each number type's pattern at each of its national lengths that is local-only
    for some type, expanded whole."""
    paths = []
    for _, (pattern, national, _) in t.dialled_types():
        for n in sorted(national & local):
            paths.extend(expand(parse_regex(pattern), length=n))
    return digit_pattern(paths)


LEADING_DIGITS = range(3, 6)  # prefixes of 3 to 5 digits


def prefixes_of(t, n):
    """The n-digit strings the numbers of t's number types may begin with."""
    out = set()
    for _, (pattern, _, _) in t.dialled_types():
        for path in expand(parse_regex(pattern), limit=n):
            if len(path) == n:
                out.update(_concrete(path))
    return out


def derived_leading(t, main):
    """The prefixes telling t apart from the main region of its calling code, where the
    metadata has no leadingDigits for t (CA, GG, JE, CC, CX, YT, BL, MF).

    The patterns of t's number types are cut to their first n digits, n = 3, 4, 5, their
    alternatives kept as the metadata writes them (CA's 2(?:04|[23]6|...) gives 204 and
    2[23]6). An alternative is t's own when no number of the main region's number types
    begins with any of the digit strings it stands for. The leading prefixes are t's own
    alternatives at the first n that has any; the others, shared with the main region at
    that length, are left to the main region. EH, all of whose prefixes are MA's, has none.
    """
    for n in LEADING_DIGITS:
        main_prefixes = prefixes_of(main, n)
        own = []
        for _, (pattern, _, _) in t.dialled_types():
            for path in expand(parse_regex(pattern), limit=n):
                if len(path) == n and not any(s in main_prefixes for s in _concrete(path)):
                    own.append(path)
        if own:
            return digit_pattern(own)
    return None


def emergency_field(short):
    """The emergency numbers of ShortNumberMetadata.xml, as a whole-number digit pattern."""
    el = short.find('emergency/nationalNumberPattern') if short is not None else None
    return pattern_of(el.text) if el is not None else None


def format_row(t, nf):
    """(pattern, format, intl, np_rule, leading) of a <numberFormat>: intlFormat as it is
    ("NA" included), nationalPrefixFormattingRule with $NP filled in and $FG written as $1,
    and the last leadingDigits, the most precise one."""
    intl = nf.find('intlFormat')
    rule = nf.get('nationalPrefixFormattingRule')
    if rule is not None:
        rule = rule.replace('$NP', t.np or '').replace('$FG', '$1')
    leading = nf.findall('leadingDigits')
    return (
        nf.get('pattern'),
        nf.find('format').text,
        intl.text if intl is not None else None,
        rule,
        pattern_of(leading[-1].text) if leading else None,
    )


class Region:
    """One row of phone_regions, with the formats it carries."""

    def __init__(self, t, territories, shorts):
        group = [x for x in territories if x.cc == t.cc]
        shared = len(group) > 1
        main = next((x for x in group if x.main), None) if shared else t
        self.iso = t.iso
        self.cc = t.cc
        self.main = t.main
        flags = []
        if t.main:
            flags.append('PHONE_REGION_MAIN')
        if leading_zero(t):
            flags.append('PHONE_REGION_LEADING_ZERO')
        self.flags = ' | '.join(flags) or None
        self.shape = shape_of(t.general)
        self.lengths, self.local = lengths_fields(t)
        self.idd = idd_field(t)
        self.np = t.np
        self.np_parse, self.local_rule, self.local_add = np_parse_fields(t)
        self.national_also = national_also_field(t, self.local)
        if t.leading_digits is not None:
            self.leading = pattern_of(t.leading_digits)
        elif shared and main is not t:
            self.leading = derived_leading(t, main)
        else:
            self.leading = None
        self.emergency = emergency_field(shorts.get(t.iso))
        # libphonenumber formats every number of a calling code with its main region's rules.
        self.formats = [format_row(t, nf) for nf in t.formats] if main is t else []
        self.fmt_first = 0

    def sort_key(self):
        # By iso; the non-geographic entries ("001") first, by calling code.
        return (0, self.cc, '') if self.iso == '001' else (1, 0, self.iso)


def build(phone_xml, short_xml):
    territories = [Territory(el) for el in ET.parse(phone_xml).getroot().iter('territory')]
    shorts = {el.get('id'): el for el in ET.parse(short_xml).getroot().iter('territory')}
    regions = sorted((Region(t, territories, shorts) for t in territories), key=Region.sort_key)
    first = 0
    for r in regions:
        r.fmt_first = first
        first += len(r.formats)
    return regions


# ---------------------------------------------------------------------------------------------
# 4. Writing the C file, laid out as the committed one is.
# ---------------------------------------------------------------------------------------------

LINE_WIDTH = 100  # columns of a line, a tab being 8
ALONE_WIDTH = 96  # columns for a field of a region row alone on its line, before it is cut
PIECE_CHARS = 72  # characters of each string literal a long digit pattern is cut into
CC_ORDER_CHARS = 87  # characters of a line of phone_cc_order after its tab

HEADER = '''\
/*
 * The phone number region table. GENERATED; do not edit by hand.
 *
 * Source: libphonenumber (https://github.com/google/libphonenumber), release {version},
 * commit {commit}:
 * resources/PhoneNumberMetadata.xml for calling codes, prefixes, possible lengths and
 * formats; resources/ShortNumberMetadata.xml for emergency numbers.
 * That metadata is published under the Apache License 2.0; only its facts are kept here,
 * rewritten into the plain data below by db/phone/gen_phone_data.py (`ninja -C build
 * phone-data` runs it).
 *
 * How the facts were rewritten:
 * - Finite patterns (international and trunk prefixes, leading digits, emergency numbers)
 *   are expanded into "digit patterns" (see phone_data.h) so no regex runs when parsing.
 * - Possible lengths are the union over the number types, without noInternationalDialling,
 *   as libphonenumber's own build derives the general description.
 * - shape is the general description's nationalNumberPattern cut down to its first three
 *   digits and the number of digits that may follow each.
 * - nationalPrefixFormattingRule has $NP filled in and $FG written as $1.
 * - Regions dialling 810 whose national numbers never begin with 0 also accept 00.
 * - Formats are kept for the main region of each calling code only: libphonenumber
 *   formats every number with the main region's rules.
 * - BR, JP, GA and AR national prefix parsing rules are simplified (see phone_data.h).
 * - CA, GG, JE, CC, CX, YT, BL and MF have no leadingDigits in the metadata; the prefixes
 *   that tell them apart from the main region of their code were derived from the
 *   patterns of their number types (first 3 to 5 digits not valid for the main region).
 */

#include <stdint.h>

#include "phone_data.h"

/* The rows are laid out by the generator. */
/* clang-format off */
'''


def columns(line):
    return len(line.expandtabs(8))


def c_string(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def c_value(v):
    return 'NULL' if v is None else c_string(v)


def mask_expr(bits):
    """A set of lengths as B(n) for single ones and R(a, b) for runs of three or more."""
    runs = []
    for n in sorted(bits):
        if runs and runs[-1][1] == n - 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    parts = []
    for a, b in runs:
        if b - a >= 2:
            parts.append('R(%d, %d)' % (a, b))
        else:
            parts.extend('B(%d)' % n for n in range(a, b + 1))
    return ' | '.join(parts) or None


def cut_pattern(s):
    """A digit pattern cut after a '|' into pieces of at most PIECE_CHARS characters."""
    pieces, cur = [], ''
    alts = s.split('|')
    for k, alt in enumerate(alts):
        piece = alt + ('|' if k < len(alts) - 1 else '')
        if cur and len(cur) + len(piece) > PIECE_CHARS:
            pieces.append(cur)
            cur = ''
        cur += piece
    return pieces + [cur]


def format_lines(row):
    """A phone_formats row: one line if it fits, else the leading digits on lines of their
    own, in pieces."""
    fields = [c_value(v) for v in row]
    one = '\t{' + ', '.join(fields) + '},'
    if columns(one) <= LINE_WIDTH:
        return [one]
    pieces = cut_pattern(row[4])
    return (
        ['\t{' + ', '.join(fields[:4]) + ',']
        + ['\t\t' + c_string(p) for p in pieces[:-1]]
        + ['\t\t' + c_string(pieces[-1]) + '},']
    )


def region_lines(r):
    """A phone_regions row: designated initializers filled into lines of LINE_WIDTH. A
    field that does not fit on the current line starts the next one; a digit pattern that
    does not fit on a line of its own within ALONE_WIDTH is cut into pieces, and the next
    field starts a new line."""
    items = [('iso', c_string(r.iso), None), ('cc', str(r.cc), None)]
    if r.flags:
        items.append(('flags', r.flags, None))
    items.append(('shape', c_string(r.shape), r.shape))
    for key in ('lengths', 'local'):
        if getattr(r, key):
            items.append((key, mask_expr(getattr(r, key)), None))
    for key in (
        'idd',
        'np',
        'np_parse',
        'national_also',
        'local_rule',
        'local_add',
        'leading',
        'emergency',
    ):
        value = getattr(r, key)
        if value is not None:
            items.append((key, c_string(value), value))
    if r.formats:
        items.append(('fmt_first', str(r.fmt_first), None))
        items.append(('fmt_count', str(len(r.formats)), None))

    lines, cur, empty = [], '\t{', True
    for k, (key, text, pattern) in enumerate(items):
        tail = '},' if k == len(items) - 1 else ','
        item = '.%s = %s%s' % (key, text, tail)
        if columns(cur + ('' if empty else ' ') + item) <= LINE_WIDTH:
            cur, empty = cur + ('' if empty else ' ') + item, False
            continue
        if not empty:
            lines.append(cur)
            cur, empty = '\t ', True
        if columns(cur + item) <= ALONE_WIDTH or pattern is None:
            cur, empty = cur + item, False
            continue
        pieces = cut_pattern(pattern)
        lines.append(cur + '.%s = %s' % (key, c_string(pieces[0])))
        lines.extend('\t\t' + c_string(p) for p in pieces[1:-1])
        lines.append('\t\t' + c_string(pieces[-1]) + tail)
        cur, empty = '\t ', True
    if not empty:
        lines.append(cur)
    return lines


def cc_order_lines(indices):
    lines, cur = [], ''
    for i in indices:
        item = '%d,' % i
        if cur and len(cur) + 1 + len(item) > CC_ORDER_CHARS:
            lines.append('\t' + cur)
            cur = ''
        cur = cur + ' ' + item if cur else item
    return lines + ['\t' + cur]


def render(regions, version, commit):
    out = [HEADER.format(version=version, commit=commit).rstrip('\n')]
    out.append('const struct phone_format phone_formats[] = {')
    for r in regions:
        if r.formats:
            out.append('\t/* %s +%d */' % (r.iso, r.cc))
            for row in r.formats:
                out.extend(format_lines(row))
    out += [
        '};',
        '',
        'const size_t phone_formats_len = sizeof(phone_formats) / sizeof(phone_formats[0]);',
        '',
        '/* Bit n, and bits a to b, of a length or digit mask. */',
        '#define B(n)    (UINT32_C(1) << (n))',
        '#define R(a, b) ((UINT32_C(2) << (b)) - (UINT32_C(1) << (a)))',
        '',
        'const struct phone_region phone_regions[] = {',
    ]
    for r in regions:
        out.extend(region_lines(r))
    out += [
        '};',
        '',
        'const size_t phone_regions_len = sizeof(phone_regions) / sizeof(phone_regions[0]);',
        '',
        '/* Indices into phone_regions by calling code, the main region of a shared code'
        ' first. */',
        'const uint16_t phone_cc_order[] = {',
    ]
    order = sorted(range(len(regions)), key=lambda i: (regions[i].cc, not regions[i].main, i))
    out.extend(cc_order_lines(order))
    out += ['};', '/* clang-format on */']
    return '\n'.join(out) + '\n'


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generates ctid's db/phone/phone_data.c.")
    ap.add_argument('phone_xml', help='resources/PhoneNumberMetadata.xml')
    ap.add_argument('short_xml', help='resources/ShortNumberMetadata.xml')
    ap.add_argument('output', help='the C file to write (db/phone/phone_data.c)')
    ap.add_argument('--version', required=True, help='the libphonenumber release: 9.0.35')
    ap.add_argument('--commit', required=True, help='the commit the two files come from')
    args = ap.parse_args(argv)
    text = render(build(args.phone_xml, args.short_xml), args.version, args.commit)
    with open(args.output, 'w', encoding='utf-8', newline='\n') as f:
        f.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
