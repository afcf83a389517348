"""A small SPARQL 1.1 tokenizer and the structure of a query that the remote store rewrites.

The remote store (:mod:`loader.remote`) sends query *text* to another engine, so it needs a few facts
about that text that pyoxigraph does not expose: where each ``SELECT`` (the query and its subqueries)
projects, groups and orders; where the prologue ends; where a dataset clause would go. This module
finds them from tokens (strings, IRIs, comments and variables are recognised exactly, so nothing inside
a string or a comment is ever taken for syntax). It does not validate: callers parse the query with
pyoxigraph first, so the text is known to be valid SPARQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NAME = "A-Za-z0-9_\u00b7\u00c0-\U000effff"
# Linear time on any text, valid or not (the server tokenizes long queries before the engine sees them):
# every repetition is possessive (*+, no backtracking), a string that is not closed runs to the end of
# its line (a long string: to the end of the text) instead of failing after a scan to the end, and a
# name is read in one go, its prefix part to the colon if there is one (a run with no colon, such as
# "a.b", is then read piece by piece by tokenize(), as the grammar reads it).
_TOKEN = re.compile(rf"""
  (?P<ws>\s+)
| (?P<comment>\#[^\n]*)
| (?P<string>'''(?:[^'\\]|\\.|'(?!''))*+(?:'''|\\?\Z)|\"\"\"(?:[^"\\]|\\.|"(?!""))*+(?:\"\"\"|\\?\Z)
            |'(?:[^'\\\n\r]|\\.)*+(?:'|(?=[\n\r])|\\?\Z)|"(?:[^"\\\n\r]|\\.)*+(?:"|(?=[\n\r])|\\?\Z))
| (?P<iri><[^<>"{{}}|^`\\\x00-\x20]*+>)
| (?P<var>[?$][{_NAME}]++)
| (?P<lang>@[A-Za-z]++(?:-[A-Za-z0-9]++)*+)
| (?P<number>[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)
| (?P<word>[A-Za-z_\u00c0-\U000effff][{_NAME}.\-]*+(?::(?:[{_NAME}.\-:%]|\\\S)*+)?|:(?:[{_NAME}.\-:%]|\\\S)*+)
| (?P<punct>\^\^|&&|\|\||!=|<=|>=|.)
""", re.X | re.S)

FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
MODIFIERS = ("GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "VALUES")


@dataclass
class Token:
    kind: str        # ws comment string iri var lang number word punct
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else self.text

    @property
    def name(self) -> str:
        """A variable's name without ``?`` / ``$``."""
        return self.text[1:]


# Inside a run of name characters that holds no colon (read by _TOKEN as one word so that it is read
# once), the tokens the grammar makes of it: numbers, plain words and single characters.
_PLAIN = re.compile(r"(?P<number>[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)|(?P<word>[A-Za-z_][A-Za-z0-9_\-]*+)|(?P<punct>.)",
                    re.S)
_PLAIN_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    pos, plain_end = 0, 0
    while pos < len(text):
        m = _PLAIN.match(text, pos) if pos < plain_end else _TOKEN.match(text, pos)
        kind, value = m.lastgroup, m.group()
        if kind == "word" and pos >= plain_end and ":" not in value and not _PLAIN_WORD.fullmatch(value):
            plain_end = m.end()               # "a.b", "é1": read piece by piece
            continue
        pos = m.end()
        if kind == "word" and ":" in value and value.endswith("."):
            stripped = value.rstrip(".")        # a prefixed name never ends with "." (it ends a triple)
            out.append(Token(kind, stripped))
            out.extend(Token("punct", ".") for _ in range(len(value) - len(stripped)))
            continue
        out.append(Token(kind, value))
    return out


def render(tokens: list[Token]) -> str:
    return "".join(t.text for t in tokens)


def significant(tokens: list[Token], i: int, step: int) -> int | None:
    """Index of the next (step=1) or previous (step=-1) token that is not space or comment."""
    i += step
    while 0 <= i < len(tokens):
        if tokens[i].kind not in ("ws", "comment"):
            return i
        i += step
    return None


def matching(tokens: list[Token], i: int) -> int:
    """Index of the bracket closing the one at ``i`` (``(`` or ``{`` or ``[``)."""
    opening = tokens[i].text
    closing = {"(": ")", "{": "}", "[": "]"}[opening]
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].kind != "punct":
            continue
        if tokens[j].text == opening:
            depth += 1
        elif tokens[j].text == closing:
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1


@dataclass
class Clause:
    """A solution modifier of one SELECT: ``keyword`` and its token span [start, end)."""

    keyword: str
    start: int
    end: int


@dataclass
class Scope:
    """One SELECT (the query itself or a subquery) and the spans of its parts."""

    start: int                       # the SELECT token
    end: int                         # one past its last token
    parent: int | None               # index of the enclosing scope in Query.scopes
    projection: tuple[int, int]      # [start, end) of the projection (after SELECT, DISTINCT/REDUCED)
    star: bool = False
    distinct: bool = False
    projected: dict[str, int] = field(default_factory=dict)   # bare variable -> token index
    names: list[str] = field(default_factory=list)            # every column: bare and (... AS ?v)
    group: tuple[int, int] = (0, 0)                           # the WHERE group's { .. } indices
    clauses: list[Clause] = field(default_factory=list)

    def clause(self, keyword: str) -> Clause | None:
        return next((c for c in self.clauses if c.keyword == keyword), None)

    def in_clause(self, i: int) -> Clause | None:
        return next((c for c in self.clauses if c.start <= i < c.end), None)


@dataclass
class Query:
    tokens: list[Token]
    form: str
    form_index: int
    prefixes: dict[str, str]
    scopes: list[Scope]

    def scope_of(self, i: int) -> int | None:
        """The innermost SELECT scope holding token ``i``."""
        best = None
        for n, s in enumerate(self.scopes):
            if s.start <= i < s.end and (best is None or s.start > self.scopes[best].start):
                best = n
        return best

    @property
    def top(self) -> Scope | None:
        return self.scopes[0] if self.scopes and self.scopes[0].parent is None and self.form == "SELECT" else None

    def prologue(self) -> str:
        return render(self.tokens[:self.form_index])


def analyse(text: str) -> Query:
    tokens = tokenize(text)
    prefixes: dict[str, str] = {}
    form_index = len(tokens)
    form = ""
    for i, t in enumerate(tokens):
        if t.kind == "word" and t.upper in FORMS:
            form, form_index = t.upper, i
            break
        if t.kind == "word" and t.upper == "PREFIX":
            j = significant(tokens, i, 1)
            k = significant(tokens, j, 1) if j is not None else None
            if j is not None and k is not None and tokens[k].kind == "iri":
                prefixes[tokens[j].text[:-1]] = tokens[k].text[1:-1]
    scopes: list[Scope] = []
    depth = 0
    stack: list[tuple[int, int]] = []            # (brace depth of the scope's own level, scope index)
    for i, t in enumerate(tokens):
        if t.kind == "punct" and t.text == "{":
            depth += 1
        elif t.kind == "punct" and t.text == "}":
            depth -= 1
            while stack and stack[-1][0] > depth:
                n = stack.pop()[1]
                scopes[n].end = i
        elif t.kind == "word" and t.upper == "SELECT":
            parent = stack[-1][1] if stack else None
            scopes.append(_scope(tokens, i, parent))
            stack.append((depth, len(scopes) - 1))
    for level, n in stack:
        scopes[n].end = len(tokens)
    for s in scopes:
        _clauses(tokens, s)
    return Query(tokens, form, form_index, prefixes, scopes)


def _scope(tokens: list[Token], i: int, parent: int | None) -> Scope:
    j = significant(tokens, i, 1)
    distinct = False
    if j is not None and tokens[j].upper in ("DISTINCT", "REDUCED"):
        distinct = True
        j = significant(tokens, j, 1)
    start = j if j is not None else len(tokens)
    k, paren, projected, star, names, last = start, 0, {}, False, [], None
    while k < len(tokens):
        t = tokens[k]
        if paren == 0 and (t.upper in ("WHERE", "FROM") or (t.kind == "punct" and t.text == "{")):
            break
        if t.kind == "punct" and t.text == "(":
            paren += 1
        elif t.kind == "punct" and t.text == ")":
            paren -= 1
        elif t.kind == "punct" and t.text == "*" and paren == 0:
            star = True
        elif t.kind == "var" and paren == 0:
            projected.setdefault(t.name, k)
            names.append(t.name)
        elif t.kind == "var" and last is not None and last.upper == "AS":
            names.append(t.name)
        if t.kind not in ("ws", "comment"):
            last = t
        k += 1
    scope = Scope(start=i, end=len(tokens), parent=parent, projection=(start, k), star=star,
                  distinct=distinct, projected=projected, names=names)
    g = k
    while g < len(tokens) and not (tokens[g].kind == "punct" and tokens[g].text == "{"):
        g += 1
    scope.group = (g, matching(tokens, g) if g < len(tokens) else g)
    return scope


def _clauses(tokens: list[Token], s: Scope) -> None:
    """The solution modifiers after the scope's WHERE group (at the scope's own bracket level)."""
    marks: list[tuple[str, int]] = []
    i, depth = s.group[1] + 1, 0
    while i < s.end:
        t = tokens[i]
        if t.kind == "punct" and t.text in "({[":
            depth += 1
        elif t.kind == "punct" and t.text in ")}]":
            depth -= 1
        elif depth == 0 and t.kind == "word" and t.upper in MODIFIERS:
            marks.append((t.upper, i))
        i += 1
    for n, (keyword, start) in enumerate(marks):
        end = marks[n + 1][1] if n + 1 < len(marks) else s.end
        s.clauses.append(Clause(keyword, start, end))


def resolve(tokens: list[Token], i: int, prefixes: dict[str, str]) -> str | None:
    """The IRI a token names (``<iri>`` or ``prefix:local``), or None."""
    t = tokens[i]
    if t.kind == "iri":
        return t.text[1:-1]
    if t.kind == "word" and ":" in t.text and not t.text.startswith("_:"):
        prefix, _, local = t.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + local
    return None


def dataset_position(q: Query) -> int | None:
    """Where ``FROM`` clauses go in the top-level query; None if it already has a dataset clause."""
    t = q.tokens
    i = significant(t, q.form_index, 1)
    if q.form == "CONSTRUCT" and i is not None and t[i].text == "{":
        i = significant(t, matching(t, i), 1)
    elif q.form == "SELECT" and q.scopes:
        i = q.scopes[0].projection[1]
    depth = 0
    while i is not None and i < len(t):
        tok = t[i]
        if depth == 0 and tok.upper == "FROM":
            return None
        if depth == 0 and (tok.upper in ("WHERE",) + MODIFIERS or tok.text == "{"):
            return i
        if tok.kind == "punct" and tok.text in "([":
            depth += 1
        elif tok.kind == "punct" and tok.text in ")]":
            depth -= 1
        i += 1
    return len(t)


def variables_in(tokens: list[Token], start: int, end: int) -> set[str]:
    return {t.name for t in tokens[start:end] if t.kind == "var"}


# ---------------------------------------------------------------- lexical guards (no parse needed)
# The server checks hostile text before the engine sees it, and the library refuses SERVICE for its own
# queries too; both use these. ``blank`` keeps the text's length so positions still match.

IRIREF = _IRIREF = re.compile(r"<(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>")   # UCHAR escapes too
_LINE_END = re.compile(r"[\r\n]")
# the shape of a SERVICE call or a LOAD in the raw text, whatever a lexer makes of it: the keyword, then
# (across white space and comments) an optional SILENT, an IRI, prefixed name or variable, and for
# SERVICE the opening brace. Checked on the text as sent, nothing blanked, so no reading of ``<``,
# quotes, escapes or comment ends can hide it (text in a string that has this very shape is refused too)
_GAP = r"(?:\s|#[^\r\n]*)*"
_SERVICE_SHAPE = re.compile(rf"(?<![A-Za-z0-9_?$:])SERVICE{_GAP}(?:SILENT{_GAP})?"
                            rf"(?:<[^<>]*>|[?$][^\s{{#]*|[^\s{{#<>]*:[^\s{{]*){_GAP}\{{", re.IGNORECASE)
_LOAD_SHAPE = re.compile(rf"(?<![A-Za-z0-9_?$:])LOAD{_GAP}(?:SILENT{_GAP})?(?:<|[^\s{{#<>]*:)", re.IGNORECASE)
_SERVICE = re.compile(r"(?<![\w?$:.\-])SERVICE(?![\w:\-])", re.IGNORECASE)
_LOAD = re.compile(r"(?<![\w?$:.\-])LOAD(?![\w:\-])", re.IGNORECASE)


def segments(text: str, iris: bool = True):
    """``(kind, start, end)`` spans covering ``text`` in order: ``code``, ``comment``, ``string`` or
    ``iri``. A short string stops at a line break (the parser will reject it), an unterminated one runs
    to the end; ``<`` opens an IRI only where a valid IRIREF follows (``?a < ?b`` stays code), and never
    with ``iris=False`` (the reading where every ``<`` is less-than); a backslash in code escapes the next
    character (``ex:a\\#b`` is one name, as the engine reads it)."""
    i, n, code_from = 0, len(text), 0
    while i < n:
        c = text[i]
        if c == "#":                    # a comment ends at a line feed or a carriage return
            m = _LINE_END.search(text, i)
            kind, j = "comment", (m.start() if m else n)
        elif c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                if text[j] == "\\":
                    j += 1
                elif len(quote) == 1 and text[j] in "\r\n":
                    break
                j += 1
            kind, j = "string", (min(n, j + len(quote)) if j < n and text.startswith(quote, j) else min(j, n))
        elif c == "<" and iris and (m := _IRIREF.match(text, i)):
            kind, j = "iri", m.end()
        elif c == "\\":                 # an escape in a prefixed name (ex:a\#b): the next character is code
            i += 2
            continue
        else:
            i += 1
            continue
        if code_from < i:
            yield "code", code_from, i
        yield kind, i, j
        i = code_from = j
    if code_from < n:
        yield "code", code_from, n


def blank(text: str) -> str:
    """``text`` with the insides of strings, IRIs and comments replaced by spaces (same length)."""
    return "".join(text[a:b] if kind == "code" else " " * (b - a) for kind, a, b in segments(text))


def without_comments(text: str, *, strings: bool = True, iris: bool = True) -> str:
    """``text`` with comments dropped, strings written ``""`` unless ``strings``, IRIs ``<>`` unless
    ``iris`` (to look for variables and function names without tripping over literal text)."""
    keep = {"code", *(("string",) if strings else ()), *(("iri",) if iris else ())}
    shown = {"comment": "", "string": '""', "iri": "<>"}
    return "".join(text[a:b] if kind in keep else shown[kind] for kind, a, b in segments(text))


_CLOSERS = str.maketrans({c: " " for c in ")]}>"})


_COMMENT = re.compile(r"#[^\r\n]*")


def _blank_closers(m: re.Match) -> str:
    return m.group().translate(_CLOSERS)


def _blank_span(m: re.Match) -> str:
    return " " * (m.end() - m.start())


def blank_literals(text: str, iris: bool = True) -> str:
    """``text`` with strings and comments replaced by spaces, IRIs kept but for their closing brackets:
    what the depth checks read. A ``<`` ... ``>`` span may be an IRI or a comparison (``?a<((1))&&?b>0``),
    which a lexer cannot tell apart, so its opening brackets count, and its closing ones do not (the engine
    may read them as IRI text). ``iris=False`` reads every ``<`` as less-than (then a quote or ``#`` that
    would sit inside an IRI opens a string or comment): the depth checks take the deeper of both readings."""
    # fast paths, the same result as the scan (a test checks): with no quote and no backslash outside
    # the IRIs, only the IRIs' closers go (IRIs found left to right, as the scanner finds them), or with
    # every "<" read as less-than, only the comments
    if iris:
        outside = _IRIREF.sub("", text) if "<" in text else text
        if '"' not in outside and "'" not in outside and "#" not in outside and "\\" not in outside:
            return _IRIREF.sub(_blank_closers, text) if "<" in text else text
    elif '"' not in text and "'" not in text and "\\" not in text:
        return _COMMENT.sub(_blank_span, text) if "#" in text else text
    return "".join(text[a:b] if kind == "code" else text[a:b].translate(_CLOSERS) if kind == "iri"
                   else " " * (b - a) for kind, a, b in segments(text, iris))


def literal_free_views(text: str) -> tuple[str, str]:
    """What the depth checks read: :func:`blank_literals` in both readings of ``<`` (they take the
    deeper). Text that mixes both readings on one line (an IRI holding ``#`` that the other reading
    takes for a comment, then a less-than before a long string that the first reading takes for an
    IRI) can still hide nesting from both: the engine then overflows its stack in a worker, which is
    replaced (500), never in the server process."""
    return blank_literals(text), blank_literals(text, iris=False)


_NESTING = re.compile(r"<<|>>|[(){}\[\]]")


def nesting_depth(blanked: str) -> int:
    """Deepest nesting of ``( { [`` and ``<< >>`` (quoted triples) in text from :func:`blank_literals`."""
    depth = deepest = 0
    for token in _NESTING.findall(blanked):
        if token in ("(", "{", "[", "<<"):
            depth += 1
            if depth > deepest:
                deepest = depth
        elif depth:
            depth -= 1
    return deepest


# the parts of a query the engine strings together one after the other: binary operators (also in
# property paths), the separators of triples, and the keywords that join group patterns. The engine
# builds a tree as deep as such a chain is long, and walks it recursively.
_CHAINING = frozenset(("||", "&&", "+", "-", "*", "/", "|", "^", "=", "!=", "<", ">", "<=", ">=", ".", ";", ","))
_SEPARATORS = frozenset((".", ";", ","))
_JOINING = frozenset(("UNION", "OPTIONAL", "MINUS", "BIND", "FILTER"))


def element_count(text: str) -> int:
    """How many chaining operators, triple separators and ``UNION``/``OPTIONAL``/``MINUS``/``BIND``/
    ``FILTER`` keywords ``text`` holds, read by :func:`tokenize` (so nothing inside strings, comments,
    IRIs or names counts): a bound on the longest chain. The separators of ``INSERT DATA`` /
    ``DELETE DATA`` blocks do not count (a flat list of quads, not a tree). Known limit: text the
    lexer reads as an IRI and the engine as a comparison (``?a<1-1-…>0``) hides what it holds."""
    count, data_depth, depth, after_data = 0, None, 0, False
    for token in tokenize(text):
        kind, value = token.kind, token.text
        if kind == "punct":
            if value == "{":
                depth += 1
                if after_data and data_depth is None:
                    data_depth = depth
            elif value == "}":
                if data_depth == depth:
                    data_depth = None
                depth -= 1
            elif value in _CHAINING and not (data_depth is not None and value in _SEPARATORS):
                count += 1
        elif kind == "word" and value.upper() in _JOINING:
            count += 1
        if kind not in ("ws", "comment"):
            after_data = kind == "word" and value.upper() == "DATA"
    return count


_BANG_CHAIN = re.compile(r"!(?:[ \t\r\n(]*!)*")      # one or more "!" with only spaces and "(" between


def longest_bang_chain(blanked: str) -> int:
    """The most ``!`` operators applied one to the other (``! !(!x)`` is 3) in already-blanked text:
    the engine's parser recurses once per ``!``, as it does per level of nesting."""
    return max((m.group().count("!") for m in _BANG_CHAIN.finditer(blanked)), default=0)


def has_dataset_clause(text: str) -> bool:
    """Whether the query names its own dataset (``FROM`` / ``FROM NAMED``). Such a query must run on
    that dataset: the union of all graphs as default graph applies only to queries without one."""
    if "from" not in text.lower():
        return False
    return any(t.kind == "word" and t.upper == "FROM" for t in tokenize(text))


def undeclared_prefix_uses(text: str, predeclared=()) -> list[tuple[str, int]]:
    """Prefixes used in prefixed names of ``text`` (``foo`` for ``foo:Bar``) that no ``PREFIX`` in it
    declares and that are not in ``predeclared``, in order of first use, each with the offset of that
    first use."""
    tokens = tokenize(text)
    declared, used, offset = set(predeclared), {}, 0
    for i, t in enumerate(tokens):
        start, offset = offset, offset + len(t.text)
        if t.kind != "word" or ":" not in t.text:
            continue
        j = significant(tokens, i, -1)
        name = t.text.split(":", 1)[0]
        if name == "_":                   # a blank node label (_:b), not a prefix
            continue
        if j is not None and tokens[j].upper == "PREFIX":
            declared.add(name)
        elif name not in used:
            used[name] = start
    return [(name, at) for name, at in used.items() if name not in declared]


# where pyoxigraph's syntax errors say the parser stopped: "error at LINE:COLUMN: ..."
ENGINE_POSITION = re.compile(r"^error at (\d+):(\d+): ")


def prefix_message(message: str, text: str, predeclared=()) -> tuple[str, int, int] | None:
    """For a syntax error in a query that uses prefixes it does not declare: a sentence naming them,
    with the line and column (both from 1) of the first such use; None when every prefix is declared,
    or when the engine stopped before that first use (the error there comes first). The engine often
    stops after it (an undeclared prefix inside an expression reads to it as some other token), so
    its own message would mislead."""
    if "IRI parsing failed" in message:   # "<http://a b>": the text's ``http:`` is no prefix, the IRI is bad
        return None
    uses = undeclared_prefix_uses(text, predeclared)
    if not uses:
        return None
    names = [name for name, _ in uses]
    at = min(offset for _, offset in uses)
    stopped = ENGINE_POSITION.match(message)
    if "Prefix not found" not in message and stopped is not None:
        line, column = int(stopped.group(1)), int(stopped.group(2))
        lines = text.split("\n")
        engine_at = sum(len(x) + 1 for x in lines[:line - 1]) + column - 1
        if engine_at < at:            # the engine stopped before the first undeclared prefix: its error first
            return None
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    listed = ", ".join(f"{n}:" for n in names)
    return (f"undeclared prefix{'es' if len(names) > 1 else ''} {listed}; declare "
            f"{'them' if len(names) > 1 else 'it'} first, e.g. PREFIX {names[0]}: <http://example.org/>",
            line, column)


def uses_service(blanked: str, raw: str | None = None) -> bool:
    """Whether already-blanked text has the SERVICE keyword (a federated call to any URL), or the raw
    text (if given) has the shape of a SERVICE call anywhere."""
    return _SERVICE.search(blanked) is not None or (
        raw is not None and "service" in raw.lower() and _SERVICE_SHAPE.search(raw) is not None)


def uses_load(blanked: str, raw: str | None = None) -> bool:
    """Whether already-blanked update text has the LOAD keyword (fetching a URL), or the raw text (if
    given) has the shape of a LOAD anywhere."""
    return _LOAD.search(blanked) is not None or (
        raw is not None and "load" in raw.lower() and _LOAD_SHAPE.search(raw) is not None)


def inline_data(text: str) -> tuple[str, list[tuple[int, str]]]:
    """``text`` with the rows of every ``VALUES`` block blanked (spaces, line breaks kept, so every other
    position stays where it was), and each block as it was, with its line: what a syntax check can run
    without evaluating inline data (an engine evaluates ``ASK``, ``GROUP BY`` and ``ORDER BY`` at once,
    and three ``VALUES`` of 1,500 rows each make billions of rows even on an empty store)."""
    tokens = tokenize(text)
    out, blocks, i, line = [], [], 0, 1          # line: where tokens[i] starts
    while i < len(tokens):
        t = tokens[i]
        opening = next((j for j in range(i + 1, len(tokens)) if tokens[j].text in ("{", "}")), None) \
            if t.kind == "word" and t.upper == "VALUES" else None
        if opening is None or tokens[opening].text != "{":
            out.append(t)
            line += t.text.count("\n")
            i += 1
            continue
        closing = matching(tokens, opening)
        block = render(tokens[i:closing + 1])
        blocks.append((line, block))
        rows = render(tokens[opening + 1:closing])
        out.extend(tokens[i:opening + 1])
        out.append(Token("ws", re.sub(r"[^\n]", " ", rows)))
        out.extend(tokens[closing:closing + 1])
        line += block.count("\n")
        i = closing + 1
    return render(out), blocks
