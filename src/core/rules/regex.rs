//! A small regex engine that runs in linear time: patterns compile to a Thompson NFA, which a Pike VM
//! simulates in O(text × pattern) with no backtracking, so no pattern and no input can make a rule hang.
//!
//! Supported (JavaScript semantics, the subset rules need): literals, `.`, classes `[a-z]` and `[^...]`,
//! `\d \w \s \D \W \S`, `\b \B`, anchors `^ $`, `* + ?`, `{m}`, `{m,}`, `{m,n}` (lazy forms too: they match
//! the same), groups `(...)`, `(?:...)`, `(?<name>...)`, alternation `|`, and a leading `(?i)` for
//! case-insensitive matching. Escapes are read as JavaScript reads them without the `u` flag, its legacy forms
//! included (`\q` is `q`, `\c1` is `\c1`, `\07` and `\1` without a group are octal; see `Parser::escape`).
//! Not supported (an error, not a surprise): back-references (`\1` with a group 1, `\k<name>`), look-around,
//! inline flags but a leading `(?i)`, and group names beyond ASCII. A pattern JavaScript refuses is refused too,
//! group names included: an identifier, once in a pattern unless in different alternatives (`(?<n>a)|(?<n>b)`, as
//! ES2025 and Chromium 125 and later allow).
//!
//! Patterns and texts are read as UTF-16 code units, as JavaScript reads a `RegExp` without the `u` flag (the one
//! GrowthBook's `$regex` builds): a character outside the Basic Multilingual Plane, such as an emoji, is two units,
//! so `.` matches half of it, `^.$` does not match it, and `😀+` repeats its second unit only.

use super::limits::{MAX_DEPTH, MAX_REGEX_BYTES, MAX_REGEX_INSTS, MAX_REGEX_REPEAT};
use crate::core::json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegexError(pub &'static str);

impl std::fmt::Display for RegexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// The match ran out of its step budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfSteps;

#[derive(Debug, Clone)]
pub struct Regex {
    source: String,
    /// The program, each instruction as the compiled config writes it: an operation ([`CHAR`] to [`MATCH`]) and
    /// two operands. Matching reads this form, so reading a compiled config back only checks it. Characters,
    /// here and in [`Class`], are UTF-16 code units.
    insts: Vec<[usize; 3]>,
    classes: Vec<Class>,
    case_insensitive: bool,
}

impl PartialEq for Regex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.case_insensitive == other.case_insensitive
    }
}

#[derive(Debug, Clone)]
struct Class {
    ranges: Vec<(u32, u32)>,
    negated: bool,
}

// Instruction operations (see [`Inst`]).
const CHAR: usize = 0;
const ANY: usize = 1;
const CLASS: usize = 2;
const START: usize = 3;
const END: usize = 4;
const WORD_BOUNDARY: usize = 5;
const SPLIT: usize = 6;
const JMP: usize = 7;
const MATCH: usize = 8;

/// An instruction as the compiler emits it (a regex keeps it as [`Inst::code`]).
#[derive(Debug, Clone, Copy)]
enum Inst {
    Char(u32),
    /// Any code unit but a line terminator.
    Any,
    Class(usize),
    Start,
    End,
    WordBoundary(bool),
    Split(usize, usize),
    Jmp(usize),
    Match,
}

impl Inst {
    /// `[operation, operand, operand]`.
    fn code(self) -> [usize; 3] {
        match self {
            Inst::Char(c) => [CHAR, c as usize, 0],
            Inst::Any => [ANY, 0, 0],
            Inst::Class(k) => [CLASS, k, 0],
            Inst::Start => [START, 0, 0],
            Inst::End => [END, 0, 0],
            Inst::WordBoundary(w) => [WORD_BOUNDARY, usize::from(w), 0],
            Inst::Split(x, y) => [SPLIT, x, y],
            Inst::Jmp(x) => [JMP, x, 0],
            Inst::Match => [MATCH, 0, 0],
        }
    }
}

#[derive(Debug, Clone)]
enum Node {
    Empty,
    Char(u32),
    Any,
    Class(Class),
    Start,
    End,
    WordBoundary(bool),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
    },
}

impl Regex {
    /// The compiled program as data, for a compiled config (`wire.rs`): the source, the flag, the instructions
    /// as numbers (three a piece, in one flat array: operation and two operands) and the classes as ranges.
    pub fn to_value(&self) -> Value {
        let n = |x: usize| Value::Number(x as f64);
        let mut insts = Vec::with_capacity(3 * self.insts.len());
        for &[op, a, b] in &self.insts {
            insts.extend([n(op), n(a), n(b)]);
        }
        let classes = self
            .classes
            .iter()
            .map(|c| {
                let mut v = vec![Value::Bool(c.negated)];
                for &(lo, hi) in &c.ranges {
                    v.push(n(lo as usize));
                    v.push(n(hi as usize));
                }
                Value::Array(v)
            })
            .collect();
        Value::Array(vec![
            Value::String(self.source.clone()),
            Value::Bool(self.case_insensitive),
            Value::Array(insts),
            Value::Array(classes),
        ])
    }

    /// Reads [`Regex::to_value`] back, checking every jump and class index, so a damaged program can never
    /// send the matcher out of bounds. `None` for anything else.
    pub fn from_value(v: &Value) -> Option<Regex> {
        let [source, ci, insts, classes] = v.as_array()? else {
            return None;
        };
        let idx = super::wire::index;
        let mut classes_out = Vec::new();
        for c in classes.as_array()? {
            let items = c.as_array()?;
            let (negated, rest) = items.split_first()?;
            let mut ranges = Vec::new();
            for pair in rest.chunks(2) {
                let [lo, hi] = pair else { return None };
                ranges.push((unit(idx(lo)?)?, unit(idx(hi)?)?));
            }
            classes_out.push(Class {
                ranges,
                negated: negated.as_bool()?,
            });
        }
        let raw = insts.as_array()?;
        let len = raw.len() / 3;
        if raw.len() % 3 != 0 {
            return None;
        }
        let mut out = Vec::with_capacity(len);
        for i in raw.chunks_exact(3) {
            let [op, a, b] = i else {
                return None;
            };
            let (op, a, b) = (idx(op)?, idx(a)?, idx(b)?);
            let valid = match op {
                CHAR => unit(a).is_some(),
                CLASS => a < classes_out.len(),
                SPLIT => a < len && b < len,
                JMP => a < len,
                _ => op <= MATCH,
            };
            if !valid {
                return None;
            }
            out.push([op, a, b]);
        }
        Some(Regex {
            source: source.as_str()?.to_string(),
            insts: out,
            classes: classes_out,
            case_insensitive: ci.as_bool()?,
        })
    }

