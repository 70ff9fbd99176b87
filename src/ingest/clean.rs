//! Text normalisation and boilerplate removal, by general rules that `[clean]` in the config tunes.
//!
//! In: one raw article. Out: its text, its title when one was found, and every line that was
//! dropped with the rule that dropped it (so a run can list and count them: `cleaning.csv`).
//! Nothing here knows about any particular site: the rules look at the shape of a line (navigation
//! bars, bylines, date and weather lines, lists of other headlines, credits, e-mail footers) and
//! at a configurable list of web phrases.
//!
//! Only a record that looks like a web page is cleaned: one with at least `min_web_lines` lines
//! of navigation, credits, bylines or footers (the "strong" rules). Any other record — a post, a
//! headline and its summary, a plain article — passes with its lines untouched, whatever its
//! e-mail addresses, dates or short lines. The title line stays in the analysed text unless
//! `analyse_titles` is off.
//!
//! Speed: most records are not web pages, so the strong rules run first, each behind a cheap
//! test (a word count, a separator or bullet character) before any regex, and the remaining
//! rules, the repeated-line set and the rebuild run only for web pages. ASCII text without tabs or
//! carriage returns needs no normalisation and is not copied for it.

use std::borrow::Cow;
use std::fmt;

use regex::{Regex, RegexSet};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

/// Boilerplate rules, the `[clean]` table of the config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CleanParams {
    /// Normalise Unicode (NFC, curly quotes, dashes, odd spaces) before anything else.
    pub normalize: bool,
    /// Drop every line after its first occurrence in an article (repeated titles, teasers).
    pub drop_repeated_lines: bool,
    /// Case-insensitive regexes; a whole short line (at most `max_phrase_line_words` words)
    /// matching one is navigation or a call to action ("Read in Korean", "Most Popular").
    pub short_line_patterns: Vec<String>,
    /// Case-insensitive regexes; any line matching one is web furniture wherever it stands
    /// (credits, bylines, "for more information… visit", copyright lines).
    pub line_patterns: Vec<String>,
    /// Word limit for `short_line_patterns`.
    pub max_phrase_line_words: usize,
    /// Drop lines that are only a date and/or time ("Tuesday, February 11, 2025 at 07:19AM").
    pub drop_date_lines: bool,
    /// Drop weather lines ("26.1 C").
    pub drop_weather_lines: bool,
    /// Drop lines holding an e-mail address or a URL that have at most this many words
    /// (contact footers, "send comments to …"); 0 turns the rule off.
    pub max_contact_line_words: usize,
    /// Drop navigation bars: lines cut by `|`, `•`, `·` or `»` into segments of at most three words.
    pub drop_nav_bars: bool,
    /// Drop lists of other headlines: bulleted lines that end with a date.
    pub drop_headline_lists: bool,
    /// Drop tag lists: one line of at least two comma-separated items of at most two words each.
    pub drop_tag_lines: bool,
    /// A line of at most this many words with no sentence punctuation, standing between dropped
    /// lines (or between a dropped line and the start or end of the article), is dropped too:
    /// it is the dateline or place name of a page header.
    pub max_stray_words: usize,
    /// Longest first line (in words) that can be taken as the article's title.
    pub max_title_words: usize,
    /// Keep the title line in the analysed text (it joins the first passage); `false` drops it
    /// from the text, listed under the rule `title`. Either way it is shown as the title.
    pub analyse_titles: bool,
    /// A record is cleaned only when it looks like a web page: at least this many of its lines
    /// are navigation, credits, bylines or footers (`short_line_patterns`, `line_patterns`, nav
    /// bars, headline lists), at least one of them navigation (not a credit, byline or footer
    /// alone). Any other record passes untouched. 0 cleans every record.
    pub min_web_lines: usize,
}

impl Default for CleanParams {
    fn default() -> Self {
        CleanParams {
            normalize: true,
            drop_repeated_lines: true,
            short_line_patterns: [
                r"^read (this )?(in|more|next|also)\b",
                r"^(continue|keep) reading\b",
                r"^(most )?(popular|read|viewed|shared)( articles| stories| posts| news)?$",
                r"^(recent|related|latest|more|top|featured) (features|articles|stories|posts|news|coverage|videos)\b",
                r"^(share|print|email|tweet|comments?)( this( article| story| page)?)?$",
                r"^(advertisement|sponsored( content)?|subscribe( now)?|sign (up|in)|log ?in|follow us\b.*|skip to (main )?content|menu|home|search)$",
                r"^(previous|next) (article|post|story)\b",
            ]
            .map(String::from)
            .to_vec(),
            line_patterns: [
                r"^(photo |image |video )?credits?\s*:",
                r"^(file )?photo\s*:",
                r"^(image|picture|video|source|illustration)\s*:",
                r"^(translated|edited|written|reported|reporting|compiled) by\b.{0,80}$",
                r"^by\s+\S+(\s+\S+){0,5}$",
                r"\b(for more information|please visit|visit our|click here|all rights reserved|sign up for our|subscribe to our)\b",
                r"^(copyright|©|\(c\))\s",
            ]
            .map(String::from)
            .to_vec(),
            max_phrase_line_words: 6,
            drop_date_lines: true,
            drop_weather_lines: true,
            max_contact_line_words: 40,
            drop_nav_bars: true,
            drop_headline_lists: true,
            drop_tag_lines: true,
            max_stray_words: 2,
            max_title_words: 20,
            analyse_titles: true,
            min_web_lines: 2,
        }
    }
}

