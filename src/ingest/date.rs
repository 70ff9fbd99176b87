//! Article dates: reading a date field, a dateline or a file name into an [`ArticleDate`].
//!
//! In: the text of a date (`"1996"`, `"2025-02-11T09:30:00+09:00"`, `"Tuesday, February 11,
//! 2025"`…), or a plain-text article's first lines and file name with the `[ingest]` rules that
//! find a date in them. Out: the calendar date and how precise it is (year, month or day). A
//! value that is not one of the accepted forms is never guessed at: it gives `None`, and the
//! reader counts and names the record.
//!
//! Accepted forms (English month names, full or abbreviated, any case; a leading weekday is
//! skipped):
//! - ISO 8601: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, and datetimes `YYYY-MM-DDTHH:MM[:SS[.f]]` (`T` or
//!   a space) with an optional zone `Z`, `UTC`, `GMT`, `±HH`, `±HHMM` or `±HH:MM`;
//! - `YYYY/MM/DD` (and `YYYY/MM`);
//! - `DD Month YYYY` (`11 February 2025`, `11 Feb. 2025`);
//! - `Month DD, YYYY` (`February 11, 2025`, `Feb 11 2025`) and `Month YYYY`.
//!
//! Time zones: a datetime with a zone is converted to UTC and dated by its UTC calendar day
//! (`2025-02-11T01:00+09:00` is 2025-02-10); one without a zone is dated as written.

use chrono::{Datelike, NaiveDate, NaiveTime, TimeDelta};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How precise a date is: what the source said, not what a calendar date can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// The year only (`1996`): stored as 1 January.
    Year,
    /// Year and month (`1996-03`): stored as the 1st.
    Month,
    /// A calendar day.
    Day,
}

impl Precision {
    /// Its name, as in run.json and messages.
    pub fn name(self) -> &'static str {
        match self {
            Precision::Year => "year",
            Precision::Month => "month",
            Precision::Day => "day",
        }
    }
}

/// An article's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArticleDate {
    /// The first day the date covers (1 January for a year, the 1st for a month).
    pub date: NaiveDate,
    /// How precise the source was.
    pub precision: Precision,
}

impl ArticleDate {
    /// The date in ISO 8601 at its own precision: `1996`, `1996-03` or `1996-03-14`.
    pub fn iso(&self) -> String {
        let d = self.date;
        match self.precision {
            Precision::Year => format!("{:04}", d.year()),
            Precision::Month => format!("{:04}-{:02}", d.year(), d.month()),
            Precision::Day => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        }
    }
}

/// Reads one date in any of the accepted forms (see the module's documentation); `None` when
/// `raw` is not one of them or names no real day (`2025-02-30`).
///
/// ```
/// use themata::ingest::date::{parse_date, Precision};
/// let d = parse_date("Tuesday, February 11, 2025").unwrap();
/// assert_eq!((d.iso().as_str(), d.precision), ("2025-02-11", Precision::Day));
/// assert_eq!(parse_date("2025-02-11T01:00:00+09:00").unwrap().iso(), "2025-02-10");
/// assert_eq!(parse_date("1996").unwrap().precision, Precision::Year);
/// assert!(parse_date("last Tuesday").is_none());
/// ```
pub fn parse_date(raw: &str) -> Option<ArticleDate> {
    let s = raw.trim();
    if s.len() >= 4 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
        numeric(s)
    } else {
        worded(s)
    }
}

fn make(year: i32, month: u32, day: u32, precision: Precision) -> Option<ArticleDate> {
    Some(ArticleDate {
        date: NaiveDate::from_ymd_opt(year, month, day)?,
        precision,
    })
}

