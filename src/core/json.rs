//! A small JSON value, parser and writer.
//!
//! The SDK ships as wasm, where `serde_json` and its generic machinery cost tens of kilobytes; the event model,
//! the profile and the rule engine need only this much. Objects keep insertion order (the wire format is easier to
//! read and to diff that way) and are looked up linearly: event properties and traits are small.

/// Deepest nesting the parser accepts. Deeper input is an error, never a stack overflow.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    Object(Map),
}

/// An insertion-ordered map of string keys; a repeated key replaces the earlier value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map(Vec<(String, Value)>);

impl Map {
    pub fn new() -> Self {
        Map(Vec::new())
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        let key = key.into();
        match self.get_mut(&key) {
            Some(slot) => *slot = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let at = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(at).1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The entries in order, values changeable in place (keys are unique).
    pub fn entries_mut(&mut self) -> &mut [(String, Value)] {
        &mut self.0
    }

    /// Copies every entry of `other` over this map (shallow merge, as `identify` merges traits).
    pub fn merge(&mut self, other: &Map) {
        for (k, v) in other.iter() {
            self.insert(k, v.clone());
        }
    }
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// Looks a member up when this is an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|m| m.get(key))
    }

    /// Serialises to compact JSON.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        write_value(self, &mut out);
        out
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Object(m)
    }
}

/// Why a document did not parse, and the byte offset where that was noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub kind: JsonErrorKind,
    pub offset: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorKind {
    UnexpectedEnd,
    UnexpectedChar,
    BadNumber,
    BadEscape,
    TooDeep,
    TrailingCharacters,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.kind {
            JsonErrorKind::UnexpectedEnd => "unexpected end of input",
            JsonErrorKind::UnexpectedChar => "unexpected character",
            JsonErrorKind::BadNumber => "invalid number",
            JsonErrorKind::BadEscape => "invalid escape",
            JsonErrorKind::TooDeep => "nesting too deep",
            JsonErrorKind::TrailingCharacters => "trailing characters",
        };
        write!(f, "{what} at byte {}", self.offset)
    }
}

/// Parses one JSON document (RFC 8259), nesting at most [`MAX_DEPTH`] deep.
pub fn parse(text: &str) -> Result<Value, JsonError> {
    read(text, true)
}

/// Checks one JSON document as [`parse`] reads it (the same errors for the same text), keeping none of what is in
/// it: the answer is the kind of value at the top, empty (an object or array with nothing in it, `""`, 0; not to be
/// read further). For text whose contents are not needed (the page's properties where no rule engine reads them):
/// nothing is allocated and no number is converted.
pub fn check(text: &str) -> Result<Value, JsonError> {
    read(text, false)
}

fn read(text: &str, keep: bool) -> Result<Value, JsonError> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        keep,
    };
    p.skip_ws();
    let v = p.value(0)?;
    p.skip_ws();
    if p.pos != p.bytes.len() {
        return Err(p.err(JsonErrorKind::TrailingCharacters));
    }
    Ok(v)
}

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    /// Whether values are built ([`parse`]) or only checked ([`check`]); read through [`Parser::keep`].
    keep: bool,
}