/// Which rule dropped a line; its name (`Display`) is the config key it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// `short_line_patterns[i]`: navigation or a call to action.
    ShortLinePattern(usize),
    /// `line_patterns[i]`: credits, bylines, footers.
    LinePattern(usize),
    /// `drop_nav_bars`.
    NavBar,
    /// `drop_headline_lists`.
    HeadlineList,
    /// `drop_repeated_lines`.
    RepeatedLine,
    /// `drop_date_lines`.
    DateLine,
    /// `drop_weather_lines`.
    WeatherLine,
    /// `max_contact_line_words`.
    ContactLine,
    /// `drop_tag_lines`.
    TagLine,
    /// `max_stray_words`: a short line standing among dropped ones.
    StrayLine,
    /// `analyse_titles = false`: the title line, kept as the title, out of the analysed text.
    Title,
}

impl Rule {
    /// Whether the rule finds navigation (calls to action, nav bars, lists of other headlines),
    /// which only a web page has: a post with a byline or a copyright footer is not a page.
    pub fn is_navigation(self) -> bool {
        matches!(
            self,
            Rule::ShortLinePattern(_) | Rule::NavBar | Rule::HeadlineList
        )
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::ShortLinePattern(i) => write!(f, "short_line_patterns[{i}]"),
            Rule::LinePattern(i) => write!(f, "line_patterns[{i}]"),
            Rule::NavBar => f.write_str("nav_bar"),
            Rule::HeadlineList => f.write_str("headline_list"),
            Rule::RepeatedLine => f.write_str("repeated_line"),
            Rule::DateLine => f.write_str("date_line"),
            Rule::WeatherLine => f.write_str("weather_line"),
            Rule::ContactLine => f.write_str("contact_line"),
            Rule::TagLine => f.write_str("tag_line"),
            Rule::StrayLine => f.write_str("stray_line"),
            Rule::Title => f.write_str("title"),
        }
    }
}

/// One line cleaning removed from an article's analysed text.
#[derive(Debug, Clone, PartialEq)]
pub struct DroppedLine {
    /// Line number in the record's text, from 1.
    pub line: usize,
    /// The rule that dropped it.
    pub rule: Rule,
    /// The line, trimmed.
    pub text: String,
}

/// [`CleanParams`] with its regexes compiled.
#[derive(Debug, Clone)]
pub struct Cleaner {
    params: CleanParams,
    short_lines: LineRules,
    lines: LineRules,
    date_word: Regex,
    weather: Regex,
    contact: Regex,
    bullet: Regex,
    trailing_date: Regex,
}

/// One article after cleaning.
#[derive(Debug, Clone, PartialEq)]
pub struct Cleaned {
    /// The article's text: the record's own lines when it is not a web page; otherwise the kept
    /// lines, trimmed, paragraphs separated by one blank line.
    pub text: String,
    /// The title line, if the article opens with one.
    pub title: Option<String>,
    /// Every line removed from the analysed text, in line order.
    pub dropped: Vec<DroppedLine>,
    /// Whether the record looked like a web page (and its boilerplate rules ran).
    pub web_page: bool,
    /// Whether Unicode normalisation changed any character.
    pub normalized: bool,
}

const MONTHS: &str = "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|sept|september|oct|october|nov|november|dec|december";
const WEEKDAYS: &str = "mon|monday|tue|tues|tuesday|wed|wednesday|thu|thur|thurs|thursday|fri|friday|sat|saturday|sun|sunday";

/// Characters that cut a navigation bar into segments.
const NAV_SEPARATORS: [char; 4] = ['|', '•', '·', '»'];

impl Cleaner {
    /// Compiles the rules; a bad regex is a config error naming the key.
    pub fn new(params: &CleanParams) -> Result<Self> {
        let re = |p: &str| Regex::new(p).expect("built-in regex is valid");
        Ok(Cleaner {
            params: params.clone(),
            short_lines: LineRules::new("short_line_patterns", &params.short_line_patterns)?,
            lines: LineRules::new("line_patterns", &params.line_patterns)?,
            date_word: re(&format!(
                r"(?i)^(?:{MONTHS}|{WEEKDAYS}|\d{{1,4}}(?:st|nd|rd|th)?|\d{{1,2}}:\d{{2}}(?::\d{{2}})?\s*(?:am|pm)?|am|pm|at|on|of|the|updated|published|posted|utc|gmt|kst|est|edt|pst|[a-z]{{3}}t)$"
            )),
            weather: re(r"(?i)^-?\d{1,3}(?:[.,]\d)?\s*°?\s*[cf]$"),
            contact: re(r"(?i)[\w.+-]+@[\w-]+\.[\w.-]+|https?://\S+|\bwww\.\S+"),
            bullet: re(r"^\s*(?:[-–—•*·▪►]|\d+[.)])\s+"),
            trailing_date: re(&format!(
                r"(?i)(?:\b(?:{MONTHS})\.?\s+\d{{1,2}},?\s+\d{{4}}|\b\d{{1,2}}\s+(?:{MONTHS})\.?\s+\d{{4}}|\b\d{{4}}-\d{{2}}-\d{{2}})\s*$"
            )),
        })
    }

    /// Cleans one article.
    pub fn clean(&self, raw: &str) -> Cleaned {
        self.clean_cow(Cow::Borrowed(raw))
    }

    /// Cleans one article it owns: a record left as it is keeps its own buffer (no copy).
    pub fn clean_owned(&self, raw: String) -> Cleaned {
        self.clean_cow(Cow::Owned(raw))
    }