/// Splits off a run of 1 to `max` ASCII digits.
fn digits(s: &str, max: usize) -> Option<(u32, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || n > max {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

/// `YYYY`, `YYYY-MM`, `YYYY-MM-DD[(T| )time[zone]]`, `YYYY/MM[/DD]`.
fn numeric(s: &str) -> Option<ArticleDate> {
    let year: i32 = s[..4].parse().ok()?;
    let rest = &s[4..];
    if rest.is_empty() {
        return make(year, 1, 1, Precision::Year);
    }
    let sep = rest.chars().next()?;
    if sep != '-' && sep != '/' {
        return None;
    }
    let (month, rest) = digits(&rest[1..], 2)?;
    if rest.is_empty() {
        return make(year, month, 1, Precision::Month);
    }
    let rest = rest.strip_prefix(sep)?;
    let (day, rest) = digits(rest, 2)?;
    let date = make(year, month, day, Precision::Day)?;
    if rest.is_empty() {
        return Some(date);
    }
    let time = rest.strip_prefix(['T', 't', ' ']).filter(|_| sep == '-')?;
    let offset = time_offset(time.trim_start())?;
    let at = date
        .date
        .and_time(NaiveTime::MIN)
        .checked_sub_signed(offset)?;
    Some(ArticleDate {
        date: at.date(),
        precision: Precision::Day,
    })
}

/// Reads `HH:MM[:SS[.f]][zone]` and returns how far the time lies past the day's start in UTC
/// terms: the time itself minus the zone's offset (the time of day matters only through the
/// zone, which may move the UTC date).
fn time_offset(s: &str) -> Option<TimeDelta> {
    let (h, rest) = digits(s, 2)?;
    let (m, mut rest) = digits(rest.strip_prefix(':')?, 2)?;
    let mut sec = 0;
    if let Some(r) = rest.strip_prefix(':') {
        let (v, r) = digits(r, 2)?;
        sec = v;
        rest = r;
        if let Some(frac) = rest.strip_prefix(['.', ',']) {
            let n = frac.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return None;
            }
            rest = &frac[n..];
        }
    }
    // 24:00 is the end of the day; 60 seconds a leap second.
    if h > 24 || (h == 24 && (m > 0 || sec > 0)) || m > 59 || sec > 60 {
        return None;
    }
    let zone = rest.trim();
    let offset_minutes: i64 = match zone {
        "" | "Z" | "z" | "UTC" | "GMT" => 0,
        z => {
            let (sign, z) = match z.as_bytes()[0] {
                b'+' => (1, &z[1..]),
                b'-' => (-1, &z[1..]),
                _ => return None,
            };
            let (oh, om) = match z.len() {
                2 => (z.parse::<i64>().ok()?, 0),
                4 if z.bytes().all(|b| b.is_ascii_digit()) => {
                    (z[..2].parse().ok()?, z[2..].parse().ok()?)
                }
                5 if z.as_bytes()[2] == b':' => (z[..2].parse().ok()?, z[3..].parse().ok()?),
                _ => return None,
            };
            if oh > 23 || om > 59 || !z.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
                return None;
            }
            sign * (oh * 60 + om)
        }
    };
    let local = i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(sec.min(59));
    // The date's midnight minus this (negative when the time is past midnight) is midnight of
    // the UTC day; the caller subtracts it from midnight, so hand back the negation.
    Some(TimeDelta::seconds(offset_minutes * 60 - local))
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A month's number from its English name, full or abbreviated to at least three letters
/// (`Feb`, `Sept`), any case.
fn month_number(word: &str) -> Option<u32> {
    let w = word.to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.starts_with(&w))
        .map(|i| i as u32 + 1)
}

fn is_weekday(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    w.len() >= 3 && WEEKDAYS.iter().any(|d| d.starts_with(&w))
}

/// A day of the month, with or without an English ordinal suffix (`11`, `11th`, `1st`).
fn day_number(word: &str) -> Option<u32> {
    let w = word.to_ascii_lowercase();
    let w = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| w.strip_suffix(s))
        .unwrap_or(&w);
    let (d, rest) = digits(w, 2)?;
    rest.is_empty().then_some(d)
}

