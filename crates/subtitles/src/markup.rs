//! Styled cue text as a node tree, with a parser and a renderer for each format's markup.
//!
//! * WebVTT: the spec's cue text tokenizer and tree builder (`c`, `i`, `b`, `u`, `ruby`/`rt`,
//!   `v`, `lang`, timestamps, HTML character references incl. the full named table).
//! * SRT: `<i>`, `<b>`, `<u>`, `<font color>` and common entities; ASS-style `{\…}` blocks
//!   that some SRT files carry are dropped.
//! * ASS: override blocks `{\i1}`, `{\b1}`, `{\u1}`, `{\r}` become spans; other override tags
//!   are dropped in conversion (the raw ASS text keeps them for an ASS round trip); `\N` is a
//!   line break, `\n` a soft break (space), `\h` a no-break space; drawings (`\p1`) are dropped.

use crate::model::Format;

/// The kind of a styled span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpanKind {
    /// WebVTT `<c>` (a span carrying classes).
    Class,
    /// Italic.
    Italic,
    /// Bold.
    Bold,
    /// Underline.
    Underline,
    /// Ruby container (`<ruby>`).
    Ruby,
    /// Ruby text (`<rt>`), the annotation of the preceding base text.
    RubyText,
    /// Voice (`<v Name>`); the speaker is in [`Span::annotation`].
    Voice,
    /// Language span (`<lang tag>`); the BCP-47 tag is in [`Span::annotation`].
    Lang,
    /// SRT `<font color="…">`: the colour as written.
    Font(String),
}

/// A styled span with its children.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// What the span does.
    pub kind: SpanKind,
    /// Class names (WebVTT `.class` suffixes).
    pub classes: Vec<String>,
    /// Voice name or language tag, when the kind takes one.
    pub annotation: Option<String>,
    /// Child nodes.
    pub children: Vec<Node>,
}

/// A node of cue text.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Text; a `\n` inside is a line break.
    Text(String),
    /// A karaoke/inline timestamp (milliseconds from programme start).
    Timestamp(i64),
    /// A styled span.
    Span(Span),
}

/// Parses cue text written in `format`'s markup into nodes.
pub fn parse(format: Format, text: &str) -> Vec<Node> {
    match format {
        Format::WebVtt | Format::Ttml => parse_vtt(text),
        Format::Srt => parse_srt(text),
        Format::Ass | Format::Ssa => parse_ass(text),
    }
}

/// Renders nodes in `format`'s markup.
pub fn render(format: Format, nodes: &[Node]) -> String {
    match format {
        Format::WebVtt | Format::Ttml => to_vtt(nodes),
        Format::Srt => to_srt(nodes),
        Format::Ass | Format::Ssa => to_ass(nodes),
    }
}

/// The visible text: text nodes joined, ruby annotations (`rt`) left out, `\n` between lines.
pub fn plain_text(nodes: &[Node]) -> String {
    fn walk(nodes: &[Node], out: &mut String) {
        for n in nodes {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::Timestamp(_) => {}
                Node::Span(s) if s.kind == SpanKind::RubyText => {}
                Node::Span(s) => walk(&s.children, out),
            }
        }
    }
    let mut out = String::new();
    walk(nodes, &mut out);
    out
}

// ---------------------------------------------------------------- WebVTT cue text

enum Token {
    Text(String),
    Start {
        name: String,
        classes: Vec<String>,
        annotation: Option<String>,
    },
    End(String),
    Timestamp(String),
}