    fn clean_cow(&self, raw: Cow<'_, str>) -> Cleaned {
        let changed = if self.params.normalize {
            match normalize_cow(&raw) {
                Cow::Owned(s) => Some(s),
                Cow::Borrowed(_) => None,
            }
        } else if memchr::memchr(b'\r', raw.as_bytes()).is_some() {
            Some(raw.replace("\r\n", "\n"))
        } else {
            None
        };
        let (text, normalized) = match changed {
            None => (raw, false),
            Some(s) => {
                let normalized = self.params.normalize && s != *raw;
                (Cow::Owned(s), normalized)
            }
        };
        let strong = self.strong_lines(&text);
        let navigation = strong.iter().any(|(_, r)| r.is_navigation());
        if self.params.min_web_lines > 0
            && !(navigation && strong.len() >= self.params.min_web_lines)
        {
            return self.pass_through(text, normalized);
        }
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        let mut rules: Vec<Option<Rule>> = vec![None; lines.len()];
        for (i, rule) in strong {
            if let Some(r) = rules.get_mut(i) {
                *r = Some(rule);
            }
        }
        self.weak_rules(&lines, &mut rules);
        // Title: the first kept line, when it is short and reads as a headline.
        let kept = |i: usize| rules[i].is_none() && !lines[i].trim().is_empty();
        let first = (0..lines.len()).find(|&i| kept(i));
        let title_line = first.filter(|&i| {
            let next_blank_or_end = i + 1 == lines.len() || !kept(i + 1);
            (i + 1..lines.len()).any(kept) && self.is_title(lines[i].trim(), next_blank_or_end)
        });
        if let Some(i) = title_line.filter(|_| !self.params.analyse_titles) {
            rules[i] = Some(Rule::Title);
        }
        let dropped = rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                r.map(|rule| DroppedLine {
                    line: i + 1,
                    rule,
                    text: lines[i].trim().to_string(),
                })
            })
            .collect();
        Cleaned {
            text: rebuild(&lines, &rules, text.len()),
            title: title_line.map(|i| lines[i].trim().to_string()),
            dropped,
            web_page: true,
            normalized,
        }
    }

    /// A record that is not a web page: its text as it is, its title found, and only the title
    /// line taken out when `analyse_titles` is off.
    fn pass_through(&self, text: Cow<'_, str>, normalized: bool) -> Cleaned {
        let blank = |l: &str| l.trim().is_empty();
        let mut lines = text.split('\n').enumerate();
        let title = lines.find(|(_, l)| !blank(l)).and_then(|(i, line)| {
            let next = lines.next();
            let next_blank_or_end = next.is_none_or(|(_, l)| blank(l));
            let more = next.is_some_and(|(_, l)| !blank(l)) || lines.any(|(_, l)| !blank(l));
            let t = line.trim();
            (more && self.is_title(t, next_blank_or_end)).then(|| (i, t.to_string()))
        });
        let (text, dropped) = match &title {
            Some((i, t)) if !self.params.analyse_titles => {
                // Cut the title line and the blank lines before the next one.
                let mut out = String::with_capacity(text.len());
                for (j, l) in text.split_inclusive('\n').enumerate() {
                    if j != *i {
                        out.push_str(l);
                    }
                }
                let out = out.trim_start_matches(['\n', '\r', ' ', '\t']).to_string();
                let line = DroppedLine {
                    line: i + 1,
                    rule: Rule::Title,
                    text: t.clone(),
                };
                (out, vec![line])
            }
            _ => (text.into_owned(), Vec::new()),
        };
        Cleaned {
            text,
            title: title.map(|(_, t)| t),
            dropped,
            web_page: false,
            normalized,
        }
    }

    /// Whether a trimmed first line reads as a headline: short, not ending like a sentence
    /// fragment, and standing alone (or of three words or more).
    fn is_title(&self, t: &str, next_blank_or_end: bool) -> bool {
        let words = word_count(t);
        words <= self.params.max_title_words
            && !t.ends_with(['.', ',', ';', ':'])
            && (next_blank_or_end || words >= 3)
    }

    /// The lines the strong rules drop, in line order (line index from 0, rule); only the
    /// navigation ones when the record has none (it is then no web page, whatever else it has).
    ///
    /// Most lines of most records match no rule, so each test is the cheapest that can say so:
    /// patterns anchored at the line's start are tried only on lines that start with one of
    /// their literal prefixes, as one anchored regex that stops a few bytes in; the other
    /// patterns run once over the whole record ([`LineRules`]); nav bars and headline lists are
    /// looked for only on lines with a separator, or a bullet and a final digit. Credits,
    /// bylines and footers (`line_patterns`) are looked for only once navigation is found. A line
    /// these find is then named by the rule's exact set.
    fn strong_lines(&self, text: &str) -> Vec<(usize, Rule)> {
        let p = &self.params;
        let nav = p.drop_nav_bars && has_nav_separator(text);
        let mut found: Vec<(usize, Rule)> = Vec::new();
        for (i, line) in split_lines(text).enumerate() {
            let t = trim_fast(line);
            if t.is_empty() {
                continue;
            }
            let short = || words_at_most(t, p.max_phrase_line_words);
            let rule = if let Some(k) = self.short_lines.anchored_match(t, trim_bare, short) {
                Some(Rule::ShortLinePattern(k))
            } else if nav && has_nav_separator(t) && is_nav_bar(t) {
                Some(Rule::NavBar)
            } else if p.drop_headline_lists
                && t.as_bytes().last().is_some_and(u8::is_ascii_digit)
                && t.starts_with(|c: char| c.is_ascii_digit() || "-–—•*·▪►".contains(c))
                && self.bullet.is_match(t)
                && self.trailing_date.is_match(t)
            {
                Some(Rule::HeadlineList)
            } else {
                None
            };
            found.extend(rule.map(|r| (i, r)));
        }
        let lines = || -> Vec<&str> { split_lines(text).map(trim_fast).collect() };
        if self.short_lines.floating.is_some() {
            let lines = lines();
            let short = Some(p.max_phrase_line_words);
            for i in self.short_lines.floating_candidates(text, &lines, short) {
                if let Some(k) = self.short_lines.exact(trim_bare(lines[i]))
                    && words_at_most(lines[i], p.max_phrase_line_words)
                {
                    found.push((i, Rule::ShortLinePattern(k)));
                }
            }
        }
        if found.is_empty() && p.min_web_lines > 0 {
            return found;
        }
        for (i, line) in split_lines(text).enumerate() {
            let t = trim_fast(line);
            if let Some(k) = self.lines.anchored_match(t, |t| t, || !t.is_empty()) {
                found.push((i, Rule::LinePattern(k)));
            }
        }
        if self.lines.floating.is_some() {
            let lines = lines();
            for i in self.lines.floating_candidates(text, &lines, None) {
                if let Some(k) = self.lines.exact(lines[i]) {
                    found.push((i, Rule::LinePattern(k)));
                }
            }
        }
        // One rule per line: navigation first (a line that is both a byline and a nav bar still
        // makes the page), then `Rule`'s order.
        found.sort_by_key(|&(i, r)| (i, !r.is_navigation(), r));
        found.dedup_by_key(|&mut (i, _)| i);
        found
    }

    /// Marks the lines of a web page that the other rules drop: repeats, dates, weather,
    /// contact lines, tag lines, then stray short lines among dropped ones.
    fn weak_rules(&self, lines: &[&str], rules: &mut [Option<Rule>]) {
        let p = &self.params;
        let mut seen = std::collections::HashSet::new();
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            let first = !p.drop_repeated_lines || seen.insert(t.to_lowercase());
            if rules[i].is_some() {
                continue;
            }
            let words = word_count(t);
            rules[i] = if !first {
                Some(Rule::RepeatedLine)
            } else if p.drop_date_lines && words <= 10 && self.is_date_line(t) {
                Some(Rule::DateLine)
            } else if p.drop_weather_lines && words <= 3 && self.weather.is_match(t) {
                Some(Rule::WeatherLine)
            } else if p.max_contact_line_words > 0
                && words <= p.max_contact_line_words
                && self.contact.is_match(t)
            {
                Some(Rule::ContactLine)
            } else if p.drop_tag_lines && t.contains(',') && is_tag_line(t) {
                Some(Rule::TagLine)
            } else {
                None
            };
        }
        // Stray short lines standing among dropped ones (page-header datelines).
        if p.max_stray_words > 0 {
            let nonblank: Vec<usize> = (0..lines.len())
                .filter(|&i| !lines[i].trim().is_empty())
                .collect();
            let flags: Vec<bool> = nonblank.iter().map(|&i| rules[i].is_some()).collect();
            for (j, &i) in nonblank.iter().enumerate() {
                let t = lines[i].trim();
                if rules[i].is_some()
                    || word_count(t) > p.max_stray_words
                    || t.ends_with(['.', '?', '!', ':'])
                {
                    continue;
                }
                let before = j == 0 || flags[j - 1];
                let after = j + 1 == nonblank.len() || flags[j + 1];
                let touches = (j > 0 && flags[j - 1]) || (j + 1 < nonblank.len() && flags[j + 1]);
                if before && after && touches {
                    rules[i] = Some(Rule::StrayLine);
                }
            }
        }
    }

    fn is_date_line(&self, t: &str) -> bool {
        let tokens: Vec<&str> = t
            .split(|c: char| {
                c.is_whitespace() || matches!(c, ',' | '/' | '-' | '.' | '|' | '(' | ')')
            })
            .filter(|w| !w.is_empty())
            .collect();
        let has_date_word = tokens.iter().any(|w| {
            let lw = w.to_lowercase();
            MONTHS.split('|').any(|m| m == lw)
                || WEEKDAYS.split('|').any(|d| d == lw)
                || w.contains(':')
        });
        !tokens.is_empty()
            && tokens.len() <= 10
            && (has_date_word
                || tokens.iter().all(|w| w.chars().all(|c| c.is_ascii_digit()))
                    && tokens.len() == 3)
            && tokens.iter().all(|w| self.date_word.is_match(w))
    }
}