fn year_number(word: &str) -> Option<i32> {
    (word.len() == 4 && word.bytes().all(|b| b.is_ascii_digit()))
        .then(|| word.parse().ok())
        .flatten()
}

/// `[Weekday,] DD Month YYYY`, `[Weekday,] Month DD[,] YYYY`, `Month YYYY`.
fn worded(s: &str) -> Option<ArticleDate> {
    let mut words: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(|w| w.strip_suffix('.').unwrap_or(w))
        .collect();
    if words.first().is_some_and(|w| is_weekday(w)) && words.len() > 2 {
        words.remove(0);
    }
    match words.as_slice() {
        [a, b, y] => {
            let year = year_number(y)?;
            if let (Some(m), Some(d)) = (month_number(a), day_number(b)) {
                make(year, m, d, Precision::Day)
            } else {
                make(year, month_number(b)?, day_number(a)?, Precision::Day)
            }
        }
        [m, y] => make(year_number(y)?, month_number(m)?, 1, Precision::Month),
        _ => None,
    }
}

/// The `[ingest]` rules that date a plain-text article, compiled: which first lines to search,
/// the patterns that pull a date out of a line, and those that pull one out of a file name.
#[derive(Debug, Clone)]
pub struct DateRules {
    lines: usize,
    line_patterns: Vec<Regex>,
    file_patterns: Vec<Regex>,
}

impl DateRules {
    /// Compiles the rules; an error names the key and the pattern at fault.
    pub fn new(lines: usize, line_patterns: &[String], file_patterns: &[String]) -> Result<Self> {
        let compile = |key: &str, pats: &[String]| -> Result<Vec<Regex>> {
            pats.iter()
                .enumerate()
                .map(|(i, p)| {
                    let bad = |m: String| {
                        Error::Usage(format!("invalid value for `ingest.{key}[{i}]`: {m}"))
                    };
                    let re = Regex::new(p).map_err(|e| bad(e.to_string()))?;
                    if re.capture_names().flatten().all(|n| n != "date") {
                        return Err(bad(format!(
                            "`{p}` has no group named `date`: write (?P<date>...)"
                        )));
                    }
                    Ok(re)
                })
                .collect()
        };
        Ok(DateRules {
            lines,
            line_patterns: compile("date_line_patterns", line_patterns)?,
            file_patterns: compile("date_file_patterns", file_patterns)?,
        })
    }

    /// The date of a plain-text article: the first of its first `lines` non-blank lines that a
    /// line pattern dates, else the file name's date. `None` when neither has one.
    pub fn find(&self, text: &str, file_name: &str) -> Option<ArticleDate> {
        let in_lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take(self.lines)
            .find_map(|l| first_date(&self.line_patterns, l));
        in_lines.or_else(|| first_date(&self.file_patterns, file_name))
    }
}