    /// Compiles a rule's pattern: a leading `(?i)` makes it case-insensitive.
    pub fn new(pattern: &str) -> Result<Regex, RegexError> {
        match pattern.strip_prefix("(?i)") {
            Some(rest) if pattern.len() <= MAX_REGEX_BYTES => {
                let mut re = Self::with_flags(rest, true)?;
                re.source = pattern.to_string();
                Ok(re)
            }
            _ => Self::with_flags(pattern, false),
        }
    }

    /// Compiles `pattern` as JavaScript's `new RegExp(pattern, case_insensitive ? "i" : "")` would (GrowthBook's
    /// `$regex` and `$regexi`): a `(?i)` in it is an error there, as in JavaScript.
    pub fn with_flags(pattern: &str, case_insensitive: bool) -> Result<Regex, RegexError> {
        if pattern.len() > MAX_REGEX_BYTES {
            return Err(RegexError("the pattern is longer than 512 bytes"));
        }
        let ci = case_insensitive;
        let mut p = Parser {
            units: pattern.encode_utf16().collect(),
            pos: 0,
            ci,
            groups: 0,
            named: false,
            refs: u32::MAX,
            k: false,
            names: Vec::new(),
            path: Vec::new(),
            disjunctions: 0,
        };
        let node = p.alternation(0)?;
        if p.pos < p.units.len() {
            return Err(RegexError("unmatched `)`"));
        }
        // Read as JavaScript reads them once it has counted the groups, wherever they are: `\N` outside a class
        // with N groups or more, and `\k` with a named group, are back-references.
        if p.refs <= p.groups || p.k && p.named {
            return Err(BACK_REFERENCE);
        }
        let mut c = Compiler {
            insts: Vec::new(),
            classes: Vec::new(),
        };
        c.emit_node(&node)?;
        c.push(Inst::Match)?;
        let mut insts = Vec::with_capacity(c.insts.len());
        for i in c.insts {
            insts.push(i.code());
        }
        Ok(Regex {
            source: pattern.to_string(),
            insts,
            classes: c.classes,
            case_insensitive: ci,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the pattern matches anywhere in `text`, charging one step per thread per UTF-16 code unit to
    /// `budget`.
    pub fn is_match(&self, text: &str, budget: &mut u32) -> Result<bool, OutOfSteps> {
        let n = self.insts.len();
        let mut cur = Threads::new(n);
        let mut next = Threads::new(n);
        let mut stack = Vec::with_capacity(n);
        let mut prev: Option<u32> = None;
        let mut units = text.encode_utf16().map(u32::from);
        let mut c = units.next();
        loop {
            let at_start = prev.is_none();
            // Unanchored search: a new thread starts at every position.
            self.add(&mut cur, &mut stack, 0, at_start, c.is_none(), prev, c);
            let cost = cur.len() as u32 + 1;
            if *budget < cost {
                return Err(OutOfSteps);
            }
            *budget -= cost;
            let Some(ch) = c else {
                return Ok(cur.dense.iter().any(|&pc| self.insts[pc][0] == MATCH));
            };
            let folded = if self.case_insensitive { fold(ch) } else { ch };
            next.clear();
            let after = units.next();
            for i in 0..cur.len() {
                let pc = cur.dense[i];
                let [op, a, _] = self.insts[pc];
                let ok = match op {
                    MATCH => return Ok(true),
                    CHAR => a == folded as usize,
                    ANY => !matches!(ch, 0x0A | 0x0D | 0x2028 | 0x2029),
                    CLASS => self.class_matches(a, ch),
                    _ => false,
                };
                if ok {
                    self.add(
                        &mut next,
                        &mut stack,
                        pc + 1,
                        false,
                        after.is_none(),
                        Some(ch),
                        after,
                    );
                }
            }
            std::mem::swap(&mut cur, &mut next);
            prev = Some(ch);
            c = after;
        }
    }

    fn class_matches(&self, k: usize, ch: u32) -> bool {
        let class = &self.classes[k];
        let hit = |c: u32| class.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
        let mut found = hit(ch);
        if !found && self.case_insensitive {
            // Every unit that compares equal to `ch` ignoring case: its folded and uppercase forms, and the
            // other lowercase of a letter with two (final sigma, the micro sign).
            let folded = fold(ch);
            found = hit(folded)
                || hit(canonical(ch))
                || match folded {
                    0x03C3 => hit(0x03C2),
                    0x03BC => hit(0xB5),
                    _ => false,
                };
        }
        found != class.negated
    }

    /// Adds `pc` and everything reachable from it without reading a character (an explicit stack: no
    /// recursion on the pattern's shape).
    #[allow(clippy::too_many_arguments)]
    fn add(
        &self,
        set: &mut Threads,
        stack: &mut Vec<usize>,
        pc: usize,
        at_start: bool,
        at_end: bool,
        prev: Option<u32>,
        next: Option<u32>,
    ) {
        stack.clear();
        stack.push(pc);
        while let Some(pc) = stack.pop() {
            if pc >= self.insts.len() || !set.insert(pc) {
                continue;
            }
            let [op, a, b] = self.insts[pc];
            match op {
                JMP => stack.push(a),
                SPLIT => {
                    stack.push(b);
                    stack.push(a);
                }
                START if at_start => stack.push(pc + 1),
                END if at_end => stack.push(pc + 1),
                WORD_BOUNDARY => {
                    let is_boundary = prev.is_some_and(is_word) != next.is_some_and(is_word);
                    if is_boundary == (a != 0) {
                        stack.push(pc + 1);
                    }
                }
                _ => {}
            }
        }
    }
}

fn is_word(c: u32) -> bool {
    u8::try_from(c).is_ok_and(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The unit a case-insensitive regex compares: as JavaScript's Canonicalize without the `u` flag, the uppercase
/// (but a character beyond ASCII never becomes an ASCII one), written in lowercase where that lowercase has the
/// same uppercase (so `ς`, `σ` and `Σ` are `σ`, `µ` is `μ`, and `İ` stays `İ`, which is not an `i`).
fn fold(c: u32) -> u32 {
    let upper = canonical(c);
    let lower = on_char(upper, super::case::lower);
    if canonical(lower) == upper {
        lower
    } else {
        upper
    }
}

/// JavaScript's Canonicalize without the `u` flag: the uppercase, unless that makes ASCII of what was not.
fn canonical(c: u32) -> u32 {
    let upper = on_char(c, super::case::upper);
    if c >= 0x80 && upper < 0x80 {
        c
    } else {
        upper
    }
}

/// `f` applied to the character a code unit is; a surrogate (half of a character outside the Basic Multilingual
/// Plane) is left as it is, as JavaScript's case folding without the `u` flag leaves it.
fn on_char(unit: u32, f: fn(char) -> char) -> u32 {
    char::from_u32(unit).map_or(unit, |c| f(c) as u32)
}

/// A code unit of a compiled config's regex. A unit above `0xFFFF` is a whole character written by a compiler
/// that read patterns as characters: it is taken, and matches nothing, rather than refusing the config.
fn unit(x: usize) -> Option<u32> {
    u32::try_from(x).ok().filter(|&u| u <= 0x10FFFF)
}

/// A sparse set of program counters: O(1) insert, clear and membership.
struct Threads {
    dense: Vec<usize>,
    sparse: Vec<usize>,
}

impl Threads {
    fn new(n: usize) -> Threads {
        Threads {
            dense: Vec::with_capacity(n),
            sparse: vec![0; n],
        }
    }
    fn len(&self) -> usize {
        self.dense.len()
    }
    fn clear(&mut self) {
        self.dense.clear();
    }
    fn insert(&mut self, pc: usize) -> bool {
        let i = self.sparse[pc];
        if i < self.dense.len() && self.dense[i] == pc {
            return false;
        }
        self.sparse[pc] = self.dense.len();
        self.dense.push(pc);
        true
    }
}

/// What JavaScript reads as a back-reference, which a Pike VM cannot match: refused.
const BACK_REFERENCE: RegexError = RegexError(
    "back-references are not supported (`\\N` where the pattern has N groups or more, `\\k` where a group is named)",
);

struct Parser {
    units: Vec<u16>,
    pos: usize,
    ci: bool,
    /// How many capture groups the pattern has, and whether one is named.
    groups: u32,
    named: bool,
    /// The smallest N of a `\N` outside a class (each read as an octal escape or a digit), and whether a `\k` was
    /// read (as a `k`): JavaScript reads them as back-references if the pattern turns out to have the groups.
    refs: u32,
    k: bool,
    /// Each group name so far, with the alternatives it lies in (see [`Parser::path`]).
    names: Vec<(String, Vec<(u32, u32)>)>,
    /// The disjunctions the cursor is in, outermost first: each one's number and the alternative the cursor is in.
    path: Vec<(u32, u32)>,
    disjunctions: u32,
}

const LOOK_AROUND: RegexError =
    RegexError("look-around (`(?=`, `(?!`, `(?<=`, `(?<!`) is not supported");
const BAD_NAME: RegexError = RegexError(
    "invalid group name: `(?<name>` takes letters, digits, `$` and `_` (not a digit first), then `>`",
);

/// Whether two groups lie in different alternatives of one disjunction (both cannot take part in a match), given
/// the disjunctions each is in ([`Parser::path`]): where the two paths first part, the same disjunction.
fn exclusive(a: &[(u32, u32)], b: &[(u32, u32)]) -> bool {
    a.iter()
        .zip(b)
        .find(|(x, y)| x != y)
        .is_some_and(|(x, y)| x.0 == y.0)
}

impl Parser {
    /// The unit at the cursor as a character, to compare with the pattern's syntax; a surrogate reads as
    /// U+FFFD, which is no syntax ([`Parser::literal`] gives its value).
    fn peek(&self) -> Option<char> {
        self.at(self.pos)
    }

    fn at(&self, pos: usize) -> Option<char> {
        let unit = *self.units.get(pos)?;
        Some(char::from_u32(unit.into()).unwrap_or(char::REPLACEMENT_CHARACTER))
    }

    /// The unit just read.
    fn raw(&self) -> u32 {
        self.pos
            .checked_sub(1)
            .and_then(|p| self.units.get(p))
            .map_or(0, |&u| u32::from(u))
    }

    /// The unit just read, as a literal (folded when the pattern ignores case).
    fn literal(&self) -> u32 {
        if self.ci {
            fold(self.raw())
        } else {
            self.raw()
        }
    }

    fn alternation(&mut self, depth: usize) -> Result<Node, RegexError> {
        if depth > MAX_DEPTH {
            return Err(RegexError("the pattern nests too deeply"));
        }
        self.path.push((self.disjunctions, 0));
        self.disjunctions += 1;
        let mut alts = vec![self.concat(depth)?];
        while self.peek() == Some('|') {
            self.pos += 1;
            if let Some(alt) = self.path.last_mut() {
                alt.1 += 1;
            }
            alts.push(self.concat(depth)?);
        }
        self.path.pop();
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(alts)
        })
    }

    fn concat(&mut self, depth: usize) -> Result<Node, RegexError> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom(depth)?;
            let atom = self.quantified(atom)?;
            items.push(atom);
        }
        Ok(Node::Concat(items))
    }

    fn quantified(&mut self, atom: Node) -> Result<Node, RegexError> {
        let (min, max) = match self.peek() {
            Some('{') => match self.braces() {
                Some(mm) => mm,
                None => return Ok(atom),
            },
            Some(c @ ('*' | '+' | '?')) => {
                self.pos += 1;
                match c {
                    '*' => (0, None),
                    '+' => (1, None),
                    _ => (0, Some(1)),
                }
            }
            _ => return Ok(atom),
        };
        if self.peek() == Some('?') {
            self.pos += 1; // lazy: the same set of matches
        }
        if matches!(self.peek(), Some('*' | '+' | '?')) {
            return Err(RegexError("nothing to repeat"));
        }
        if matches!(atom, Node::Start | Node::End | Node::WordBoundary(_)) {
            return Err(RegexError("nothing to repeat"));
        }
        if min > MAX_REGEX_REPEAT || max.is_some_and(|m| m > MAX_REGEX_REPEAT) {
            return Err(RegexError("a repetition count is larger than 256"));
        }
        if max.is_some_and(|m| m < min) {
            return Err(RegexError("numbers out of order in a {m,n} repetition"));
        }
        Ok(Node::Repeat {
            node: Box::new(atom),
            min,
            max,
        })
    }

    /// Reads `{m}`, `{m,}` or `{m,n}`, leaving the cursor after `}`; `None` (cursor unmoved) if the brace is
    /// not a quantifier, in which case it is a literal `{` as in JavaScript.
    fn braces(&mut self) -> Option<(u32, Option<u32>)> {
        let start = self.pos;
        self.pos += 1;
        let min = self.int();
        let result = match (min, self.peek()) {
            (Some(m), Some('}')) => Some((m, Some(m))),
            (Some(m), Some(',')) => {
                self.pos += 1;
                let max = self.int();
                if self.peek() == Some('}') {
                    Some((m, max))
                } else {
                    None
                }
            }
            _ => None,
        };
        match result {
            Some(r) => {
                self.pos += 1; // `}`
                Some(r)
            }
            None => {
                self.pos = start;
                None
            }
        }
    }

    fn int(&mut self) -> Option<u32> {
        let start = self.pos;
        let mut n: u32 = 0;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            n = n.saturating_mul(10).saturating_add(d);
            self.pos += 1;
        }
        (self.pos > start).then_some(n)
    }

