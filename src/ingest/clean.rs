//! Text normalisation and boilerplate removal, by general rules that `[clean]` in the config tunes.
//!
//! In: one raw article. Out: the cleaned text (paragraphs separated by blank lines), its title when
//! one was found, and how many lines were dropped. Nothing here knows about any particular site:
//! the rules look at the shape of a line (navigation bars, bylines, date and weather lines, lists of
//! other headlines, credits, e-mail footers) and at a configurable list of web phrases.

use regex::{Regex, RegexSet};
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
        }
    }
}

/// [`CleanParams`] with its regexes compiled.
#[derive(Debug, Clone)]
pub struct Cleaner {
    params: CleanParams,
    short_lines: RegexSet,
    lines: RegexSet,
    date_word: Regex,
    weather: Regex,
    contact: Regex,
    bullet: Regex,
    trailing_date: Regex,
}

/// One article after cleaning.
#[derive(Debug, Clone, PartialEq)]
pub struct Cleaned {
    /// The article's text: kept lines, paragraphs separated by one blank line.
    pub text: String,
    /// The title line, if the article opens with one.
    pub title: Option<String>,
    /// How many non-blank lines were dropped as boilerplate.
    pub dropped_lines: usize,
}

const MONTHS: &str = "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|sept|september|oct|october|nov|november|dec|december";
const WEEKDAYS: &str = "mon|monday|tue|tues|tuesday|wed|wednesday|thu|thur|thurs|thursday|fri|friday|sat|saturday|sun|sunday";