/// Consumes an HTML character reference after `&` at `chars[*i..]` (the `&` already consumed),
/// appending the result (or the literal text when there is no reference) to `out`.
fn char_ref(chars: &[char], i: &mut usize, out: &mut String) {
    let start = *i;
    match chars.get(start) {
        Some('#') => {
            let mut j = start + 1;
            let hex = matches!(chars.get(j), Some('x') | Some('X'));
            if hex {
                j += 1;
            }
            let digits_start = j;
            let mut v: u32 = 0;
            while let Some(c) = chars.get(j) {
                let d = if hex { c.to_digit(16) } else { c.to_digit(10) };
                match d {
                    Some(d) => {
                        v = v
                            .saturating_mul(if hex { 16 } else { 10 })
                            .saturating_add(d);
                        j += 1;
                    }
                    None => break,
                }
            }
            if j == digits_start {
                out.push('&');
                return;
            }
            if chars.get(j) == Some(&';') {
                j += 1;
            }
            *i = j;
            out.push(numeric_ref(v));
        }
        Some(c) if c.is_ascii_alphanumeric() => {
            // Longest name in the table that prefixes the input.
            let mut j = start;
            while j < chars.len() && chars[j].is_ascii_alphanumeric() && j - start < 40 {
                j += 1;
            }
            let mut name: String = chars[start..j].iter().collect();
            if chars.get(j) == Some(&';') {
                name.push(';');
            }
            let mut len = name.len();
            while len > 0 {
                let cand = &name[..len];
                if let Ok(k) = crate::entities::ENTITIES
                    .binary_search_by(|(n, _)| n.as_bytes().cmp(cand.as_bytes()))
                {
                    out.push_str(crate::entities::ENTITIES[k].1);
                    *i = start + len;
                    return;
                }
                len -= 1;
            }
            out.push('&');
        }
        _ => out.push('&'),
    }
}

fn numeric_ref(v: u32) -> char {
    const C1: [u32; 32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
        0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ];
    let v = if (0x80..=0x9F).contains(&v) {
        C1[(v - 0x80) as usize]
    } else {
        v
    };
    if v == 0 {
        return '\u{FFFD}';
    }
    char::from_u32(v).unwrap_or('\u{FFFD}')
}

fn tokenize_vtt(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text
        .chars()
        .map(|c| if c == '\0' { '\u{FFFD}' } else { c })
        .collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let mut result = String::new();
        if chars[i] != '<' {
            // Data state.
            while i < chars.len() && chars[i] != '<' {
                if chars[i] == '&' {
                    i += 1;
                    char_ref(&chars, &mut i, &mut result);
                } else {
                    result.push(chars[i]);
                    i += 1;
                }
            }
            tokens.push(Token::Text(result));
            continue;
        }
        // Tag state.
        i += 1;
        let mut classes: Vec<String> = Vec::new();
        let mut buffer = String::new();
        #[derive(PartialEq)]
        enum St {
            Tag,
            StartTag,
            Class,
            Annotation,
            End,
            Timestamp,
        }
        let mut st = St::Tag;
        let mut done = false;
        while i < chars.len() && !done {
            let c = chars[i];
            match st {
                St::Tag => match c {
                    '\t' | '\n' | '\x0C' | ' ' => st = St::Annotation,
                    '.' => st = St::Class,
                    '/' => st = St::End,
                    '0'..='9' => {
                        result.push(c);
                        st = St::Timestamp;
                    }
                    '>' => done = true,
                    _ => {
                        result.push(c);
                        st = St::StartTag;
                    }
                },
                St::StartTag => match c {
                    '\t' | '\x0C' | ' ' => st = St::Annotation,
                    '\n' => {
                        buffer.push(c);
                        st = St::Annotation;
                    }
                    '.' => st = St::Class,
                    '>' => done = true,
                    _ => result.push(c),
                },
                St::Class => match c {
                    '\t' | '\x0C' | ' ' => {
                        classes.push(std::mem::take(&mut buffer));
                        st = St::Annotation;
                    }
                    '\n' => {
                        classes.push(std::mem::take(&mut buffer));
                        buffer.push(c);
                        st = St::Annotation;
                    }
                    '.' => classes.push(std::mem::take(&mut buffer)),
                    '>' => {
                        classes.push(std::mem::take(&mut buffer));
                        done = true;
                    }
                    _ => buffer.push(c),
                },
                St::Annotation => match c {
                    '>' => done = true,
                    '&' => {
                        i += 1;
                        char_ref(&chars, &mut i, &mut buffer);
                        continue;
                    }
                    _ => buffer.push(c),
                },
                St::End | St::Timestamp => match c {
                    '>' => done = true,
                    _ => result.push(c),
                },
            }
            i += 1;
        }
        if st == St::Class && !done {
            classes.push(std::mem::take(&mut buffer));
        }
        classes.retain(|c| !c.is_empty());
        let tok = match st {
            St::End => Token::End(result),
            St::Timestamp => Token::Timestamp(result),
            _ => {
                let annotation = (st == St::Annotation).then(|| {
                    buffer
                        .split([' ', '\t', '\n', '\x0C', '\r'])
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ")
                });
                Token::Start {
                    name: result,
                    classes,
                    annotation,
                }
            }
        };
        tokens.push(tok);
    }
    tokens
}