    fn atom(&mut self, depth: usize) -> Result<Node, RegexError> {
        let Some(c) = self.peek() else {
            return Ok(Node::Empty);
        };
        self.pos += 1;
        Ok(match c {
            '.' => Node::Any,
            '^' => Node::Start,
            '$' => Node::End,
            '(' => {
                if self.peek() != Some('?') {
                    self.groups += 1;
                } else {
                    match (self.at(self.pos + 1), self.at(self.pos + 2)) {
                        (Some(':'), _) => self.pos += 2,
                        (Some('=' | '!'), _) | (Some('<'), Some('=' | '!')) => {
                            return Err(LOOK_AROUND)
                        }
                        (Some('<'), _) => {
                            self.pos += 2;
                            self.named_group()?;
                        }
                        (Some('i' | 'm' | 's' | '-'), _) => return Err(RegexError(
                            "inline flags are not supported (a rule's pattern may start with (?i))",
                        )),
                        _ => return Err(RegexError(
                            "invalid group: `(?` takes `:`, `<name>`, or look-around, which is not supported",
                        )),
                    }
                }
                let inner = self.alternation(depth + 1)?;
                if self.peek() != Some(')') {
                    return Err(RegexError("unclosed group `(`"));
                }
                self.pos += 1;
                inner
            }
            ')' => return Err(RegexError("unmatched `)`")),
            '*' | '+' | '?' => return Err(RegexError("nothing to repeat")),
            '{' => {
                // A quantifier here has nothing to repeat; any other `{` is itself.
                self.pos -= 1;
                if self.braces().is_some() {
                    return Err(RegexError("nothing to repeat"));
                }
                self.pos += 1;
                Node::Char(self.literal())
            }
            '[' => Node::Class(self.class()?),
            '\\' => self.escape(false)?,
            _ => Node::Char(self.literal()),
        })
    }