/// A web page's kept lines, trimmed, paragraphs separated by exactly one blank line; a dropped
/// line ends the paragraph it stood in.
fn rebuild(lines: &[&str], rules: &[Option<Rule>], capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    let mut pending_break = false;
    for (line, rule) in lines.iter().zip(rules) {
        if line.trim().is_empty() || rule.is_some() {
            pending_break |= !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if pending_break { "\n\n" } else { "\n" });
        }
        out.push_str(line.trim());
        pending_break = false;
    }
    out
}

/// One list of line patterns (`short_line_patterns` or `line_patterns`), compiled three ways.
///
/// Calling a whole set once per line costs more than the rest of cleaning together when one
/// pattern can match anywhere in a line: the set then scans every byte of every line, call by
/// call. So the patterns are split: those anchored at the line's start (`^…`, as
/// `regex-syntax` reads them) become one regex whose search on a line stops where the line
/// stops matching, a few bytes in; the others become one multi-line regex searched once over a
/// record's lines. Either only proposes lines; `set` names the pattern that matched.
#[derive(Debug, Clone)]
struct LineRules {
    /// Every pattern, case-insensitive, to test a line exactly and name the first that matches.
    set: RegexSet,
    /// The anchored patterns as one alternation, `None` when there are none.
    anchored: Option<Regex>,
    /// Literal prefixes every match of an anchored pattern starts with, when they can be known.
    prefixes: Option<Prefixes>,
    /// Whether a floating pattern holds a line anchor (`^`, `$`): then it must search the
    /// trimmed lines, not the record as it is.
    floating_anchors: bool,
    /// Whether the list can only be tested line by line with `set` (a pattern anchored to the
    /// whole text, one that matches nothing at all, or patterns that don't join into one regex,
    /// such as two groups of the same name): then `anchored` and `floating` are `None`.
    per_line: bool,
    /// The other patterns as one multi-line alternation, `None` when there are none.
    floating: Option<Regex>,
}