/// Parses WebVTT cue text into nodes (spec "WebVTT cue text parsing rules").
pub fn parse_vtt(text: &str) -> Vec<Node> {
    // A stack of open spans; index 0 is the root's children.
    let mut root: Vec<Node> = Vec::new();
    let mut stack: Vec<Span> = Vec::new();
    fn push_node(root: &mut Vec<Node>, stack: &mut [Span], n: Node) {
        match stack.last_mut() {
            Some(s) => s.children.push(n),
            None => root.push(n),
        }
    }
    fn close(root: &mut Vec<Node>, stack: &mut Vec<Span>) {
        if let Some(s) = stack.pop() {
            push_node(root, stack, Node::Span(s));
        }
    }
    for tok in tokenize_vtt(text) {
        match tok {
            Token::Text(t) => {
                if !t.is_empty() {
                    push_node(&mut root, &mut stack, Node::Text(t));
                }
            }
            Token::Start {
                name,
                classes,
                annotation,
            } => {
                let kind = match name.as_str() {
                    "c" => SpanKind::Class,
                    "i" => SpanKind::Italic,
                    "b" => SpanKind::Bold,
                    "u" => SpanKind::Underline,
                    "ruby" => SpanKind::Ruby,
                    "rt" if stack.last().is_some_and(|s| s.kind == SpanKind::Ruby) => {
                        SpanKind::RubyText
                    }
                    "v" => SpanKind::Voice,
                    "lang" => SpanKind::Lang,
                    _ => continue,
                };
                let annotation = match kind {
                    SpanKind::Voice | SpanKind::Lang => Some(annotation.unwrap_or_default()),
                    _ => None,
                };
                stack.push(Span {
                    kind,
                    classes,
                    annotation,
                    children: Vec::new(),
                });
            }
            Token::End(name) => {
                let Some(cur) = stack.last() else { continue };
                let matches = matches!(
                    (name.as_str(), &cur.kind),
                    ("c", SpanKind::Class)
                        | ("i", SpanKind::Italic)
                        | ("b", SpanKind::Bold)
                        | ("u", SpanKind::Underline)
                        | ("ruby", SpanKind::Ruby)
                        | ("rt", SpanKind::RubyText)
                        | ("v", SpanKind::Voice)
                        | ("lang", SpanKind::Lang)
                );
                if matches {
                    close(&mut root, &mut stack);
                } else if name == "ruby" && cur.kind == SpanKind::RubyText {
                    close(&mut root, &mut stack);
                    close(&mut root, &mut stack);
                }
            }
            Token::Timestamp(t) => {
                let mut p = 0;
                if let Some(ms) = crate::vtt::collect_timestamp(t.as_bytes(), &mut p)
                    && p == t.len()
                {
                    push_node(&mut root, &mut stack, Node::Timestamp(ms));
                }
            }
        }
    }
    while !stack.is_empty() {
        close(&mut root, &mut stack);
    }
    // Text tokens stay separate nodes, as the spec's tree builder makes them.
    root
}

pub(crate) fn merge_text(nodes: Vec<Node>) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::with_capacity(nodes.len());
    for n in nodes {
        match (out.last_mut(), n) {
            (Some(Node::Text(a)), Node::Text(b)) => a.push_str(&b),
            (_, Node::Span(mut s)) => {
                s.children = merge_text(s.children);
                out.push(Node::Span(s));
            }
            (_, n) => out.push(n),
        }
    }
    out
}