    /// After `(?<`: a named group's name and `>`. JavaScript takes an identifier, its characters written or as
    /// `\uHHHH` or `\u{H…}` escapes; here its ASCII ones (letters, `$`, `_`, digits but first), as any other character
    /// needs Unicode's identifier tables. A name may be used again only in another alternative of a disjunction
    /// both groups are in (`(?<n>a)|(?<n>b)`; ES2025, Chromium 125 and later; Node 20 refuses any).
    fn named_group(&mut self) -> Result<(), RegexError> {
        let mut name = String::new();
        loop {
            let c = match self.peek() {
                None => return Err(BAD_NAME),
                Some('>') => break,
                Some('\\') => {
                    self.pos += 1;
                    if self.peek() != Some('u') {
                        return Err(BAD_NAME);
                    }
                    self.pos += 1;
                    self.name_escape()?
                }
                Some(c) => {
                    self.pos += 1;
                    c
                }
            };
            if !c.is_ascii() {
                return Err(RegexError(
                    "a group name beyond ASCII letters, digits, `$` and `_` is not supported",
                ));
            }
            let identifier = c.is_ascii_alphabetic()
                || c == '$'
                || c == '_'
                || c.is_ascii_digit() && !name.is_empty();
            if !identifier {
                return Err(BAD_NAME);
            }
            name.push(c);
        }
        self.pos += 1; // `>`
        if name.is_empty() {
            return Err(BAD_NAME);
        }
        if self
            .names
            .iter()
            .any(|(other, path)| *other == name && !exclusive(path, &self.path))
        {
            return Err(RegexError(
                "a group name is used twice (a name may repeat only in different alternatives: `(?<n>a)|(?<n>b)`)",
            ));
        }
        self.names.push((name, self.path.clone()));
        self.groups += 1;
        self.named = true;
        Ok(())
    }