impl LineRules {
    fn new(key: &str, pats: &[String]) -> Result<Self> {
        let bad = |e: String| Error::Config {
            file: "clean".into(),
            message: format!("clean.{key}: invalid regex: {e}"),
        };
        let set = RegexSet::new(pats.iter().map(|p| format!("(?i){p}")))
            .map_err(|e| bad(e.to_string()))?;
        let mut anchored = Vec::new();
        let mut floating = Vec::new();
        let mut literals: Option<Vec<Vec<u8>>> = Some(Vec::new());
        let mut floating_anchors = false;
        let mut per_line = false;
        for p in pats {
            let hir = regex_syntax::ParserBuilder::new()
                .case_insensitive(true)
                .build()
                .parse(p)
                .map_err(|e| bad(e.to_string()))?;
            let starts_line = hir
                .properties()
                .look_set_prefix()
                .contains(regex_syntax::hir::Look::Start);
            if starts_line {
                anchored.push(format!("(?:{p})"));
                // Case-sensitive literals, compared without ASCII case below.
                let plain = regex_syntax::Parser::new()
                    .parse(p)
                    .map_err(|e| bad(e.to_string()))?;
                let seq = regex_syntax::hir::literal::Extractor::new().extract(&plain);
                match (seq.literals(), literals.as_mut()) {
                    (Some(lits), Some(all)) if lits.iter().all(|l| !l.as_bytes().is_empty()) => {
                        all.extend(lits.iter().map(|l| l.as_bytes().to_ascii_lowercase()));
                    }
                    _ => literals = None,
                }
            } else {
                let looks = hir.properties().look_set();
                floating_anchors |= looks.contains_anchor();
                per_line |=
                    looks.contains_anchor_haystack() || hir.properties().minimum_len() == Some(0);
                floating.push(format!("(?:{p})"));
            }
        }
        let join = |flags: &str, alts: Vec<String>| {
            (!alts.is_empty())
                .then(|| Regex::new(&format!("{flags}{}", alts.join("|"))))
                .transpose()
                .map_err(|e| bad(e.to_string()))
        };
        let (anchored, floating) = match (join("(?i)", anchored), join("(?im)", floating)) {
            (Ok(a), Ok(f)) if !per_line => (a, f),
            _ => {
                per_line = true;
                (None, None)
            }
        };
        // A literal that is not ASCII may fold to other bytes than the line holds: no gate.
        let literals = literals.filter(|l| l.iter().all(|l| l.is_ascii()));
        Ok(LineRules {
            set,
            anchored,
            prefixes: literals.filter(|_| !per_line).map(Prefixes::new),
            floating_anchors,
            per_line,
            floating,
        })
    }

    /// The first pattern matching the trimmed line `t` as `view` shows it (which may only cut
    /// its end), among the anchored ones, tested only when `applies` says the line qualifies.
    fn anchored_match(
        &self,
        t: &str,
        view: impl FnOnce(&str) -> &str,
        applies: impl FnOnce() -> bool,
    ) -> Option<usize> {
        if self.per_line {
            return if applies() { self.exact(view(t)) } else { None };
        }
        let re = self.anchored.as_ref()?;
        if self.prefixes.as_ref().is_some_and(|p| !p.may_start(t)) {
            return None;
        }
        let t = view(t);
        if re.is_match(t) && applies() {
            self.exact(t)
        } else {
            None
        }
    }

    /// The first pattern of the whole list matching `t`.
    fn exact(&self, t: &str) -> Option<usize> {
        self.set.matches(t).iter().next()
    }

    /// Lines on which a floating pattern matches somewhere. Every line that matches on its own
    /// matches there, at its own place: after a match the search resumes at the next line, so
    /// a match running over a line end cannot hide one on the next line.
    ///
    /// Patterns without line anchors search the record as it is (a word boundary sees the same
    /// on either side of a line's ends whether or not it is trimmed). Others search its `lines`,
    /// trimmed and joined by line ends; with `short_words`, only lines of at most that many
    /// words, bare, as `short_line_patterns` see them, the others left empty.
    fn floating_candidates(
        &self,
        text: &str,
        lines: &[&str],
        short_words: Option<usize>,
    ) -> Vec<usize> {
        let Some(re) = &self.floating else {
            return Vec::new();
        };
        let joined;
        let s = if self.floating_anchors || short_words.is_some() {
            let mut j = String::with_capacity(text.len());
            for l in lines {
                match short_words {
                    None => j.push_str(l),
                    Some(n) if words_at_most(l, n) => j.push_str(trim_bare(l)),
                    Some(_) => {}
                }
                j.push('\n');
            }
            joined = j;
            joined.as_str()
        } else {
            text
        };
        let starts: Vec<usize> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', s.as_bytes()).map(|i| i + 1))
            .collect();
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < s.len() {
            let Some(m) = re.find_at(s, pos) else { break };
            let i = starts.partition_point(|&st| st <= m.start()) - 1;
            // A blank line (or the empty one after a final line end) is never boilerplate.
            if lines.get(i).is_some_and(|l| !l.is_empty()) {
                out.push(i);
            }
            pos = starts.get(i + 1).copied().unwrap_or(s.len());
        }
        out
    }
}