fn ts_string(ms: i64) -> String {
    let mut v = Vec::new();
    crate::text::push_hms_ms(&mut v, ms, b'.');
    String::from_utf8_lossy(&v).into_owned()
}

/// Dumps nodes in the web-platform-tests tree format (`| <span>`, `|   class="a"`, `| "text"`,
/// `| <?timestamp 00:00:00.500>`), as used by the WPT cue-text-parsing expectations.
pub fn wpt_tree(nodes: &[Node]) -> String {
    fn walk(nodes: &[Node], depth: usize, out: &mut String) {
        let pad = "  ".repeat(depth);
        for n in nodes {
            match n {
                Node::Text(t) => out.push_str(&format!("| {pad}\"{t}\"\n")),
                Node::Timestamp(ms) => {
                    out.push_str(&format!("| {pad}<?timestamp {}>\n", ts_string(*ms)))
                }
                Node::Span(s) => {
                    let tag = match s.kind {
                        SpanKind::Italic => "i",
                        SpanKind::Bold => "b",
                        SpanKind::Underline => "u",
                        SpanKind::Ruby => "ruby",
                        SpanKind::RubyText => "rt",
                        _ => "span",
                    };
                    out.push_str(&format!("| {pad}<{tag}>\n"));
                    let mut attrs: Vec<(&str, String)> = Vec::new();
                    if !s.classes.is_empty() {
                        attrs.push(("class", s.classes.join(" ")));
                    }
                    match s.kind {
                        SpanKind::Voice => {
                            attrs.push(("title", s.annotation.clone().unwrap_or_default()))
                        }
                        SpanKind::Lang => {
                            attrs.push(("lang", s.annotation.clone().unwrap_or_default()))
                        }
                        _ => {}
                    }
                    attrs.sort();
                    for (k, v) in attrs {
                        out.push_str(&format!("| {pad}  {k}=\"{v}\"\n"));
                    }
                    walk(&s.children, depth + 1, out);
                }
            }
        }
    }
    let mut out = String::new();
    walk(nodes, 0, &mut out);
    out
}

fn escape_vtt(t: &str, out: &mut String) {
    for c in t.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\u{A0}' => out.push_str("&nbsp;"),
            c => out.push(c),
        }
    }
}

fn css_class_for_color(color: &str) -> Option<&'static str> {
    let c = color.trim().trim_start_matches('#').to_ascii_lowercase();
    Some(match c.as_str() {
        "ffffff" | "fff" | "white" => "white",
        "00ff00" | "0f0" | "lime" => "lime",
        "00ffff" | "0ff" | "cyan" | "aqua" => "cyan",
        "ff0000" | "f00" | "red" => "red",
        "ffff00" | "ff0" | "yellow" => "yellow",
        "ff00ff" | "f0f" | "magenta" | "fuchsia" => "magenta",
        "0000ff" | "00f" | "blue" => "blue",
        "000000" | "000" | "black" => "black",
        _ => return None,
    })
}

/// Renders nodes as WebVTT cue text.
pub fn to_vtt(nodes: &[Node]) -> String {
    fn walk(nodes: &[Node], out: &mut String) {
        for n in nodes {
            match n {
                Node::Text(t) => escape_vtt(t, out),
                Node::Timestamp(ms) => {
                    out.push('<');
                    out.push_str(&ts_string(*ms));
                    out.push('>');
                }
                Node::Span(s) => {
                    let (tag, classes): (&str, Vec<&str>) = match &s.kind {
                        SpanKind::Class => ("c", s.classes.iter().map(|c| c.as_str()).collect()),
                        SpanKind::Italic => ("i", s.classes.iter().map(|c| c.as_str()).collect()),
                        SpanKind::Bold => ("b", s.classes.iter().map(|c| c.as_str()).collect()),
                        SpanKind::Underline => {
                            ("u", s.classes.iter().map(|c| c.as_str()).collect())
                        }
                        SpanKind::Ruby => ("ruby", s.classes.iter().map(|c| c.as_str()).collect()),
                        SpanKind::RubyText => {
                            ("rt", s.classes.iter().map(|c| c.as_str()).collect())
                        }
                        SpanKind::Voice => ("v", s.classes.iter().map(|c| c.as_str()).collect()),
                        SpanKind::Lang => ("lang", s.classes.iter().map(|c| c.as_str()).collect()),
                        SpanKind::Font(color) => match css_class_for_color(color) {
                            Some(c) => ("c", vec![c]),
                            None => {
                                walk(&s.children, out);
                                continue;
                            }
                        },
                    };
                    out.push('<');
                    out.push_str(tag);
                    for c in classes {
                        out.push('.');
                        out.push_str(c);
                    }
                    if let Some(a) = &s.annotation
                        && !a.is_empty()
                    {
                        out.push(' ');
                        escape_vtt(a, out);
                    }
                    out.push('>');
                    walk(&s.children, out);
                    out.push_str("</");
                    out.push_str(tag);
                    out.push('>');
                }
            }
        }
    }
    let mut out = String::new();
    walk(nodes, &mut out);
    out
}