    /// A group name's `\u`, just read: four hex digits or `{…}` with a code point; the character (U+FFFD for a
    /// surrogate, which no name may hold here).
    fn name_escape(&mut self) -> Result<char, RegexError> {
        let at = self.pos;
        let v = if self.peek() == Some('{') {
            self.pos += 1;
            let mut v: u32 = 0;
            while let Some(d) = self.peek().and_then(|c| c.to_digit(16)) {
                v = v.saturating_mul(16).saturating_add(d);
                self.pos += 1;
            }
            if self.pos == at + 1 || self.peek() != Some('}') || v > 0x10FFFF {
                return Err(BAD_NAME);
            }
            self.pos += 1;
            v
        } else {
            let v = self.hex(4);
            if self.pos == at {
                return Err(BAD_NAME);
            }
            v
        };
        Ok(char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER))
    }

    /// An escape after `\`, read as JavaScript reads it without the `u` flag. Inside a class `\b` is a backspace
    /// and `\B` a `B`; outside, word boundaries. A character with no escape meaning stands for itself (`\q`, `\-`,
    /// `\p`, `\k` when no group is named). `\c` and a letter (in a class, a digit or `_` too) is a control
    /// character; before anything else the `\` is itself and the `c` is read next. `\x` and `\u` without two or
    /// four hex digits are the letter. `\0` to `\7` start an octal escape of up to three digits below 256, `\8` and
    /// `\9` are the digit, except that outside a class `\N` with N groups or more is a back-reference: refused,
    /// as `\k` is when a group is named.
    fn escape(&mut self, in_class: bool) -> Result<Node, RegexError> {
        let Some(c) = self.peek() else {
            return Err(RegexError("the pattern ends with a lone `\\`"));
        };
        self.k |= c == 'k';
        if c != '0' && !in_class {
            // The whole number, as JavaScript reads it to see whether the pattern has that many groups.
            let start = self.pos;
            if let Some(n) = self.int() {
                self.refs = self.refs.min(n);
            }
            self.pos = start;
        }
        self.pos += 1;
        let class = |ranges: &[(u32, u32)], negated: bool| {
            Node::Class(Class {
                ranges: ranges.to_vec(),
                negated,
            })
        };
        const DIGIT: [(u32, u32); 1] = [(0x30, 0x39)];
        const WORD: [(u32, u32); 4] = [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)];
        const SPACE: [(u32, u32); 10] = [
            (0x09, 0x0D),
            (0x20, 0x20),
            (0xA0, 0xA0),
            (0x1680, 0x1680),
            (0x2000, 0x200A),
            (0x2028, 0x2029),
            (0x202F, 0x202F),
            (0x205F, 0x205F),
            (0x3000, 0x3000),
            (0xFEFF, 0xFEFF),
        ];
        let unit = match c {
            'd' => return Ok(class(&DIGIT, false)),
            'D' => return Ok(class(&DIGIT, true)),
            'w' => return Ok(class(&WORD, false)),
            'W' => return Ok(class(&WORD, true)),
            's' => return Ok(class(&SPACE, false)),
            'S' => return Ok(class(&SPACE, true)),
            'b' if in_class => 0x08,
            'b' | 'B' if !in_class => return Ok(Node::WordBoundary(c == 'b')),
            'n' => 0x0A,
            't' => 0x09,
            'r' => 0x0D,
            'f' => 0x0C,
            'v' => 0x0B,
            'c' => match self.peek() {
                Some(l)
                    if l.is_ascii_alphabetic() || in_class && (l.is_ascii_digit() || l == '_') =>
                {
                    self.pos += 1;
                    l as u32 % 32
                }
                // A backslash; the `c` is read next, as itself.
                _ => {
                    self.pos -= 1;
                    0x5C
                }
            },
            'x' => self.hex(2),
            'u' => self.hex(4),
            // Octal, up to three digits while below 256: `\377` is U+00FF, `\400` is `\40` and a `0`.
            '0'..='7' => {
                let mut v = self.raw() - 0x30;
                for _ in 0..2 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) if v < 32 => {
                            v = v * 8 + d;
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                v
            }
            _ => self.raw(),
        };
        // In a class, as written (as an unescaped member is): the class ignores case when it matches.
        Ok(Node::Char(if in_class || !self.ci {
            unit
        } else {
            fold(unit)
        }))
    }

    /// `\x` or `\u`, just read, and the `n` hex digits after it as the unit they spell; the letter itself when
    /// they do not follow.
    fn hex(&mut self, n: usize) -> u32 {
        let digits = self.units.get(self.pos..self.pos + n);
        match digits.and_then(|d| {
            d.iter().try_fold(0, |v, &u| {
                Some(v * 16 + char::from_u32(u.into())?.to_digit(16)?)
            })
        }) {
            Some(v) => {
                self.pos += n;
                v
            }
            None => self.raw(),
        }
    }

    fn class(&mut self) -> Result<Class, RegexError> {
        let negated = self.peek() == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err(RegexError("unclosed class `[`"));
            };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            if c == ']' {
                // `[]` matches nothing in JavaScript; `[^]` matches anything.
                self.pos += 1;
                break;
            }
            first = false;
            self.pos += 1;
            let lo = if c == '\\' {
                match self.escape(true)? {
                    Node::Char(ch) => ch,
                    Node::Class(inner) => {
                        ranges.extend(inner.into_ranges());
                        continue;
                    }
                    _ => return Err(RegexError("unsupported escape in a class")),
                }
            } else {
                self.raw()
            };
            let is_range =
                self.peek() == Some('-') && self.at(self.pos + 1).is_some_and(|n| n != ']');
            if is_range {
                self.pos += 1;
                let hi_c = self.peek();
                self.pos += 1;
                let hi = if hi_c == Some('\\') {
                    match self.escape(true)? {
                        Node::Char(ch) => ch,
                        Node::Class(inner) => {
                            // `[+-\s]`: no range without the `u` flag, but the character, a `-` and the class.
                            ranges.push((lo, lo));
                            ranges.push((0x2D, 0x2D));
                            ranges.extend(inner.into_ranges());
                            continue;
                        }
                        _ => return Err(RegexError("unsupported escape in a class")),
                    }
                } else {
                    self.raw()
                };
                if hi < lo {
                    return Err(RegexError("a class range is out of order"));
                }
                ranges.push((lo, hi));
            } else {
                ranges.push((lo, lo));
            }
        }
        Ok(Class { ranges, negated })
    }
}

impl Class {
    /// The code units an escape's class (`\d`, `\D`, …) matches, as ranges to put in a bracketed class: a negated
    /// one (`[\D]`) as the complement of its small set.
    fn into_ranges(self) -> Vec<(u32, u32)> {
        if self.negated {
            complement(&self.ranges)
        } else {
            self.ranges
        }
    }
}

/// The code units `ranges` leave out.
fn complement(ranges: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut sorted = ranges.to_vec();
    sorted.sort();
    let mut out = Vec::new();
    let mut next = 0u32;
    for (lo, hi) in sorted {
        if lo > next {
            out.push((next, lo - 1));
        }
        next = next.max(hi + 1);
    }
    if next <= 0xFFFF {
        out.push((next, 0xFFFF));
    }
    out
}

struct Compiler {
    insts: Vec<Inst>,
    classes: Vec<Class>,
}

impl Compiler {
    fn push(&mut self, i: Inst) -> Result<usize, RegexError> {
        if self.insts.len() >= MAX_REGEX_INSTS {
            return Err(RegexError(
                "the pattern is too large once repetitions are expanded",
            ));
        }
        self.insts.push(i);
        Ok(self.insts.len() - 1)
    }