/// Literal prefixes (ASCII-lowercased), one of which starts every match: a line that starts
/// with none of them cannot match, and is told so without calling a regex.
#[derive(Debug, Clone)]
struct Prefixes {
    /// Whether some prefix is this one byte long.
    single: [bool; 256],
    /// Prefixes of two bytes or more, grouped by their first two bytes.
    by_pair: FxHashMap<[u8; 2], Vec<Vec<u8>>>,
}

impl Prefixes {
    fn new(lits: Vec<Vec<u8>>) -> Self {
        let mut single = [false; 256];
        let mut by_pair: FxHashMap<[u8; 2], Vec<Vec<u8>>> = FxHashMap::default();
        for l in lits {
            match l.as_slice() {
                [] => {}
                [one] => single[usize::from(*one)] = true,
                [a, b, ..] => {
                    let group = by_pair.entry([*a, *b]).or_default();
                    if !group.contains(&l) {
                        group.push(l);
                    }
                }
            }
        }
        Prefixes { single, by_pair }
    }

    /// Whether `t` may start a match: it starts with a prefix, ignoring ASCII case. Where a
    /// byte that is not ASCII stands against a prefix, `t` is passed on: Unicode case folding
    /// (`K` for `k`) is the regex's to judge.
    fn may_start(&self, t: &str) -> bool {
        let b = t.as_bytes();
        let Some(&first) = b.first() else {
            return true;
        };
        if !first.is_ascii() || self.single[usize::from(first.to_ascii_lowercase())] {
            return true;
        }
        let Some(&second) = b.get(1) else {
            return false;
        };
        if !second.is_ascii() {
            return true;
        }
        let key = [first.to_ascii_lowercase(), second.to_ascii_lowercase()];
        self.by_pair.get(&key).is_some_and(|group| {
            group.iter().any(|l| {
                for (i, &c) in l.iter().enumerate() {
                    match b.get(i) {
                        // Folding may change a character's length ("ſ" for "s"): the regex
                        // judges from here.
                        Some(x) if !x.is_ascii() => return true,
                        Some(x) if x.to_ascii_lowercase() == c => {}
                        _ => return false,
                    }
                }
                true
            })
        })
    }
}

/// The lines of `s` (split at `\n`, by a vectorised search).
fn split_lines(s: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', s.as_bytes())
        .map(Some)
        .chain(std::iter::once(None))
        .map(move |end| {
            let end = end.unwrap_or(s.len());
            let line = &s[start..end];
            start = end + 1;
            line
        })
}

/// A short line without the punctuation and spaces that end it ("Most Popular:" → "Most
/// Popular"), as `short_line_patterns` see it.
fn trim_bare(t: &str) -> &str {
    // Not '.', ':' or ',': "Comments:" heads a field of a form or a post, and "comments." ends
    // a sentence; "Comments" alone, or "Share »", is the page's.
    t.trim_end_matches(|c: char| {
        (c.is_ascii_punctuation() && !matches!(c, '.' | ':' | ',')) || c.is_whitespace()
    })
}

/// Whether `t` has at most `n` words separated by ASCII whitespace (the only kind left after
/// normalisation), without counting past `n + 1`.
fn words_at_most(t: &str, n: usize) -> bool {
    let mut words = 0;
    let mut in_word = false;
    for &b in t.as_bytes() {
        let space = b.is_ascii_whitespace();
        if !space && !in_word {
            words += 1;
            if words > n {
                return false;
            }
        }
        in_word = !space;
    }
    true
}

/// `str::trim`, looking at bytes while the ends are ASCII (a scan of characters costs more
/// than the rest of a line's tests together).
fn trim_fast(line: &str) -> &str {
    let t = line.trim_ascii();
    let b = t.as_bytes();
    if b.first().is_some_and(|&c| c >= 0x80) || b.last().is_some_and(|&c| c >= 0x80) {
        t.trim()
    } else {
        t
    }
}

/// Whether `t` holds a navigation separator (`|`, `•`, `·`, `»`), by a byte search.
fn has_nav_separator(t: &str) -> bool {
    let b = t.as_bytes();
    memchr::memchr(b'|', b).is_some()
        || (!b.is_ascii()
            && memchr::memchr2_iter(0xC2, 0xE2, b).any(|i| {
                matches!(
                    (b[i], b.get(i + 1), b.get(i + 2)),
                    (0xC2, Some(0xB7 | 0xBB), _) | (0xE2, Some(0x80), Some(0xA2))
                )
            }))
}

/// Words as whitespace-separated runs.
fn word_count(t: &str) -> usize {
    t.split_whitespace().count()
}