/// The date the first of `patterns` that matches `s` captures and that reads as a date.
fn first_date(patterns: &[Regex], s: &str) -> Option<ArticleDate> {
    patterns.iter().find_map(|re| {
        re.captures_iter(s)
            .find_map(|c| c.name("date").and_then(|m| parse_date(m.as_str())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> Option<(String, Precision)> {
        parse_date(s).map(|d| (d.iso(), d.precision))
    }

    fn day(s: &str) -> Option<(String, Precision)> {
        Some((s.into(), Precision::Day))
    }

    #[test]
    fn iso_dates_of_year_month_and_day_precision() {
        assert_eq!(iso("1996"), Some(("1996".into(), Precision::Year)));
        assert_eq!(iso(" 1996 "), Some(("1996".into(), Precision::Year)));
        assert_eq!(iso("1996-03"), Some(("1996-03".into(), Precision::Month)));
        assert_eq!(iso("1996-03-14"), day("1996-03-14"));
        assert_eq!(iso("2024-02-29"), day("2024-02-29"));
    }

    #[test]
    fn slashed_and_worded_dates() {
        assert_eq!(iso("2025/02/11"), day("2025-02-11"));
        assert_eq!(iso("2025/2/1"), day("2025-02-01"));
        assert_eq!(iso("2025/02"), Some(("2025-02".into(), Precision::Month)));
        assert_eq!(iso("11 February 2025"), day("2025-02-11"));
        assert_eq!(iso("11 Feb. 2025"), day("2025-02-11"));
        assert_eq!(iso("1st Sept 2025"), day("2025-09-01"));
        assert_eq!(iso("February 11, 2025"), day("2025-02-11"));
        assert_eq!(iso("feb 11 2025"), day("2025-02-11"));
        assert_eq!(iso("Tuesday, February 11, 2025"), day("2025-02-11"));
        assert_eq!(iso("Tue, 11 Feb 2025"), day("2025-02-11"));
        assert_eq!(
            iso("March 1996"),
            Some(("1996-03".into(), Precision::Month))
        );
    }

    #[test]
    fn datetimes_are_dated_by_their_utc_day() {
        assert_eq!(iso("2025-02-11T09:30"), day("2025-02-11"));
        assert_eq!(iso("2025-02-11 23:59:59"), day("2025-02-11"));
        assert_eq!(iso("2025-02-11T23:30:00Z"), day("2025-02-11"));
        assert_eq!(iso("2025-02-11T01:00:00+09:00"), day("2025-02-10"));
        assert_eq!(iso("2025-02-11T23:30:00-05:00"), day("2025-02-12"));
        assert_eq!(iso("2025-02-11T23:30:00.123-0500"), day("2025-02-12"));
        assert_eq!(iso("2025-02-11T20:00-05"), day("2025-02-12"));
        assert_eq!(iso("2025-01-01T00:30:00+01:00"), day("2024-12-31"));
        assert_eq!(iso("2025-02-11T12:00 UTC"), day("2025-02-11"));
        assert_eq!(iso("2025-02-11T24:00"), day("2025-02-12"));
    }

    #[test]
    fn what_is_not_a_date_is_not_guessed() {
        for s in [
            "",
            "   ",
            "unknown",
            "96",
            "19960",
            "1996-13",
            "1996-02-30",
            "2025-02-11T25:00",
            "2025-02-11T10:00+25:00",
            "2025-02-11X",
            "2025/02/11T10:00",
            "02/11/2025",
            "11/02/2025",
            "February 30, 2025",
            "Smarch 11, 2025",
            "February 11",
            "last Tuesday",
            "1996-03-14 and more",
        ] {
            assert_eq!(iso(s), None, "{s:?}");
        }
    }

    #[test]
    fn datelines_and_file_names_by_the_rules() {
        let p = crate::ingest::IngestParams::default();
        let rules =
            DateRules::new(p.date_lines, &p.date_line_patterns, &p.date_file_patterns).unwrap();
        let text = "26.1 C\nDelhi\nTuesday, February 11, 2025\n\nN. Koreans dismiss it\n";
        assert_eq!(rules.find(text, "x.txt").unwrap().iso(), "2025-02-11");
        let text = "Headline\nPublished: 3 March 2024\nBody text.";
        assert_eq!(rules.find(text, "x.txt").unwrap().iso(), "2024-03-03");
        // Too deep in the article: the file name decides.
        let deep = "a\nb\nc\nd\ne\nf\nFebruary 11, 2025\n";
        assert_eq!(
            rules.find(deep, "2024-12-01-story.txt").unwrap().iso(),
            "2024-12-01"
        );
        assert!(rules.find(deep, "story.txt").is_none());
        // A body sentence that mentions a date is not a dateline.
        assert!(
            rules
                .find("It rained on February 11, 2025.", "s.txt")
                .is_none()
        );
        let bad = DateRules::new(3, &["(\\d{4})".into()], &[]).unwrap_err();
        assert!(
            bad.to_string().contains("ingest.date_line_patterns[0]"),
            "{bad}"
        );
    }
}