// ---------------------------------------------------------------- SRT

/// Parses SRT cue text: `<i>`, `<b>`, `<u>` (also upper case), `<font color="…">`, and the
/// entities `&amp; &lt; &gt; &nbsp; &quot; &apos;` and numeric references; unknown tags and
/// `{\…}` blocks are dropped, a stray `<` stays text.
pub fn parse_srt(text: &str) -> Vec<Node> {
    let mut root: Vec<Node> = Vec::new();
    let mut stack: Vec<Span> = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, root: &mut Vec<Node>, stack: &mut Vec<Span>| {
        if !cur.is_empty() {
            let n = Node::Text(std::mem::take(cur));
            match stack.last_mut() {
                Some(s) => s.children.push(n),
                None => root.push(n),
            }
        }
    };
    let b = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let c = b[i];
        if c == b'<' {
            if let Some(close) = text[i..].find('>') {
                let inner = &text[i + 1..i + close];
                let lower = inner.trim().to_ascii_lowercase();
                let is_tag = lower
                    .trim_start_matches('/')
                    .starts_with(|c: char| c.is_ascii_alphabetic())
                    && !inner.contains('<');
                if is_tag {
                    flush(&mut cur, &mut root, &mut stack);
                    if let Some(name) = lower.strip_prefix('/') {
                        let name = name.trim();
                        let kind_matches = |k: &SpanKind| {
                            matches!(
                                (name, k),
                                ("i", SpanKind::Italic)
                                    | ("b", SpanKind::Bold)
                                    | ("u", SpanKind::Underline)
                                    | ("font", SpanKind::Font(_))
                            )
                        };
                        if let Some(pos) = stack.iter().rposition(|s| kind_matches(&s.kind)) {
                            while stack.len() > pos {
                                if let Some(s) = stack.pop() {
                                    let n = Node::Span(s);
                                    match stack.last_mut() {
                                        Some(p) => p.children.push(n),
                                        None => root.push(n),
                                    }
                                }
                            }
                        }
                    } else {
                        let name = lower.split_whitespace().next().unwrap_or("");
                        let kind = match name {
                            "i" => Some(SpanKind::Italic),
                            "b" => Some(SpanKind::Bold),
                            "u" => Some(SpanKind::Underline),
                            "font" => {
                                let color = inner
                                    .find("color=")
                                    .map(|p| {
                                        inner[p + 6..]
                                            .trim_start_matches(['"', '\''])
                                            .split(['"', '\'', ' '])
                                            .next()
                                            .unwrap_or("")
                                            .to_string()
                                    })
                                    .unwrap_or_default();
                                Some(SpanKind::Font(color))
                            }
                            _ => None,
                        };
                        if let Some(kind) = kind {
                            stack.push(Span {
                                kind,
                                classes: Vec::new(),
                                annotation: None,
                                children: Vec::new(),
                            });
                        }
                    }
                    i += close + 1;
                    continue;
                }
            }
            cur.push('<');
            i += 1;
        } else if c == b'{' && b.get(i + 1) == Some(&b'\\') {
            match text[i..].find('}') {
                Some(close) => i += close + 1,
                None => {
                    cur.push('{');
                    i += 1;
                }
            }
        } else if c == b'&' {
            let rest = &text[i..];
            let ent = [
                ("&amp;", '&'),
                ("&lt;", '<'),
                ("&gt;", '>'),
                ("&nbsp;", '\u{A0}'),
                ("&quot;", '"'),
                ("&apos;", '\''),
            ]
            .into_iter()
            .find(|(e, _)| rest.starts_with(e));
            if let Some((e, ch)) = ent {
                cur.push(ch);
                i += e.len();
            } else if rest.starts_with("&#") {
                let chars: Vec<char> = rest[1..].chars().take(12).collect();
                let mut j = 0;
                let before = cur.len();
                char_ref(&chars, &mut j, &mut cur);
                if cur.len() > before && j > 0 {
                    i += 1 + chars[..j].iter().map(|c| c.len_utf8()).sum::<usize>();
                } else {
                    i += 1;
                }
            } else {
                cur.push('&');
                i += 1;
            }
        } else {
            let ch_len = text[i..].chars().next().map_or(1, |c| c.len_utf8());
            cur.push_str(&text[i..i + ch_len]);
            i += ch_len;
        }
    }
    flush(&mut cur, &mut root, &mut stack);
    while let Some(s) = stack.pop() {
        let n = Node::Span(s);
        match stack.last_mut() {
            Some(p) => p.children.push(n),
            None => root.push(n),
        }
    }
    merge_text(root)
}