// Text is sliced with `get` rather than indexing throughout: an index panic would bring the whole
// `char`-escaping formatter of its message (about 3 KB) into the wasm, even though it cannot happen here.
impl Parser<'_> {
    /// Whether values are built. Always in the segments build's wasm, which never only checks (its rules read
    /// every event's properties: `tracker::RULES_READ_EVENTS`), so that its parser has no code for checking; a
    /// [`check`] there would build the value, which is still an answer [`check`] may give. (Native tests check
    /// both ways in either build.)
    fn keep(&self) -> bool {
        cfg!(all(feature = "segments", target_arch = "wasm32")) || self.keep
    }

    /// Whether the input continues with `lit`.
    fn at(&self, lit: &str) -> bool {
        self.bytes
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(lit.as_bytes()))
    }

    fn err(&self, kind: JsonErrorKind) -> JsonError {
        JsonError {
            kind,
            offset: self.pos,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Result<u8, JsonError> {
        self.bytes
            .get(self.pos)
            .copied()
            .ok_or(self.err(JsonErrorKind::UnexpectedEnd))
    }

    fn expect_word(&mut self, word: &str, v: Value) -> Result<Value, JsonError> {
        if self.at(word) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.err(JsonErrorKind::UnexpectedChar))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        if depth >= MAX_DEPTH {
            return Err(self.err(JsonErrorKind::TooDeep));
        }
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(Value::String),
            b't' => self.expect_word("true", Value::Bool(true)),
            b'f' => self.expect_word("false", Value::Bool(false)),
            b'n' => self.expect_word("null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(self.err(JsonErrorKind::UnexpectedChar)),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.pos += 1;
        let mut map = Map::new();
        self.skip_ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Ok(Value::Object(map));
        }
        loop {
            self.skip_ws();
            if self.peek()? != b'"' {
                return Err(self.err(JsonErrorKind::UnexpectedChar));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek()? != b':' {
                return Err(self.err(JsonErrorKind::UnexpectedChar));
            }
            self.pos += 1;
            self.skip_ws();
            let v = self.value(depth + 1)?;
            if self.keep() {
                map.insert(key, v);
            } else {
                // Only checked: nothing in them was allocated, so there is nothing to free (and dropping them
                // would cost a `Value`'s drop code here).
                std::mem::forget((key, v));
            }
            self.skip_ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                _ => return Err(self.err(JsonErrorKind::UnexpectedChar)),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            let v = self.value(depth + 1)?;
            if self.keep() {
                items.push(v);
            } else {
                std::mem::forget(v);
            }
            self.skip_ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.err(JsonErrorKind::UnexpectedChar)),
            }
        }
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        self.digits();
        let int_len = self.pos - int_start;
        if int_len == 0 || (int_len > 1 && self.bytes[int_start] == b'0') {
            return Err(self.err(JsonErrorKind::BadNumber));
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err(JsonErrorKind::BadNumber));
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err(JsonErrorKind::BadNumber));
            }
        }
        if !self.keep() {
            return Ok(Value::Number(0.0));
        }
        let slice = self.text.get(start..self.pos).unwrap_or_default();
        let n = decimal_to_f64(slice);
        // An integer is never negative zero (`-0` reads as 0): adding zero turns -0.0 into 0.0 and leaves
        // every other number as it is.
        Ok(Value::Number(if int_len == self.pos - int_start {
            n + 0.0
        } else {
            n
        }))
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            // Copy the longest run without escapes in one go.
            let run_start = self.pos;
            while let Some(&b) = self.bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            if self.keep() {
                out.push_str(self.text.get(run_start..self.pos).unwrap_or_default());
            }
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let esc = self.peek()?;
                    self.pos += 1;
                    let c = match esc {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(self.err(JsonErrorKind::BadEscape)),
                    };
                    if self.keep() {
                        out.push(c);
                    }
                }
                _ => return Err(self.err(JsonErrorKind::UnexpectedChar)),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        // A byte loop rather than `u32::from_str_radix`, whose generic parser costs wasm bytes.
        // (`from_str_radix` also took a sign, which JSON does not allow.)
        let mut v = 0;
        for at in self.pos..self.pos + 4 {
            let digit = self.bytes.get(at).and_then(|&b| super::url::hex_val(b));
            let Some(digit) = digit else {
                return Err(self.err(JsonErrorKind::BadEscape));
            };
            v = v << 4 | u32::from(digit);
        }
        self.pos += 4;
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let hi = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            // A high surrogate must be followed by an escaped low one; a lone one becomes U+FFFD, and the escape
            // after it, if any, is then read on its own (another lone half, a control character).
            if self.at("\\u") {
                self.pos += 2;
                let lo = self.hex4()?;
                if (0xDC00..0xE000).contains(&lo) {
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    // Back to the escape just read.
                    self.pos -= 6;
                    0xFFFD
                }
            } else {
                0xFFFD
            }
        } else {
            hi
        };
        Ok(char::from_u32(code).unwrap_or('\u{FFFD}'))
    }
}