    fn emit_node(&mut self, node: &Node) -> Result<(), RegexError> {
        match node {
            Node::Empty => {}
            Node::Char(c) => {
                self.push(Inst::Char(*c))?;
            }
            Node::Any => {
                self.push(Inst::Any)?;
            }
            Node::Class(c) => {
                self.classes.push(c.clone());
                self.push(Inst::Class(self.classes.len() - 1))?;
            }
            Node::Start => {
                self.push(Inst::Start)?;
            }
            Node::End => {
                self.push(Inst::End)?;
            }
            Node::WordBoundary(b) => {
                self.push(Inst::WordBoundary(*b))?;
            }
            Node::Concat(items) => {
                for item in items {
                    self.emit_node(item)?;
                }
            }
            Node::Alt(alts) => {
                // split L1, next; L1: a; jmp end; next: split L2, ... ; last alternative falls through.
                let mut jumps = Vec::new();
                for (i, alt) in alts.iter().enumerate() {
                    if i + 1 < alts.len() {
                        let split = self.push(Inst::Split(0, 0))?;
                        self.emit_node(alt)?;
                        jumps.push(self.push(Inst::Jmp(0))?);
                        let next = self.insts.len();
                        self.insts[split] = Inst::Split(split + 1, next);
                    } else {
                        self.emit_node(alt)?;
                    }
                }
                let end = self.insts.len();
                for j in jumps {
                    self.insts[j] = Inst::Jmp(end);
                }
            }
            Node::Repeat { node, min, max } => {
                for _ in 0..*min {
                    self.emit_node(node)?;
                }
                match max {
                    None => {
                        let split = self.push(Inst::Split(0, 0))?;
                        self.emit_node(node)?;
                        self.push(Inst::Jmp(split))?;
                        let end = self.insts.len();
                        self.insts[split] = Inst::Split(split + 1, end);
                    }
                    Some(max) => {
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(self.push(Inst::Split(0, 0))?);
                            self.emit_node(node)?;
                        }
                        let end = self.insts.len();
                        for s in splits {
                            self.insts[s] = Inst::Split(s + 1, end);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        let mut budget = u32::MAX;
        Regex::new(p).unwrap().is_match(t, &mut budget).unwrap()
    }

    #[test]
    fn matches_like_javascript() {
        let cases = [
            ("^/pricing", "/pricing/team", true),
            ("^/pricing", "/blog/pricing", false),
            ("pricing$", "/blog/pricing", true),
            ("a.c", "abc", true),
            ("a.c", "a\nc", false),
            ("[a-c]+x", "zzbbx", true),
            ("[^a-c]", "abc", false),
            ("\\d{3}-\\d{4}", "call 555-1234 now", true),
            ("\\d{3}-\\d{4}", "call 55-1234 now", false),
            ("^(foo|bar)+$", "foobarfoo", true),
            ("^(foo|bar)+$", "foobaz", false),
            ("colou?r", "color", true),
            ("^a{2,3}$", "aaaa", false),
            ("^a{2,}$", "aaaa", true),
            ("^\\w+@\\w+\\.com$", "me@example.com", true),
            ("\\bcat\\b", "a cat sat", true),
            ("\\bcat\\b", "concatenate", false),
            ("(?i)^HELLO", "hello world", true),
            ("^[\\s]*$", " \t ", true),
            ("x{", "x{", true),
            ("", "anything", true),
            ("^$", "", true),
            ("(?:ab)*c", "ababc", true),
            ("^[\\D]+$", "abc", true),
            // Outside the Basic Multilingual Plane a character is two UTF-16 code units, as without `u`.
            ("^.$", "😀", false),
            ("^..$", "😀", true),
            ("^[^a]$", "😀", false),
            ("^\\W\\W$", "😀", true),
            ("^😀$", "😀", true),
            ("^😀+$", "😀😀", false),
            ("^😀+$", "😀", true),
            ("(?i)^😀$", "😀", true),
        ];
        for (p, t, want) in cases {
            assert_eq!(m(p, t), want, "{p:?} on {t:?}");
        }
    }

    #[test]
    fn rejects_bad_and_unsupported_patterns() {
        for p in [
            "(", ")", "a**", "*a", "[a-", "(a)\\1", "(?=x)", "a{3,2}", "a{1000}", "[z-a]",
        ] {
            assert!(Regex::new(p).is_err(), "{p}");
        }
        assert!(Regex::new(&"a".repeat(600)).is_err());
        assert!(Regex::new("(a{200}){200}").is_err());
    }

    /// Without the `u` flag JavaScript reads a backslash before a character with no escape meaning as that
    /// character (`\a`, `\-`, `\p`, `\k` without named groups), `\c` before a letter (and in a class a digit or
    /// `_`) as a control character and before anything else as a backslash then `c`, `\x` and `\u` as a code unit
    /// when two or four hex digits follow and as the letter otherwise, `\0` to `\7` as an octal escape of up to
    /// three digits below 256 (`\1` to `\9` outside a class only when the pattern has fewer groups), `\8` and
    /// `\9` as the digit, and `[\B]` as `B`. Each answer below is V8's.
    #[test]
    fn escapes_read_as_javascript_reads_them_without_the_u_flag() {
        let mut wrong = Vec::new();
        for (p, t, want) in [
            ("^\\a\\e\\g\\q\\z$", "aegqz", true),
            ("^\\-\\%\\_$", "-%_", true),
            ("(?i)^\\a$", "A", true),
            ("(?i)^[\\a]$", "A", true),
            ("^[\\a-\\z]$", "m", true),
            ("^\\z+$", "zzz", true),
            ("^\\A\\E\\Q\\Z$", "AEQZ", true),
            ("^\\cJ$", "\n", true),
            ("^\\cj$", "\n", true),
            ("^\\c1$", "\\c1", true),
            ("^\\c1$", "\u{11}", false),
            ("^\\c$", "\\c", true),
            ("^\\c*$", "\\ccc", true),
            ("^\\c*$", "\\c\\c", false),
            ("^\\c_$", "\\c_", true),
            ("^[\\c_]$", "\u{1f}", true),
            ("^[\\c_]$", "_", false),
            ("^[\\c0]$", "\u{10}", true),
            ("^[\\c9]$", "\u{19}", true),
            ("^[\\c*]+$", "\\c*", true),
            ("^[!-\\c]+$", "!\\c", true),
            ("^[!-\\c]$", "b", false),
            ("^[\\cJ-\\cM]$", "\u{0b}", true),
            ("^[\\c]$", "c", true),
            ("^[\\c]$", "\\", true),
            ("^\\0$", "\u{00}", true),
            ("^\\07$", "\u{07}", true),
            ("^\\08$", "\u{00}8", true),
            ("^\\000$", "\u{00}", true),
            ("^\\0000$", "\u{00}0", true),
            ("^\\377$", "ÿ", true),
            ("^\\400$", " 0", true),
            ("^\\1$", "\u{01}", true),
            ("^\\12$", "\n", true),
            ("^\\123$", "S", true),
            ("^\\18$", "\u{01}8", true),
            ("^\\8\\9$", "89", true),
            ("^(a)\\2$", "a\u{02}", true),
            ("^(a)\\10$", "a\u{8}", true),
            ("^(a)\\8$", "a8", true),
            ("^(?:a)\\1$", "a\u{01}", true),
            ("^[(]\\1$", "(\u{01}", true),
            ("^\\(\\1$", "(\u{01}", true),
            ("^(a)[\\1]$", "a\u{01}", true),
            ("^[\\8]$", "8", true),
            ("^[\\18]+$", "\u{01}8", true),
            ("^[\\08]+$", "\u{00}8", true),
            ("^[\\377]$", "ÿ", true),
            ("^\\k$", "k", true),
            ("^\\k<a>$", "k<a>", true),
            ("^[\\k]$", "k", true),
            ("^\\p{L}$", "p{L}", true),
            ("^\\p{2}$", "pp", true),
            ("^\\P$", "P", true),
            ("^\\u0041$", "A", true),
            ("(?i)^\\u0041$", "a", true),
            ("^\\u004$", "u004", true),
            ("^\\u{2}$", "uu", true),
            ("(?i)^\\u00e9$", "É", true),
            ("^\\ud83d\\ude00$", "😀", true),
            ("^\\u$", "u", true),
            ("^\\x41$", "A", true),
            ("(?i)^\\x41$", "a", true),
            ("^\\x4$", "x4", true),
            ("^\\x4g$", "x4g", true),
            ("^\\x{2}$", "xx", true),
            ("(?i)^\\xe9$", "É", true),
            ("^[\\x41-\\x43]$", "B", true),
            ("^[\\u0041-\\u0043]$", "B", true),
            ("^[\\x4]+$", "x4", true),
            ("^[\\u{41}]+$", "u{41}", true),
            ("^[\\u{41}]$", "A", false),
            ("^[\\b]$", "\u{8}", true),
            ("^[\\b]$", "b", false),
            ("^[\\B]$", "B", true),
            ("^a\\B$", "ab", false),
            ("^[\\d-\\x41]+$", "-A5", true),
            ("^[\\d-\\x41]$", "B", false),
        ] {
            let got = Regex::new(p).map(|re| re.is_match(t, &mut { u32::MAX }));
            if got != Ok(Ok(want)) {
                wrong.push(format!("{p:?} on {t:?}: {got:?}, not {want}"));
            }
        }
        assert!(
            wrong.is_empty(),
            "{} wrong:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }

    /// What JavaScript reads as a back-reference (`\N` with N groups or more in the pattern, before or after it;
    /// `\k` in a pattern with a named group) is refused, as are the escapes JavaScript refuses too.
    #[test]
    fn back_references_and_bad_escapes_are_refused() {
        for p in [
            "(a)\\1",
            "\\1(a)",
            "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10",
            "(a)\\10\\1",
            "(a)\\1\\10",
            "(?<a>x)\\k<a>",
            "\\k<a>(?<a>x)",
            "(?<a>x)\\k",
            "(?<a>x)[\\k]",
            "[\\c-a]",
            "[\\z-\\a]",
            "\\",
            "[\\",
        ] {
            assert!(Regex::new(p).is_err(), "{p:?} is accepted");
        }
    }

    /// A group's name is an identifier, as JavaScript requires (its ASCII subset here: other characters are not
    /// supported), used once in a pattern unless in different alternatives of one disjunction (ES2025, Chromium 125
    /// and later; Node 20 refuses every duplicate). Each refusal below is JavaScript's too.
    #[test]
    fn group_names_are_checked_as_javascript_checks_them() {
        for p in [
            "(?<n>x)",
            "(?<$>x)",
            "(?<_1>x)",
            "(?<aZ9$_>x)",
            "(?<\\u006e>x)",
            "(?<\\u{6e}>x)",
            "(?<a\\u{000031}>x)",
            "(?<a>x)(?<b>y)",
            "(?<a>x)|(?<a>y)",
            "((?<a>x)|(?<a>y))z",
            "(?:(?<a>x)|y|(?<a>z))+",
            "(?<a>x)|((?<a>y)|(?<a>z))",
            "(?<a>x)|(?<\\u0061>y)",
            "(?<a>x)|y(?:(?<a>z)|(?<a>w))",
        ] {
            let re = Regex::new(p);
            assert!(re.is_ok(), "{p:?}: {re:?}");
        }
        assert!(m("^(?:(?<a>x)|(?<a>y))+$", "xyx"));
        for (p, says) in [
            ("(?<1>x)", "invalid group name"),
            ("(?<1a>x)", "invalid group name"),
            ("(?<>x)", "invalid group name"),
            ("(?<a b>x)", "invalid group name"),
            ("(?<a-b>x)", "invalid group name"),
            ("(?<a", "invalid group name"),
            ("(?<a>", "unclosed group"),
            ("(?<", "invalid group name"),
            ("(?<\\x61>x)", "invalid group name"),
            ("(?<\\u006>x)", "invalid group name"),
            ("(?<\\u{}>x)", "invalid group name"),
            ("(?<\\u{110000}>x)", "invalid group name"),
            ("(?<a>x)(?<a>y)", "used twice"),
            ("(?<a>x)(?<\\u0061>y)", "used twice"),
            ("(?<a>(?<a>x))", "used twice"),
            ("(?:(?<a>x)|y)(?<a>z)", "used twice"),
            ("(?<a>x)|(?<a>y)(?<a>z)", "used twice"),
            ("(?<a>x)|y(?<a>z)(?:(?<a>w)|v)", "used twice"),
            ("(?<é>x)", "not supported"),
            ("(?<😀>x)", "not supported"),
            ("(?<\\u00e9>x)", "not supported"),
            ("(?", "invalid group"),
            ("(?P<n>x)", "invalid group"),
            ("(?i:x)", "inline flags are not supported"),
            ("a(?i)b", "inline flags are not supported"),
            ("(?=x)", "look-around"),
            ("(?<!x)", "look-around"),
        ] {
            match Regex::new(p) {
                Err(e) => assert!(e.0.contains(says), "{p:?}: {e}, not {says:?}"),
                Ok(_) => panic!("{p:?} is accepted"),
            }
        }
    }

    #[test]
    fn runs_in_linear_time_on_pathological_input() {
        // Catastrophic for a backtracking engine; here it costs at most text × instructions steps.
        let re = Regex::new("^(a+)+$").unwrap();
        let text = "a".repeat(5000) + "b";
        let mut budget = u32::MAX;
        assert!(!re.is_match(&text, &mut budget).unwrap());
        assert!(u32::MAX - budget < 5001 * re.insts.len() as u32);
        let mut small = 100;
        assert_eq!(re.is_match(&text, &mut small), Err(OutOfSteps));
    }

    /// A `-` between a character and a class escape (`[+-\\s]`) is no range in JavaScript without the `u` flag:
    /// the class holds the character, the `-` and the escape's class.
    #[test]
    fn a_dash_before_a_class_escape_in_a_class_is_a_dash() {
        for (p, t, want) in [
            ("^[0-9+-\\s()]+$", "+1 555-0100", true),
            ("^[a-\\d]$", "-", true),
            ("^[a-\\d]$", "5", true),
            ("^[a-\\d]$", "a", true),
            ("^[a-\\d]$", "b", false),
            ("^[%-\\W]$", "\u{e9}", true),
            ("^[%-\\W]$", "a", false),
        ] {
            assert_eq!(m(p, t), want, "{p:?} on {t:?}");
        }
    }

    /// An escaped character in a class is the character as written, as an unescaped one is: ignoring case
    /// applies when matching, so a range keeps the bounds written (`[\\Þ-ß]` is U+00DE to U+00DF).
    #[test]
    fn an_escaped_character_in_a_class_keeps_its_case() {
        let ci = |p: &str, t: &str| {
            let mut budget = u32::MAX;
            Regex::with_flags(p, true)
                .unwrap()
                .is_match(t, &mut budget)
                .unwrap()
        };
        assert!(ci("^[\\Þ-ß]$", "ß"));
        assert!(ci("^[\\Þ-ß]$", "þ"));
        assert!(ci("^[\\É-\\é]$", "ö"), "Ö is in the range");
        assert!(!ci("^[\\É-\\é]$", "a"));
        assert!(m("(?i)^[\\Þ-ß]+$", "Þß"));
    }

    /// Ignoring case, characters are compared as JavaScript compares them without the `u` flag: by their
    /// uppercase (Canonicalize), except that a character beyond ASCII never becomes an ASCII one. So the three
    /// sigmas are one letter, as are the micro sign and mu, but a dotted capital I is not an i.
    #[test]
    fn ignoring_case_compares_uppercase_as_javascript_does() {
        for (p, t, want) in [
            ("(?i)^ΛΟΓΟΣ$", "λογος", true),
            ("(?i)^σ$", "ς", true),
            ("(?i)^ς$", "Σ", true),
            ("(?i)^[ς]$", "σ", true),
            ("(?i)^[Σ]$", "ς", true),
            ("(?i)^[α-ω]+$", "ΛΟΓΟΣ", true),
            ("(?i)^[^σ]$", "ς", false),
            ("(?i)^µ$", "μ", true),
            ("(?i)^[µ]$", "Μ", true),
            ("(?i)^μ$", "µ", true),
            ("(?i)^i$", "İ", false),
            ("(?i)^İ$", "i", false),
            ("(?i)^[i]$", "İ", false),
            ("(?i)^[İ]$", "i", false),
            ("(?i)^ı$", "I", false),
            ("(?i)^[^ı]$", "I", true),
            ("(?i)^s$", "ſ", false),
            ("(?i)^ÿ$", "Ÿ", true),
            ("(?i)^[Ÿ]$", "ÿ", true),
            ("(?i)^é$", "É", true),
        ] {
            assert_eq!(m(p, t), want, "{p:?} on {t:?}");
        }
    }

    /// A `{m}`, `{m,}` or `{m,n}` with nothing before it to repeat is an error in JavaScript (not the literal
    /// text a `{` that is no quantifier is).
    #[test]
    fn a_quantifier_with_nothing_to_repeat_is_refused() {
        for p in [
            "{2}",
            "a{2}{3}",
            "(?:{1,2})",
            "a|{2}",
            "x*{2}",
            "{2,}",
            "{2,1}",
        ] {
            assert!(Regex::new(p).is_err(), "{p:?}");
            assert!(Regex::with_flags(p, false).is_err(), "{p:?}");
        }
        for (p, t) in [("x{", "x{"), ("^{$", "{"), ("{a}", "{a}"), ("{,2}", "{,2}")] {
            assert!(m(p, t), "{p:?}");
        }
    }

    #[test]
    fn a_compiled_regex_reads_back_and_a_damaged_one_is_refused() {
        let re = Regex::new("^a[b-d]+(x|y)\\b$").unwrap();
        let v = re.to_value();
        let back = Regex::from_value(&v).unwrap();
        assert_eq!(back.to_value(), v);
        let mut budget = u32::MAX;
        assert_eq!(back.is_match("abcx", &mut budget), Ok(true));
        let text = v.to_json();
        for (from, to) in [
            ("[3,0,0,0,97,0", "[3,0,0,0,1114112,0"), // past the last character
            ("[3,0,0,0,97,0,2,0,0", "[3,0,0,0,97,0,2,2,0"), // a class that does not exist
            ("[3,0,0,0,97,0", "[3,0,0,9,97,0"),      // an unknown operation
        ] {
            let bad = text.replacen(from, to, 1);
            assert_ne!(bad, text, "{from}");
            let bad = crate::core::json::parse(&bad).unwrap();
            assert!(Regex::from_value(&bad).is_none(), "{from} -> {to}");
        }
        // A whole character outside the Basic Multilingual Plane, as a compiler that read patterns by character
        // wrote it, is read and matches nothing.
        let old = text.replacen("[3,0,0,0,97,0", "[3,0,0,0,128512,0", 1);
        let old = Regex::from_value(&crate::core::json::parse(&old).unwrap()).unwrap();
        assert_eq!(old.is_match("😀bx", &mut budget), Ok(false));
    }
}