/// Renders nodes as SRT cue text (`<i>`, `<b>`, `<u>`, `<font color>`; other spans keep only
/// their text; ruby text is shown in parentheses after its base).
pub fn to_srt(nodes: &[Node]) -> String {
    fn walk(nodes: &[Node], out: &mut String) {
        for n in nodes {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::Timestamp(_) => {}
                Node::Span(s) => {
                    let tag = match &s.kind {
                        SpanKind::Italic => Some("i".to_string()),
                        SpanKind::Bold => Some("b".to_string()),
                        SpanKind::Underline => Some("u".to_string()),
                        SpanKind::Font(c) => Some(format!("font color=\"{c}\"")),
                        SpanKind::RubyText => {
                            out.push('(');
                            walk(&s.children, out);
                            out.push(')');
                            continue;
                        }
                        _ => None,
                    };
                    match tag {
                        Some(t) => {
                            out.push('<');
                            out.push_str(&t);
                            out.push('>');
                            walk(&s.children, out);
                            out.push_str("</");
                            out.push_str(t.split(' ').next().unwrap_or(""));
                            out.push('>');
                        }
                        None => walk(&s.children, out),
                    }
                }
            }
        }
    }
    let mut out = String::new();
    walk(nodes, &mut out);
    out
}

// ---------------------------------------------------------------- ASS