/// Exact powers of ten representable in an f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Converts a number already checked against the JSON grammar, exactly (correctly rounded).
///
/// Numbers with at most 15 significant digits and a decimal exponent within ±22 (everything `JSON.stringify`
/// writes for ordinary values) take Clinger's fast path here: one multiplication or division of two exactly
/// representable numbers. The rest go to a correctly rounding parser: std's natively, the host's in the browser
/// (`JSON.parse`: std's would carry a 10 KB table into the wasm; see [`use_host_numbers`]).
pub fn decimal_to_f64(text: &str) -> f64 {
    let bytes = text.as_bytes();
    let negative = bytes.first() == Some(&b'-');
    let mut mantissa: u64 = 0;
    let mut exp10: i32 = 0;
    let mut i = usize::from(negative);
    let mut after_point = false;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'0'..=b'9' => {
                // A mantissa past 2^53 cannot take the fast path: the correctly rounding parser reads the number.
                // (Leading zeros keep it 0; they cost nothing.)
                if mantissa > 1 << 53 {
                    return parse_float(text);
                }
                mantissa = mantissa * 10 + u64::from(c - b'0');
                exp10 -= i32::from(after_point);
            }
            b'.' => after_point = true,
            _ => break,
        }
        i += 1;
    }
    if let Some(b'e' | b'E') = bytes.get(i) {
        i += 1;
        let exp_negative = bytes.get(i) == Some(&b'-');
        if let Some(b'+' | b'-') = bytes.get(i) {
            i += 1;
        }
        let mut e: i32 = 0;
        while let Some(&c) = bytes.get(i) {
            e = e.saturating_mul(10).saturating_add(i32::from(c - b'0'));
            i += 1;
        }
        exp10 = exp10.saturating_add(if exp_negative { -e } else { e });
    }
    let value = if mantissa == 0 {
        0.0
    } else if mantissa <= (1 << 53) && (-22..=22).contains(&exp10) {
        let m = mantissa as f64;
        if exp10 >= 0 {
            m * POW10[exp10 as usize]
        } else {
            m / POW10[(-exp10) as usize]
        }
    } else {
        return parse_float(text);
    };
    if negative {
        -value
    } else {
        value
    }
}

/// Appends `v` as compact JSON.
pub fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(*n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => write_map(map, out),
    }
}

/// Appends an object as compact JSON (without wrapping it in a [`Value`], which would take a copy).
pub fn write_map(map: &Map, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in map.0.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(k, out);
        out.push(':');
        write_value(v, out);
    }
    out.push('}');
}

/// Writes a number as JSON; non-finite numbers have no JSON form and become `null`, as in `JSON.stringify`.
pub fn write_number(n: f64, out: &mut String) {
    if !n.is_finite() {
        out.push_str("null");
    } else if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        write_int(n as i64, out);
    } else {
        write_float(n, out);
    }
}

/// A finite number that is not a safe integer, in its shortest round-trip form.
#[cfg(not(target_arch = "wasm32"))]
fn write_float(n: f64, out: &mut String) {
    out.push_str(ryu::Buffer::new().format_finite(n));
}

/// A JSON number the fast path cannot convert exactly, correctly rounded.
#[cfg(not(target_arch = "wasm32"))]
fn parse_float(text: &str) -> f64 {
    text.parse().unwrap_or(f64::NAN)
}

/// How the browser build reads and writes the numbers the core cannot do cheaply (see [`use_host_numbers`]).
#[cfg(target_arch = "wasm32")]
#[derive(Clone, Copy)]
pub struct HostNumbers {
    /// Writes a finite number that is not a safe integer, in its shortest round-trip form.
    pub write: fn(f64, &mut String),
    /// Reads a number in the JSON grammar, correctly rounded.
    pub read: fn(&str) -> f64,
}

// In the browser the host reads and writes such numbers: JavaScript's are shortest round-trip and correctly
// rounded, and already there, where ryu and std's float parser would add about 2.7 KB gzip to the module. The web
// layer hands them to the core when the SDK starts; the core stays free of browser APIs.
#[cfg(target_arch = "wasm32")]
thread_local! {
    static HOST_NUMBERS: std::cell::Cell<Option<HostNumbers>> = const { std::cell::Cell::new(None) };
}

/// Sets how the browser build reads and writes numbers that are not plain (see `write_float`, `parse_float`).
#[cfg(target_arch = "wasm32")]
pub fn use_host_numbers(numbers: HostNumbers) {
    HOST_NUMBERS.with(|h| h.set(Some(numbers)));
}

// Without host numbers (not in the SDK: `init` sets them before anything is recorded or read), such a number is
// `null` / NaN rather than a wrong one.
#[cfg(target_arch = "wasm32")]
fn write_float(n: f64, out: &mut String) {
    match HOST_NUMBERS.with(|h| h.get()) {
        Some(host) => (host.write)(n, out),
        None => out.push_str("null"),
    }
}