/// "News | World | Europe": at least three segments of one to three words, every word starting
/// with a capital or a digit, single-spaced, without the punctuation of code, addresses or
/// lists. Shell pipes ("zcat x.tar.Z | tar xvf -"), C flags ("A | B;"), tables ("Dallas    |
/// Tulsa"), quoting ("|> text") and "Artist|Album" lists in plain text are not bars.
fn is_nav_bar(t: &str) -> bool {
    if t.contains("  ")
        || t.contains([
            '=', ';', '(', ')', '{', '}', '[', ']', '<', '>', '/', '\\', '@', ',', ':',
        ])
        || t.ends_with(['.', '?', '!'])
    {
        return false;
    }
    let mut parts = 0;
    for seg in t.split(NAV_SEPARATORS) {
        let seg = seg.trim();
        let words_ok = seg
            .split_whitespace()
            .all(|w| w.starts_with(|c: char| c.is_uppercase() || c.is_ascii_digit() || c == '&'));
        if seg.is_empty() || !words_at_most(seg, 3) || !words_ok {
            return false;
        }
        parts += 1;
    }
    parts >= 3
}

fn is_tag_line(t: &str) -> bool {
    let body = t.trim_end_matches(',');
    let parts: Vec<&str> = body.split(',').map(str::trim).collect();
    parts.len() >= 2
        && (t.ends_with(',') || parts.len() >= 3)
        && parts.iter().all(|s| !s.is_empty() && word_count(s) <= 2)
        && !t.contains(['.', '?', '!', ':'])
}

/// NFC, straight quotes, ASCII dashes, plain spaces, no zero-width characters, `\n` line ends.
pub fn normalize(raw: &str) -> String {
    normalize_cow(raw).into_owned()
}