impl Cleaner {
    /// Compiles the rules; a bad regex is a config error naming the key.
    pub fn new(params: &CleanParams) -> Result<Self> {
        let set = |key: &str, pats: &[String]| {
            RegexSet::new(pats.iter().map(|p| format!("(?i){p}"))).map_err(|e| Error::Config {
                file: "clean".into(),
                message: format!("clean.{key}: invalid regex: {e}"),
            })
        };
        let re = |p: &str| Regex::new(p).expect("built-in regex is valid");
        Ok(Cleaner {
            params: params.clone(),
            short_lines: set("short_line_patterns", &params.short_line_patterns)?,
            lines: set("line_patterns", &params.line_patterns)?,
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
        let text = if self.params.normalize {
            normalize(raw)
        } else {
            raw.replace("\r\n", "\n")
        };
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        // Pass 1: what each line is.
        let mut drop = vec![false; lines.len()];
        let mut seen = std::collections::HashSet::new();
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            let repeated = self.params.drop_repeated_lines && !seen.insert(t.to_lowercase());
            drop[i] = repeated || self.is_boilerplate(t);
        }
        // Pass 2: stray short lines standing among dropped ones (page-header datelines).
        if self.params.max_stray_words > 0 {
            let nonblank: Vec<usize> = (0..lines.len())
                .filter(|&i| !lines[i].trim().is_empty())
                .collect();
            let flags: Vec<bool> = nonblank.iter().map(|&i| drop[i]).collect();
            for (j, &i) in nonblank.iter().enumerate() {
                let t = lines[i].trim();
                if drop[i]
                    || word_count(t) > self.params.max_stray_words
                    || t.ends_with(['.', '?', '!', ':'])
                {
                    continue;
                }
                let before = j == 0 || flags[j - 1];
                let after = j + 1 == nonblank.len() || flags[j + 1];
                let touches = (j > 0 && flags[j - 1]) || (j + 1 < nonblank.len() && flags[j + 1]);
                if before && after && touches {
                    drop[i] = true;
                }
            }
        }
        let dropped_lines = drop.iter().filter(|&&d| d).count();
        // Title: the first kept line, when it is short and reads as a headline.
        let mut title = None;
        let first = (0..lines.len()).find(|&i| !drop[i] && !lines[i].trim().is_empty());
        let more_text =
            |i: usize| (i + 1..lines.len()).any(|j| !drop[j] && !lines[j].trim().is_empty());
        if let Some(i) = first.filter(|&i| more_text(i)) {
            let t = lines[i].trim();
            let next_blank_or_end = lines
                .get(i + 1)
                .is_none_or(|l| l.trim().is_empty() || drop[i + 1]);
            if word_count(t) <= self.params.max_title_words
                && !t.ends_with(['.', ',', ';', ':'])
                && (next_blank_or_end || word_count(t) >= 3)
            {
                title = Some(t.to_string());
                drop[i] = true;
            }
        }
        // Rebuild: kept lines, paragraphs separated by exactly one blank line.
        let mut out = String::with_capacity(text.len());
        let mut pending_break = false;
        for (i, line) in lines.iter().enumerate() {
            if line.trim().is_empty() || drop[i] {
                // A dropped line ends the paragraph it stood in.
                pending_break |= !out.is_empty();
                continue;
            }
            if !out.is_empty() {
                out.push_str(if pending_break { "\n\n" } else { "\n" });
            }
            out.push_str(line.trim());
            pending_break = false;
        }
        Cleaned {
            text: out,
            title,
            dropped_lines,
        }
    }

    fn is_boilerplate(&self, t: &str) -> bool {
        let p = &self.params;
        let words = word_count(t);
        let bare = t.trim_end_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace());
        (words <= p.max_phrase_line_words && self.short_lines.is_match(bare))
            || self.lines.is_match(t)
            || (p.drop_date_lines && self.is_date_line(t))
            || (p.drop_weather_lines && self.weather.is_match(t))
            || (p.max_contact_line_words > 0
                && words <= p.max_contact_line_words
                && self.contact.is_match(t))
            || (p.drop_nav_bars && is_nav_bar(t))
            || (p.drop_headline_lists && self.bullet.is_match(t) && self.trailing_date.is_match(t))
            || (p.drop_tag_lines && is_tag_line(t))
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

/// Words as whitespace-separated runs.
fn word_count(t: &str) -> usize {
    t.split_whitespace().count()
}

fn is_nav_bar(t: &str) -> bool {
    let parts: Vec<&str> = t.split(['|', '•', '·', '»']).map(str::trim).collect();
    parts.len() >= 2
        && parts.iter().all(|s| !s.is_empty() && word_count(s) <= 3)
        && !t.ends_with(['.', '?', '!'])
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
    out
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
    fn title_is_taken_from_a_short_first_line() {
        let c = clean(&format!("A Budget Fight Looms\n\n{PROSE}"));
        assert_eq!(c.title.as_deref(), Some("A Budget Fight Looms"));
        assert_eq!(c.text, PROSE);
    }

    #[test]
    fn prose_first_line_is_not_a_title() {
        let c = clean(&format!("{PROSE}\n\n{PROSE} Again."));
        assert_eq!(c.title, None);
    }

    #[test]
    fn web_furniture_is_dropped() {
        let raw = format!(
            "18 C\nParis\nMonday, March 3, 2025\n\nA Budget Fight Looms\n\nNews | World | Europe\n\
             Credit: Some Agency\n\n{PROSE}\n\nRead in French\n\nby Jane Doe\n\
             Send comments to desk@example.org.\n- Another story entirely - March 1, 2025\n\
             March 3, 2025 at 07:19AM\nMost Popular Articles\nalpha, beta, gamma delta,\n"
        );
        let c = clean(&raw);
        assert_eq!(c.text, PROSE, "dropped: {}", c.dropped_lines);
        assert_eq!(c.title.as_deref(), Some("A Budget Fight Looms"));
    }

    #[test]
    fn headings_and_prose_questions_are_kept() {
        let raw = format!("Title Here Now\n\n{PROSE}\n\nChallenges Ahead\n\n{PROSE} Is that so?\n");
        let c = clean(&raw);
        assert!(c.text.contains("Challenges Ahead"));
        assert!(c.text.contains("Is that so?"));
    }

    #[test]
    fn repeated_lines_are_dropped_after_the_first() {
        let c = clean(&format!("{PROSE}\n\n{PROSE}\n"));
        assert_eq!(c.text, PROSE);
    }

    #[test]
    fn bad_pattern_is_a_config_error_naming_the_key() {
        let mut p = CleanParams::default();
        p.line_patterns.push("(".into());
        let e = Cleaner::new(&p).unwrap_err().to_string();
        assert!(e.contains("clean.line_patterns"), "{e}");
    }
}