#[cfg(target_arch = "wasm32")]
fn parse_float(text: &str) -> f64 {
    HOST_NUMBERS
        .with(|h| h.get())
        .map_or(f64::NAN, |host| (host.read)(text))
}

/// The parts joined, as `<[&str]>::concat`. The tracking build uses [`concat_loop`]; the segments build links
/// std's anyway (the rule and campaign code concatenates), so there it is std's and the module does not carry both.
#[cfg(not(feature = "segments"))]
pub fn concat(parts: &[&str]) -> String {
    concat_loop(parts)
}

#[cfg(feature = "segments")]
pub fn concat(parts: &[&str]) -> String {
    parts.concat()
}

/// The parts joined by a plain loop: std's generic join (with a separator) is several times this size. Compiled
/// in every build, so the tests check it whichever build they run in.
#[cfg_attr(feature = "segments", allow(dead_code))]
fn concat_loop(parts: &[&str]) -> String {
    let mut out = String::new();
    for p in parts {
        out.push_str(p);
    }
    out
}

/// An integer as text, without going through `core::fmt`.
pub fn int_text(n: i64) -> String {
    let mut s = String::new();
    write_int(n, &mut s);
    s
}

/// Writes an integer without going through `core::fmt` (smaller and faster in wasm).
pub fn write_int(n: i64, out: &mut String) {
    if n < 0 {
        out.push('-');
    }
    write_padded(n.unsigned_abs(), 1, out);
}

/// Writes `n` in decimal with at least `width` digits (leading zeros): integers here and the fields of ISO 8601
/// times (`time::write_iso8601`) share this one digit loop.
pub(crate) fn write_padded(mut n: u64, width: usize, out: &mut String) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i.min(buf.len() - width)..] {
        out.push(b as char);
    }
}

/// Writes a JSON string literal with the escapes RFC 8259 requires.
pub fn write_string(s: &str, out: &mut String) {
    out.push('"');
    let mut run_start = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(s.get(run_start..i).unwrap_or_default());
        if esc.is_empty() {
            out.push_str("\\u00");
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0xf));
        } else {
            out.push_str(esc);
        }
        run_start = i + 1;
    }
    out.push_str(s.get(run_start..).unwrap_or_default());
    out.push('"');
}

/// The value of `s` when it is one or more ASCII digits, `None` otherwise. Callers bound its length so that the
/// value fits (past 19 digits it wraps). One byte loop for every digits-only text the SDK reads: `bytes().all`
/// and `fold` with closures are functions of their own per use.
pub fn digits_value(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in s.as_bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
    }
    Some(n)
}