/// [`normalize`], borrowing the text when there is nothing to change: ASCII without tabs or
/// carriage returns (most of most corpora) is returned as it is after one fast scan.
pub fn normalize_cow(raw: &str) -> Cow<'_, str> {
    if raw.is_ascii() {
        // memchr2: a `contains` over a char array steps through the text a character at a time.
        return if memchr::memchr2(b'\t', b'\r', raw.as_bytes()).is_some() {
            Cow::Owned(raw.replace('\r', "").replace('\t', " "))
        } else {
            Cow::Borrowed(raw)
        };
    }
    let mut out = String::with_capacity(raw.len());
    for c in raw.nfc() {
        match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' => out.push('\''),
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
            | '\u{00BB}' => out.push('"'),
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
            | '\u{2212}' => out.push('-'),
            '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\t' => {
                out.push(' ')
            }
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => {}
            '\r' => {}
            '\u{2026}' => out.push_str("..."),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(text: &str) -> Cleaned {
        Cleaner::new(&CleanParams::default()).unwrap().clean(text)
    }

    const PROSE: &str =
        "The council met on Monday to discuss the budget for the coming year and its effects.";

    #[test]
    fn normalize_folds_quotes_dashes_and_spaces() {
        assert_eq!(
            normalize("\u{201C}a\u{201D} \u{2013} b\u{2019}s\u{00A0}c\r\n"),
            "\"a\" - b's c\n"
        );
    }

    #[test]
    fn title_is_taken_from_a_short_first_line_and_stays_in_the_text() {
        let raw = format!("A Budget Fight Looms\n\n{PROSE}");
        let c = clean(&raw);
        assert_eq!(c.title.as_deref(), Some("A Budget Fight Looms"));
        assert_eq!(c.text, raw);
        assert!(c.dropped.is_empty());
    }

    #[test]
    fn analyse_titles_off_drops_the_title_and_lists_it() {
        let params = CleanParams {
            analyse_titles: false,
            ..Default::default()
        };
        let c = Cleaner::new(&params)
            .unwrap()
            .clean(&format!("A Budget Fight Looms\n\n{PROSE}"));
        assert_eq!(c.title.as_deref(), Some("A Budget Fight Looms"));
        assert_eq!(c.text, PROSE);
        assert_eq!(
            c.dropped,
            [DroppedLine {
                line: 1,
                rule: Rule::Title,
                text: "A Budget Fight Looms".into()
            }]
        );
    }

    #[test]
    fn prose_first_line_is_not_a_title() {
        let c = clean(&format!("{PROSE}\n\n{PROSE} Again."));
        assert_eq!(c.title, None);
    }

    #[test]
    fn web_furniture_is_dropped_and_listed_by_rule() {
        let raw = format!(
            "18 C\nParis\nMonday, March 3, 2025\n\nA Budget Fight Looms\n\nNews | World | Europe\n\
             Credit: Some Agency\n\n{PROSE}\n\nRead in French\n\nby Jane Doe\n\
             Send comments to desk@example.org.\n- Another story entirely - March 1, 2025\n\
             March 3, 2025 at 07:19AM\nMost Popular Articles\nalpha, beta, gamma delta,\n"
        );
        let c = clean(&raw);
        assert!(c.web_page);
        assert_eq!(c.text, format!("A Budget Fight Looms\n\n{PROSE}"));
        assert_eq!(c.title.as_deref(), Some("A Budget Fight Looms"));
        let rules: Vec<(usize, String)> = c
            .dropped
            .iter()
            .map(|d| (d.line, d.rule.to_string()))
            .collect();
        let want = [
            (1, "weather_line"),
            (2, "stray_line"),
            (3, "date_line"),
            (7, "nav_bar"),
            (8, "line_patterns[0]"),
            (12, "short_line_patterns[0]"),
            (14, "line_patterns[4]"),
            (15, "contact_line"),
            (16, "headline_list"),
            (17, "date_line"),
            (18, "short_line_patterns[2]"),
            (19, "tag_line"),
        ];
        let want: Vec<(usize, String)> = want.iter().map(|(l, r)| (*l, r.to_string())).collect();
        assert_eq!(rules, want);
        assert_eq!(c.dropped[4].text, "Credit: Some Agency");
    }

    #[test]
    fn a_record_that_is_not_a_web_page_passes_untouched() {
        // A Usenet post and a headline + summary: e-mail addresses, dates, short lines, a repeated
        // line, a lone byline-like line and indentation, but no navigation, credits or footers
        // beyond one line: nothing is dropped, nothing is re-wrapped.
        let post = "Re: Clipper chip\n\n  I agree with the poster above.\n\nMonday, March 3, 1993\n\
                    Contact me at someone@example.edu for the code.\n\n\n{PROSE}\n\nThanks,\n\
                    Thanks,\n-- \nJohn Smith\nby John Smith\n\n\
                    Pipes and flags, not navigation (each seen in 20 Newsgroups):\n\
                    zcat gvl.tar.Z | tar xvf -\nEnterWindowMask | LeaveWindowMask;\n\
                    Lewis, Huey|Sports\nHall & Oates|Big Bam Boom\nSerious | Active\n\
                    P(H | A)\nComments:\ncomments.\nCompiled by Art Mulder\n\
                    For more information, write to me.\n";
        let post = post.replace("{PROSE}", PROSE);
        let headline = "Nation's Smaller Jails Struggle To Cope With Surge in Inmates\n\n\
                        Jails overwhelmed with hardened criminals";
        for raw in [post.as_str(), headline] {
            let c = clean(raw);
            assert!(!c.web_page, "{raw}");
            assert_eq!(c.text, raw);
            assert!(c.dropped.is_empty(), "{:?}", c.dropped);
            assert!(!c.normalized);
        }
        assert_eq!(
            clean(headline).title.as_deref(),
            Some("Nation's Smaller Jails Struggle To Cope With Surge in Inmates")
        );
    }

    #[test]
    fn odd_patterns_never_panic_and_still_match_line_by_line() {
        // An empty pattern matches every line; two groups of one name don't join into one regex;
        // `\z` anchors to the whole text: each falls back to testing the lines one by one.
        for short in [
            vec![""],
            vec!["^(?P<w>menu)$", "^(?P<w>home)$"],
            vec!["home\\z"],
        ] {
            let params = CleanParams {
                short_line_patterns: short.iter().map(|p| p.to_string()).collect(),
                ..Default::default()
            };
            let cleaner = Cleaner::new(&params).unwrap();
            for raw in ["x\n", "\n\n", "", "Menu\nHome\n\nBody text here.\n"] {
                let c = cleaner.clean(raw);
                for d in &c.dropped {
                    assert!(
                        d.line >= 1 && d.line <= raw.lines().count().max(1),
                        "{raw:?}"
                    );
                }
            }
            let c = cleaner.clean(&format!("Menu\nHome\n\n{PROSE}\n"));
            if short.len() == 2 {
                assert!(c.web_page);
                assert_eq!(c.text, PROSE);
            }
        }
    }

    #[test]
    fn a_line_that_is_both_a_byline_and_a_nav_bar_still_makes_a_page() {
        let c = clean(&format!(
            "By Jane Doe | News | World\nCredit: AP\n\n{PROSE}\n"
        ));
        assert!(c.web_page);
        assert_eq!(c.text, PROSE);
        assert_eq!(c.dropped[0].rule, Rule::NavBar);
    }

    #[test]
    fn the_prefix_gate_leaves_case_folding_to_the_regex() {
        // "ſ" folds to "s" but is two bytes: the gate must not turn the line away.
        let c = clean(&format!(
            "Mo\u{17F}t Popular\nNews | World | Europe\n\n{PROSE}\n"
        ));
        assert_eq!(
            c.dropped[0].rule,
            Rule::ShortLinePattern(2),
            "{:?}",
            c.dropped
        );
    }

    #[test]
    fn min_web_lines_zero_cleans_every_record() {
        let params = CleanParams {
            min_web_lines: 0,
            ..Default::default()
        };
        let c = Cleaner::new(&params)
            .unwrap()
            .clean(&format!("{PROSE}\n\nMonday, March 3, 2025\n"));
        assert_eq!(c.text, PROSE);
        assert_eq!(c.dropped[0].rule, Rule::DateLine);
    }

    #[test]
    fn headings_and_prose_questions_are_kept() {
        let raw = format!(
            "Title Here Now\n\nNews | World | Europe\n\nCredit: Agency\n\n{PROSE}\n\nChallenges Ahead\n\n\
             {PROSE} Is that so?\n"
        );
        let c = clean(&raw);
        assert!(c.web_page);
        assert!(c.text.contains("Challenges Ahead"));
        assert!(c.text.contains("Is that so?"));
    }

    #[test]
    fn repeated_lines_of_a_web_page_are_dropped_after_the_first() {
        let c = clean(&format!(
            "News | World | Europe\n\nCredit: Agency\n\n{PROSE}\n\n{PROSE}\n"
        ));
        assert_eq!(c.text, PROSE);
        assert_eq!(c.dropped.last().unwrap().rule, Rule::RepeatedLine);
    }

    #[test]
    fn ascii_text_is_borrowed_and_unicode_is_normalised_and_flagged() {
        assert!(matches!(normalize_cow("plain text\n"), Cow::Borrowed(_)));
        assert_eq!(normalize_cow("a\tb\r\n"), "a b\n");
        let c = clean("It\u{2019}s here\n\nand there");
        assert!(c.normalized);
        assert_eq!(c.text, "It's here\n\nand there");
    }

    #[test]
    fn bad_pattern_is_a_config_error_naming_the_key() {
        let mut p = CleanParams::default();
        p.line_patterns.push("(".into());
        let e = Cleaner::new(&p).unwrap_err().to_string();
        assert!(e.contains("clean.line_patterns"), "{e}");
    }
}