/// Parses ASS event text. Italic/bold/underline toggles become spans over the following text
/// until the tag is switched off, `\r` resets them; every other override tag is dropped.
pub fn parse_ass(text: &str) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::new();
    let (mut italic, mut bold, mut underline, mut drawing) = (false, false, false, false);
    let mut cur = String::new();
    let emit = |cur: &mut String, nodes: &mut Vec<Node>, i: bool, b: bool, u: bool| {
        if cur.is_empty() {
            return;
        }
        let mut n = Node::Text(std::mem::take(cur));
        for (on, kind) in [
            (u, SpanKind::Underline),
            (b, SpanKind::Bold),
            (i, SpanKind::Italic),
        ] {
            if on {
                n = Node::Span(Span {
                    kind,
                    classes: Vec::new(),
                    annotation: None,
                    children: vec![n],
                });
            }
        }
        nodes.push(n);
    };
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' => {
                let Some(close) = text[i..].find('}') else {
                    cur.push('{');
                    continue;
                };
                let block = &text[i + 1..i + close];
                emit(&mut cur, &mut nodes, italic, bold, underline);
                for tag in block.split('\\').skip(1) {
                    let tag = tag.trim();
                    let flag = |name: &str| -> Option<bool> {
                        let v = tag.strip_prefix(name)?;
                        if v.is_empty() {
                            return None;
                        }
                        let n: i64 = v.trim().parse().ok()?;
                        Some(n != 0)
                    };
                    if let Some(v) = flag("i") {
                        italic = v;
                    } else if let Some(v) = flag("b") {
                        bold = v;
                    } else if let Some(v) = flag("u") {
                        underline = v;
                    } else if let Some(v) = flag("p") {
                        drawing = v;
                    } else if tag.starts_with('r') && !tag.starts_with("rnd") {
                        italic = false;
                        bold = false;
                        underline = false;
                    }
                }
                while let Some((j, _)) = chars.peek() {
                    if *j <= i + close {
                        chars.next();
                    } else {
                        break;
                    }
                }
            }
            '\\' => match chars.peek().map(|(_, c)| *c) {
                Some('N') => {
                    chars.next();
                    cur.push('\n');
                }
                Some('n') => {
                    chars.next();
                    cur.push(' ');
                }
                Some('h') => {
                    chars.next();
                    cur.push('\u{A0}');
                }
                _ => cur.push('\\'),
            },
            c if !drawing => cur.push(c),
            _ => {}
        }
    }
    emit(&mut cur, &mut nodes, italic, bold, underline);
    merge_text(nodes)
}

/// Renders nodes as ASS event text: `{\i1}…{\i0}` etc., `\N` for line breaks.
pub fn to_ass(nodes: &[Node]) -> String {
    fn walk(nodes: &[Node], out: &mut String) {
        for n in nodes {
            match n {
                Node::Text(t) => {
                    for c in t.chars() {
                        match c {
                            '\n' => out.push_str("\\N"),
                            '\u{A0}' => out.push_str("\\h"),
                            '{' => out.push('('),
                            '}' => out.push(')'),
                            c => out.push(c),
                        }
                    }
                }
                Node::Timestamp(_) => {}
                Node::Span(s) => {
                    let tag = match s.kind {
                        SpanKind::Italic => Some('i'),
                        SpanKind::Bold => Some('b'),
                        SpanKind::Underline => Some('u'),
                        _ => None,
                    };
                    if s.kind == SpanKind::RubyText {
                        out.push('(');
                        walk(&s.children, out);
                        out.push(')');
                        continue;
                    }
                    if let Some(t) = tag {
                        out.push_str(&format!("{{\\{t}1}}"));
                    }
                    walk(&s.children, out);
                    if let Some(t) = tag {
                        out.push_str(&format!("{{\\{t}0}}"));
                    }
                }
            }
        }
    }
    let mut out = String::new();
    walk(nodes, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vtt_tree_examples() {
        assert_eq!(
            wpt_tree(&parse_vtt("a<c.d e>b</c>c")),
            "| \"a\"\n| <span>\n|   class=\"d\"\n|   \"b\"\n| \"c\"\n"
        );
        assert_eq!(wpt_tree(&parse_vtt("&notit;")), "| \"¬it;\"\n");
        assert_eq!(wpt_tree(&parse_vtt("&#x20;")), "| \" \"\n");
        assert_eq!(
            wpt_tree(&parse_vtt("<ruby>test<rt>test</ruby>test")),
            "| <ruby>\n|   \"test\"\n|   <rt>\n|     \"test\"\n| \"test\"\n"
        );
    }

    #[test]
    fn srt_and_ass_conversions() {
        let n = parse_srt("<i>Hello</i> &amp; <font color=\"#00ff00\">bye</font>");
        assert_eq!(to_vtt(&n), "<i>Hello</i> &amp; <c.lime>bye</c>");
        assert_eq!(plain_text(&n), "Hello & bye");
        let a = parse_ass("{\\an8\\i1}Hi{\\i0}\\Nthere");
        assert_eq!(to_srt(&a), "<i>Hi</i>\nthere");
        assert_eq!(to_ass(&a), "{\\i1}Hi{\\i0}\\Nthere");
    }
}