/// The lowercase hex digit of a nibble.
pub(crate) fn hex_digit(n: u8) -> char {
    char::from(if n < 10 { b'0' + n } else { b'a' + n - 10 })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads digits as the `bytes().all` check and `fold` it replaces did.
    #[test]
    fn digits_read_as_the_iterator_form_did() {
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| ["0", "7", "9", "a", "-", " ", "é"].map(|c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
        }
        texts.push("123456789012345".into());
        for t in &texts {
            let then = (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0')));
            assert_eq!(digits_value(t), then, "{t:?}");
        }
    }

    #[test]
    fn concatenates_in_order() {
        for parts in [&[][..], &["a", "", "bc", "é"], &["only"]] {
            assert_eq!(concat(parts), parts.concat());
            assert_eq!(concat_loop(parts), parts.concat());
        }
    }

    #[test]
    fn round_trips_documents() {
        for doc in [
            r#"{"a":1,"b":[true,false,null],"c":"x\"y\\z\n","d":{"e":-2.5}}"#,
            r#"[]"#,
            r#"{}"#,
            r#""\u0001""#,
            r#"[1e+21,0.1,-0]"#,
        ] {
            let v = parse(doc).unwrap();
            let again = parse(&v.to_json()).unwrap();
            assert_eq!(v, again, "{doc}");
        }
    }

    #[test]
    fn keeps_insertion_order_and_last_duplicate_wins() {
        let v = parse(r#"{"b":1,"a":2,"b":3}"#).unwrap();
        assert_eq!(v.to_json(), r#"{"b":3,"a":2}"#);
    }

    #[test]
    fn decodes_escapes_and_surrogates() {
        let v = parse(r#""\ud83d\ude00 \u00e9 \/ \ud800x""#).unwrap();
        assert_eq!(v.as_str(), Some("😀 é / \u{FFFD}x"));
    }

    /// What `JSON.stringify` writes for strings holding unpaired surrogates (a page's emoji cut in half by its own
    /// `slice`) next to other escapes: each unpaired surrogate is one U+FFFD, as the browser's UTF-8 encoding of
    /// the string gives, and the escape after it is still read. (A high surrogate used to take the next `\u`
    /// escape with it whatever it was: `"\ud83d\ud83d"`, two halves, read as one U+FFFD, and `"\ud800\u0001"`
    /// lost its control character.)
    #[test]
    fn an_unpaired_high_surrogate_keeps_the_escape_after_it() {
        for (text, want) in [
            (r#""\ud83d\ud83d""#, "\u{FFFD}\u{FFFD}"),
            (r#""\ud83d\ud83d\ude00""#, "\u{FFFD}😀"),
            (r#""\ud800\u0001x""#, "\u{FFFD}\u{1}x"),
            (r#""\ud800\u00e9""#, "\u{FFFD}é"),
            (r#""\ude00\ud83d""#, "\u{FFFD}\u{FFFD}"),
            (r#""\ud83d\n""#, "\u{FFFD}\n"),
        ] {
            assert_eq!(parse(text).unwrap().as_str(), Some(want), "{text}");
        }
    }

    /// Integers were first read by a loop of their own (up to 15 digits); the general reader must give the same
    /// numbers, and `-0` still reads as positive zero while `-0.0` keeps its sign.
    #[test]
    fn reads_integers_as_their_own_loop_did() {
        let number = |t: &str| match parse(t) {
            Ok(Value::Number(n)) => n,
            other => panic!("{t}: {other:?}"),
        };
        let mut n: i64 = 1;
        for _ in 0..15 {
            for m in [n - 1, n, n + 1, n * 7 / 3, 999_999_999_999_999] {
                for v in [m, -m] {
                    let read = number(&int_text(v));
                    assert_eq!(read.to_bits(), (v as f64).to_bits(), "{v}");
                }
            }
            n *= 10;
        }
        assert!(number("-0").is_sign_positive());
        assert!(number("0").is_sign_positive());
        assert!(number("-0.0").is_sign_negative());
        assert!(number("-0e1").is_sign_negative());
        assert_eq!(number("12345678901234567"), 12_345_678_901_234_567.0);
    }

    #[test]
    fn writes_integers_without_fraction() {
        assert_eq!(
            parse("[42, -7, 1.5, 1e3]").unwrap().to_json(),
            "[42,-7,1.5,1000]"
        );
        let mut s = String::new();
        write_number(f64::NAN, &mut s);
        assert_eq!(s, "null");
    }

    #[test]
    fn rejects_malformed_input_with_offset() {
        let cases = [
            ("", JsonErrorKind::UnexpectedEnd, 0),
            ("{\"a\":}", JsonErrorKind::UnexpectedChar, 5),
            ("01", JsonErrorKind::BadNumber, 2),
            ("1.", JsonErrorKind::BadNumber, 2),
            ("\"\\x\"", JsonErrorKind::BadEscape, 3),
            ("\"\\u+12a\"", JsonErrorKind::BadEscape, 3),
            ("\"\\u12g4\"", JsonErrorKind::BadEscape, 3),
            ("[1] x", JsonErrorKind::TrailingCharacters, 4),
            ("tru", JsonErrorKind::UnexpectedChar, 0),
            ("\"a\nb\"", JsonErrorKind::UnexpectedChar, 2),
        ];
        for (doc, kind, offset) in cases {
            let e = parse(doc).unwrap_err();
            assert_eq!((e.kind, e.offset), (kind, offset), "{doc:?}");
        }
    }

    #[test]
    fn parses_decimals_exactly() {
        for text in [
            "0",
            "-0",
            "1",
            "0.1",
            "0.3",
            "3.14159",
            "-2.5",
            "1e3",
            "1E-3",
            "123456.789",
            "0.000001",
            "1e22",
            "9007199254740992",
            "2.2250738585072014e-308",
            "1.7976931348623157e308",
            "5e-324",
            "0.30000000000000004",
            "123456789012345678901234",
            "-1.7976931348623157e+308",
            "4.9406564584124654e-324",
            "0.1000000000000000055511151231257827",
        ] {
            let want: f64 = text.parse().unwrap();
            assert_eq!(decimal_to_f64(text), want, "{text}");
        }
        assert_eq!(decimal_to_f64("1e999"), f64::INFINITY);
        assert_eq!(decimal_to_f64("1e-999"), 0.0);
    }

    // proptest is a native-only dev-dependency (the crate's tests also build for wasm32).
    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// Every finite number reads back exactly from what the writer writes.
        #[test]
        fn every_number_round_trips(bits in proptest::num::u64::ANY) {
            let n = f64::from_bits(bits);
            proptest::prop_assume!(n.is_finite());
            let mut s = String::new();
            write_number(n, &mut s);
            let back = parse(&s).unwrap().as_f64().unwrap();
            // -0 is written as 0 (as `JSON.stringify` does).
            proptest::prop_assert!(back == n, "{} -> {} -> {}", n, s, back);
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// Decimals of every shape the fast path sees (up to 20 digits, a point anywhere, leading and trailing
        /// zeros, an exponent) read exactly as std's correctly rounding parser reads them.
        #[test]
        fn decimals_read_as_std_reads_them(
            digits in "[0-9]{1,20}",
            point in 0usize..21,
            zeros in "0{0,4}",
            exp in proptest::option::of(-30i32..30),
            negative in proptest::bool::ANY,
        ) {
            let mut text = String::from(if negative { "-" } else { "" });
            let at = point.min(digits.len());
            text.push_str(&digits[..at]);
            if at < digits.len() {
                text.push('.');
                text.push_str(&digits[at..]);
                text.push_str(&zeros);
            }
            if let Some(e) = exp {
                text.push_str(&format!("e{e}"));
            }
            let want: f64 = text.parse().unwrap();
            proptest::prop_assert_eq!(decimal_to_f64(&text).to_bits(), want.to_bits(), "{}", text);
        }
    }

    #[test]
    fn writes_shortest_round_trip_floats() {
        for n in [0.1, 0.30000000000000004, 1.5e-7, 1e21, -2.5, 123.456] {
            let mut s = String::new();
            write_number(n, &mut s);
            assert_eq!(s.parse::<f64>().unwrap(), n, "{s}");
            assert!(s.len() <= 20, "{s}");
        }
    }

    #[test]
    fn bounds_nesting_depth() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&deep).unwrap_err().kind, JsonErrorKind::TooDeep);
        assert_eq!(check(&deep), parse(&deep));
        let ok = "[".repeat(MAX_DEPTH - 1) + &"]".repeat(MAX_DEPTH - 1);
        assert!(parse(&ok).is_ok());
        assert_eq!(check(&ok), checked_as_parsed(&ok));
    }

    /// What [`check`] answers for `text`, from what [`parse`] does: the same error, or the value emptied.
    fn checked_as_parsed(text: &str) -> Result<Value, JsonError> {
        if cfg!(all(feature = "segments", target_arch = "wasm32")) {
            // That build's parser keeps everything (`Parser::keep`).
            return parse(text);
        }
        parse(text).map(|v| match v {
            Value::Object(_) => Value::Object(Map::new()),
            Value::Array(_) => Value::Array(Vec::new()),
            Value::String(_) => Value::String(String::new()),
            Value::Number(_) => Value::Number(0.0),
            v => v,
        })
    }

    #[test]
    fn checks_as_it_parses() {
        for text in [
            r#"{"a":[1,{"b":"c\u00e9\ud83d\ude00"}],"d":null}"#,
            r#" {"a":1,"a":2} "#,
            r#"[1e400,-0,0.5E-3,true,false]"#,
            r#""\ud83d""#,
            "12",
            "{",
            r#"{"a":}"#,
            r#"{"a":01}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12g4"}"#,
            "{\"a\":\"\t\"}",
            "[1,]",
            "tru",
            "1.",
            "{}x",
            "",
        ] {
            assert_eq!(check(text), checked_as_parsed(text), "{text}");
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// Any text made of JSON's own characters is checked as it is parsed: the same error at the same offset,
        /// or the same kind of value.
        #[test]
        fn check_agrees_with_parse(text in r#"[{}\[\]":,\\ 0-9.eE+\-tfnrulasx\u{e9}\t]{0,40}"#) {
            proptest::prop_assert_eq!(check(&text), checked_as_parsed(&text));
        }
    }

    #[test]
    fn escapes_control_characters() {
        let mut s = String::new();
        write_string("a\u{1}b\"", &mut s);
        assert_eq!(s, r#""a\u0001b\"""#);
    }
}
