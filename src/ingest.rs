//! Ingest stage: files on disk become a [`Corpus`] of cleaned articles.
//!
//! In: paths (folders are walked recursively for the configured extensions; `.jsonl`, `.ndjson`
//! and their `.gz` forms are JSON Lines; `.csv`/`.tsv` have a header row; anything else is one
//! article per file). Out: articles in a deterministic order (inputs in the order given, folder
//! entries sorted by path, records in file order), each with its id, title, source, label and
//! cleaned text. Unreadable-but-skippable inputs (binary files, bad records with
//! `skip_bad_records`) become warnings; everything else is an [`Error`] naming the file and record.
//!
//! JSON Lines are read in chunks of records: each chunk is parsed and cleaned in parallel and its
//! raw lines dropped before the next is read, so besides the cleaned texts only one chunk of raw
//! input is ever in memory (the parsed JSON values and the raw text are never held for the whole
//! corpus).

mod bytes;
mod capped;
pub mod clean;
pub mod date;
mod lines;
mod record;

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use bytes::{load_bytes, load_bytes_with};
use capped::{Capped, Mark};
pub use clean::{CleanParams, Cleaned, Cleaner, DroppedLine, Rule};
use date::{ArticleDate, DateRules};
use lines::{Line, LineBlock, LineBlocks};

use crate::error::{Error, Result};

/// Largest article (a plain-text file, a JSON Lines record, a CSV row) read, in bytes. Larger ones
/// are errors naming them (records can be skipped with `skip_bad_records`), so a huge file with no
/// line breaks can't exhaust memory. No passage-finding corpus needs a single article this big.
pub const MAX_ARTICLE_BYTES: usize = 64 << 20;

/// The default of [`IngestParams::max_decompressed_bytes`]: 4 GiB (config/default.toml says why).
pub const MAX_DECOMPRESSED_BYTES: u64 = 4 << 30;

/// How inputs are read, the `[ingest]` table of the config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestParams {
    /// JSON Lines / CSV field holding the text.
    pub text_field: String,
    /// JSON Lines / CSV field holding the article id (`""`: the record number).
    pub id_field: String,
    /// JSON Lines / CSV field holding a corpus label for evaluation (`""`: none).
    pub label_field: String,
    /// File extensions read as plain-text articles when walking a folder.
    pub extensions: Vec<String>,
    /// Clean boilerplate and normalise Unicode (`false` = `--clean none`: text as given).
    pub clean: bool,
    /// Reject files that are not valid UTF-8 instead of decoding them lossily.
    pub strict: bool,
    /// Skip malformed JSON Lines records and CSV rows (counted in run.json) instead of failing.
    pub skip_bad_records: bool,
    /// Most bytes one compressed (`.gz`) input may decompress to; past it the file is refused
    /// while it is read, so a small file cannot inflate into more than memory holds. `0`: no
    /// limit.
    pub max_decompressed_bytes: u64,
    /// JSON Lines / CSV field holding each article's date (`""`: no dates). For plain-text
    /// files any non-empty name turns on the dateline and file-name rules below.
    pub date_field: String,
    /// Plain-text files: how many first non-blank lines are searched for a dateline.
    pub date_lines: usize,
    /// Plain-text files: regexes tried on each of the first `date_lines` lines; the text of the
    /// group named `date` must read as a date ([`date::parse_date`]).
    pub date_line_patterns: Vec<String>,
    /// Plain-text files: regexes tried on the file name when no line gives a date.
    pub date_file_patterns: Vec<String>,
    /// Keep articles whose text is empty after cleaning, so articles line up with the input
    /// records (`themata vectorize` sets it; not a config key). Off, they are left out with a
    /// warning. Either way a corpus with no text at all is an error.
    #[serde(skip)]
    pub keep_empty: bool,
}

impl Default for IngestParams {
    fn default() -> Self {
        IngestParams {
            text_field: "text".into(),
            id_field: "id".into(),
            label_field: String::new(),
            extensions: vec!["txt".into(), "md".into()],
            clean: true,
            strict: false,
            skip_bad_records: false,
            max_decompressed_bytes: MAX_DECOMPRESSED_BYTES,
            date_field: String::new(),
            date_lines: 5,
            date_line_patterns: vec![
                r"^(?P<date>.{4,40})$".into(),
                r"(?i)^(?:published|posted|updated|dated?)(?:\s+on)?\s*:?\s*(?P<date>.{4,60}?)\s*$"
                    .into(),
            ],
            date_file_patterns: vec![
                r"(?:^|[^0-9])(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})(?:[^0-9]|$)".into(),
            ],
            keep_empty: false,
        }
    }
}

/// One article.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// Stable id: the file stem, or the record's id field.
    pub id: String,
    /// Title line, if cleaning found one.
    pub title: Option<String>,
    /// Where it came from: the path, plus `:line N` for records.
    pub source: String,
    /// Corpus label, when a label field was named and present.
    pub label: Option<String>,
    /// Cleaned text (or the raw text with cleaning off); unit spans index into it.
    pub text: String,
    /// The article's date, when dates are read (`ingest.date_field`) and it has a readable one.
    pub date: Option<ArticleDate>,
}

/// All articles of a run, plus what ingest noticed on the way.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Corpus {
    /// Articles in corpus order.
    pub articles: Vec<Article>,
    /// Warnings to show the user and store in run.json.
    pub warnings: Vec<String>,
    /// Records skipped under `skip_bad_records`.
    pub skipped_records: usize,
    /// Non-blank lines dropped as boilerplate (and titles, with `analyse_titles` off).
    pub dropped_lines: usize,
    /// Every dropped line, with its article's id, in corpus order (`cleaning.csv`).
    pub cleaning: Vec<CleaningRecord>,
    /// Records that looked like web pages, so that their boilerplate rules ran.
    pub web_pages: usize,
    /// Articles whose characters Unicode normalisation changed (quotes, dashes, spaces, NFC).
    pub normalized_articles: usize,
    /// How the articles' dates were read (`None` when `ingest.date_field` is empty).
    pub dates: Option<DateTally>,
}

/// Most examples of unreadable dates kept (run.json and the warning name them).
pub const DATE_EXAMPLES: usize = 5;

/// What reading the articles' dates found: how many records had none or one that could not be
/// read, with a few of the latter named.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DateTally {
    /// The field dates were read from (for plain-text files, the dateline and file-name rules).
    pub field: String,
    /// Records without the field (or with it empty or null); plain-text files with no date found.
    pub missing: usize,
    /// Records whose date is none of the accepted forms.
    pub unreadable: usize,
    /// The first [`DATE_EXAMPLES`] unreadable dates: (article id, the value as given).
    pub examples: Vec<(String, String)>,
}

/// A record's date as read.
#[derive(Debug, Clone, PartialEq)]
enum DateRead {
    /// Dates are not read, or the record has none.
    Missing,
    /// Read.
    Found(ArticleDate),
    /// Present but none of the accepted forms: the value as given.
    Unreadable(String),
}

impl DateRead {
    fn of(value: Option<String>) -> DateRead {
        match value {
            None => DateRead::Missing,
            Some(v) if v.trim().is_empty() => DateRead::Missing,
            Some(v) => match date::parse_date(&v) {
                Some(d) => DateRead::Found(d),
                None => DateRead::Unreadable(v),
            },
        }
    }
}

/// One line that cleaning removed, with the article it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct CleaningRecord {
    /// The article's id.
    pub article_id: String,
    /// The line, its number and the rule that dropped it.
    pub dropped: DroppedLine,
}

impl DateTally {
    /// The warning about records without a readable date, if any.
    pub fn warning(&self) -> Option<String> {
        if self.missing == 0 && self.unreadable == 0 {
            return None;
        }
        let mut parts = Vec::new();
        if self.unreadable > 0 {
            let examples: Vec<String> = self
                .examples
                .iter()
                .map(|(id, v)| format!("{id}: {v:?}"))
                .collect();
            parts.push(format!(
                "{} record(s) have a `{}` that is not a date themata reads (e.g. {})",
                self.unreadable,
                self.field,
                examples.join(", ")
            ));
        }
        if self.missing > 0 {
            parts.push(format!(
                "{} record(s) have no `{}`",
                self.missing, self.field
            ));
        }
        Some(format!(
            "{}; they are analysed but left out of themes over time",
            parts.join("; ")
        ))
    }
}

impl Corpus {
    /// Bytes of article text.
    pub fn bytes(&self) -> usize {
        self.articles.iter().map(|a| a.text.len()).sum()
    }

    /// Lines dropped per rule, by rule name (`line_patterns[4]`, `date_line`…).
    pub fn cleaning_counts(&self) -> std::collections::BTreeMap<String, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for r in &self.cleaning {
            *counts.entry(r.dropped.rule.to_string()).or_insert(0) += 1;
        }
        counts
    }

    /// Records what cleaning did to one article; returns its text and title.
    fn take_cleaning(&mut self, id: &str, c: Cleaned) -> (String, Option<String>) {
        self.dropped_lines += c.dropped.len();
        self.web_pages += usize::from(c.web_page);
        self.normalized_articles += usize::from(c.normalized);
        self.cleaning
            .extend(c.dropped.into_iter().map(|d| CleaningRecord {
                article_id: id.to_string(),
                dropped: d,
            }));
        (c.text, c.title)
    }
}

/// A source of articles that is not on disk (the embedded seed corpus, tests).
#[derive(Debug, Clone)]
pub struct InMemoryFile {
    /// Name shown as the article's source; its stem becomes the id.
    pub name: String,
    /// The file's text.
    pub text: String,
}

/// The five seed articles, compiled into the binary so `themata run` works anywhere.
pub fn embedded_seeds() -> Vec<InMemoryFile> {
    macro_rules! seed {
        ($f:literal) => {
            InMemoryFile {
                name: concat!("seeds/", $f).to_string(),
                text: include_str!(concat!("../seeds/", $f)).to_string(),
            }
        };
    }
    vec![
        seed!("000_515a5261be1ee8fb.txt"),
        seed!("001_5f2791e1b88189d6.txt"),
        seed!("002_157757184664cf05.txt"),
        seed!("003_82ce061cef0351cd.txt"),
        seed!("004_48f1b47e3995692b.txt"),
    ]
}

/// Reads every input into a corpus.
///
/// ```no_run
/// use themata::ingest::{load, CleanParams, IngestParams};
/// let corpus = load(&["seeds".into()], &IngestParams::default(), &CleanParams::default())?;
/// assert!(!corpus.articles.is_empty());
/// # Ok::<(), themata::Error>(())
/// ```
pub fn load(inputs: &[PathBuf], params: &IngestParams, clean: &CleanParams) -> Result<Corpus> {
    let cleaner = cleaner_for(params, clean)?;
    let date_rules = date_rules_for(params)?;
    let mut reader = Reader::new(params, cleaner.as_ref(), date_rules.as_ref());
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| Error::io(input, e))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(input, &mut files)?;
            files.sort();
            let wanted: Vec<PathBuf> = files.into_iter().filter(|f| reader.wants(f)).collect();
            if wanted.is_empty() {
                return Err(Error::Input {
                    path: input.clone(),
                    record: None,
                    message: format!(
                        "folder holds no readable files (looked for {} recursively)",
                        describe_extensions(&params.extensions)
                    ),
                });
            }
            for f in wanted {
                reader.read_path(&f)?;
            }
        } else {
            reader.read_path(input)?;
        }
    }
    reader.finish(inputs)
}

/// Builds a corpus from in-memory files (each one article, as a plain-text file would be).
pub fn load_in_memory(
    files: &[InMemoryFile],
    params: &IngestParams,
    clean: &CleanParams,
) -> Result<Corpus> {
    let cleaner = cleaner_for(params, clean)?;
    let date_rules = date_rules_for(params)?;
    let mut reader = Reader::new(params, cleaner.as_ref(), date_rules.as_ref());
    for f in files {
        let stem = Path::new(&f.name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| f.name.clone());
        let date = reader.text_date(&f.text, &f.name);
        reader.push(stem, f.name.clone(), None, f.text.clone(), date);
    }
    reader.finish(&[PathBuf::from("seeds")])
}

fn describe_extensions(exts: &[String]) -> String {
    exts.iter()
        .map(|e| format!(".{e}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let ft = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if ft.is_dir() {
            walk(&path, out)?;
        } else if ft.is_file() || ft.is_symlink() {
            out.push(path);
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Text,
    JsonLines { gz: bool },
    Csv { delimiter: u8 },
}

fn format_of(path: &Path) -> Format {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.ends_with(".jsonl.gz") || name.ends_with(".ndjson.gz") || name.ends_with(".json.gz") {
        Format::JsonLines { gz: true }
    } else if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        Format::JsonLines { gz: false }
    } else if name.ends_with(".csv") {
        Format::Csv { delimiter: b',' }
    } else if name.ends_with(".tsv") {
        Format::Csv { delimiter: b'\t' }
    } else {
        Format::Text
    }
}

/// Compressed bytes read per refill of a `.gz` input (see [`Reader::open`]).
const GZ_INPUT_BYTES: usize = 1 << 20;

/// The cleaning rules compiled, or `None` when cleaning is off: they are compiled only when
/// they are used (6–7 ms for the default ones).
fn cleaner_for(params: &IngestParams, clean: &CleanParams) -> Result<Option<Cleaner>> {
    params.clean.then(|| Cleaner::new(clean)).transpose()
}

/// The rules that date plain-text files, or `None` when dates are not read.
fn date_rules_for(params: &IngestParams) -> Result<Option<DateRules>> {
    (!params.date_field.is_empty())
        .then(|| {
            DateRules::new(
                params.date_lines,
                &params.date_line_patterns,
                &params.date_file_patterns,
            )
        })
        .transpose()
}

impl IngestParams {
    /// Validates the keys that can be wrong on their own: the date rules must compile.
    pub fn check(&self) -> Result<()> {
        DateRules::new(
            self.date_lines,
            &self.date_line_patterns,
            &self.date_file_patterns,
        )
        .map(|_| ())
    }
}

struct Reader<'a> {
    params: &'a IngestParams,
    /// The cleaning rules; `None` when `params.clean` is off.
    cleaner: Option<&'a Cleaner>,
    corpus: Corpus,
    /// The rules that date plain-text files; `None` when dates are not read.
    date_rules: Option<&'a DateRules>,
    /// What the `.gz` inputs read so far count against `ingest.max_decompressed_bytes`: one
    /// budget for the whole run, so a folder of small bombs is no way around it.
    gz_charged: u64,
}

impl<'a> Reader<'a> {
    /// A reader with no articles yet; `cleaner` is used only when `params.clean` is on.
    fn new(
        params: &'a IngestParams,
        cleaner: Option<&'a Cleaner>,
        date_rules: Option<&'a DateRules>,
    ) -> Self {
        let dates = (!params.date_field.is_empty()).then(|| DateTally {
            field: params.date_field.clone(),
            ..DateTally::default()
        });
        Reader {
            params,
            cleaner: cleaner.filter(|_| params.clean),
            corpus: Corpus {
                dates,
                ..Corpus::default()
            },
            date_rules,
            gz_charged: 0,
        }
    }
}

impl Reader<'_> {
    /// Whether a file found while walking a folder is read.
    fn wants(&self, path: &Path) -> bool {
        if format_of(path) != Format::Text {
            return true;
        }
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        self.params
            .extensions
            .iter()
            .any(|e| e.eq_ignore_ascii_case(&ext))
    }

    fn warn(&mut self, msg: String) {
        log::warn!("{msg}");
        self.corpus.warnings.push(msg);
    }

    fn push(
        &mut self,
        id: String,
        source: String,
        label: Option<String>,
        raw: String,
        date: DateRead,
    ) {
        let date = self.tally_date(&id, date);
        let (text, title) = self.corpus.take_cleaning(&id, clean(self.cleaner, raw));
        self.corpus.articles.push(Article {
            id,
            title,
            source,
            label,
            text,
            date,
        });
    }

    /// Counts a record's date into the corpus's tally; its date, if readable.
    fn tally_date(&mut self, id: &str, date: DateRead) -> Option<ArticleDate> {
        let tally = self.corpus.dates.as_mut()?;
        match date {
            DateRead::Found(d) => return Some(d),
            DateRead::Missing => tally.missing += 1,
            DateRead::Unreadable(v) => {
                tally.unreadable += 1;
                if tally.examples.len() < DATE_EXAMPLES {
                    tally.examples.push((id.to_string(), v));
                }
            }
        }
        None
    }

    /// A plain-text article's date by the `[ingest]` rules (when dates are read).
    fn text_date(&self, text: &str, file_name: &str) -> DateRead {
        match self.date_rules.and_then(|r| r.find(text, file_name)) {
            Some(d) => DateRead::Found(d),
            None => DateRead::Missing,
        }
    }

    fn read_path(&mut self, path: &Path) -> Result<()> {
        match format_of(path) {
            Format::Text => self.read_text_file(path),
            Format::JsonLines { gz } => self.read_jsonl(path, gz),
            Format::Csv { delimiter } => self.read_csv(path, delimiter),
        }
    }

    fn decode(&mut self, path: &Path, bytes: Vec<u8>) -> Result<String> {
        match String::from_utf8(bytes) {
            Ok(s) => Ok(s),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                if self.params.strict {
                    return Err(Error::Input {
                        path: path.into(),
                        record: Some(format!("byte {at}")),
                        message: "not valid UTF-8 (--strict)".into(),
                    });
                }
                self.warn(format!(
                    "{}: not valid UTF-8 at byte {at}; decoded lossily",
                    path.display()
                ));
                Ok(String::from_utf8_lossy(e.as_bytes()).into_owned())
            }
        }
    }

    fn read_text_file(&mut self, path: &Path) -> Result<()> {
        let size = std::fs::metadata(path)
            .map_err(|e| Error::io(path, e))?
            .len();
        if size > MAX_ARTICLE_BYTES as u64 {
            return Err(too_big(path, size));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        self.read_text(path, bytes)
    }

    fn read_text(&mut self, path: &Path, bytes: Vec<u8>) -> Result<()> {
        if bytes.len() > MAX_ARTICLE_BYTES {
            return Err(too_big(path, bytes.len() as u64));
        }
        if looks_binary(&bytes) {
            self.warn(format!("{}: binary file skipped", path.display()));
            return Ok(());
        }
        let text = self.decode(path, bytes)?;
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let file_name = path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let date = self.text_date(&text, &file_name);
        self.push(id, path.display().to_string(), None, text, date);
        Ok(())
    }

    fn open(&self, path: &Path, gz: bool) -> Result<Box<dyn Read + Send>> {
        let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(if gz {
            // 1 MiB of compressed input per refill: each inflate call then writes megabytes,
            // and the 32 KiB window copy that ends every call costs next to nothing (with the
            // default 32 KiB buffer it was a quarter of the reader thread's time).
            capped::gunzip(
                BufReader::with_capacity(GZ_INPUT_BYTES, f),
                self.params.max_decompressed_bytes,
            )
        } else {
            Box::new(f)
        })
    }

    fn bad_record(&mut self, path: &Path, record: String, message: String) -> Result<()> {
        if self.params.skip_bad_records {
            self.corpus.skipped_records += 1;
            self.warn(format!("{}: {record}: {message}; skipped", path.display()));
            Ok(())
        } else {
            Err(Error::Input {
                path: path.into(),
                record: Some(record),
                message,
            })
        }
    }

    /// Reads JSON Lines in blocks of whole lines ([`JSONL_BLOCK_BYTES`]): each block's records are
    /// parsed and cleaned in parallel, then taken in file order, so only a few blocks of raw
    /// input are held at a time and the result does not depend on the thread count. A reader
    /// thread reads (and decompresses) the next block while this one is parsed; the blocks'
    /// buffers go back to it to be filled again.
    fn read_jsonl(&mut self, path: &Path, gz: bool) -> Result<()> {
        let input = self.open(path, gz)?;
        self.read_jsonl_from(path, input, gz)
    }

    /// `gz`: `input` is a decompressed stream, whose records also count against
    /// `ingest.max_decompressed_bytes` ([`capped::RECORD_COST`] each, besides their bytes).
    fn read_jsonl_from(&mut self, path: &Path, input: impl Read + Send, gz: bool) -> Result<()> {
        use std::sync::mpsc::{channel, sync_channel};
        std::thread::scope(|scope| {
            // One block in the channel, one being read, one being parsed.
            let (tx, rx) = sync_channel::<std::io::Result<LineBlock>>(1);
            let (back_tx, back_rx) = channel::<Vec<u8>>();
            scope.spawn(move || {
                let mut blocks = LineBlocks::new(input, JSONL_BLOCK_BYTES, MAX_ARTICLE_BYTES);
                // Three buffers go round (one being read, one in the channel, one being
                // parsed); past that the reader waits for one to come back rather than fault in
                // and zero a new one.
                let mut made = 0;
                loop {
                    let buf = match back_rx.try_recv() {
                        Ok(buf) => buf,
                        Err(_) if made < 3 => {
                            made += 1;
                            Vec::new()
                        }
                        Err(_) => match back_rx.recv() {
                            Ok(buf) => buf,
                            Err(_) => return,
                        },
                    };
                    let sent = match blocks.next_block(buf) {
                        Ok(Some(block)) => tx.send(Ok(block)),
                        Ok(None) => return,
                        Err(e) => tx.send(Err(e)),
                    };
                    if sent.is_err() {
                        return;
                    }
                }
            });
            let limit = self.params.max_decompressed_bytes;
            for block in rx {
                let block = block.map_err(|e| capped::gz_read_error(path, e))?;
                if gz && limit > 0 {
                    self.gz_charged +=
                        block.data().len() as u64 + block.lines.len() as u64 * capped::RECORD_COST;
                    if self.gz_charged > limit {
                        return Err(capped::gz_read_error(
                            path,
                            std::io::Error::other(capped::OverCap { limit }),
                        ));
                    }
                }
                self.take_jsonl_block(path, &block)?;
                // The reader may have finished; then the buffer is simply dropped.
                let _ = back_tx.send(block.into_buffer());
            }
            Ok(())
        })
    }

    /// Parses one block of lines in parallel and takes its records in order.
    fn take_jsonl_block(&mut self, path: &Path, block: &LineBlock) -> Result<()> {
        let (params, cleaner) = (self.params, self.cleaner);
        let parsed: Vec<Parsed> = {
            use rayon::prelude::*;
            block
                .lines
                .par_iter()
                .map(|(_, line)| match line {
                    Line::Stored(range) => {
                        parse_jsonl_record(&block.data()[range.clone()], params, cleaner)
                    }
                    Line::TooLong(n) => Parsed::Bad(too_big_message(*n as u64)),
                })
                .collect()
        };
        for (p, (no, _)) in parsed.into_iter().zip(&block.lines) {
            match p {
                Parsed::Blank => {}
                Parsed::Bad(message) => self.bad_record(path, format!("line {no}"), message)?,
                Parsed::Record {
                    id,
                    label,
                    date,
                    cleaned,
                } => {
                    let id = id.unwrap_or_else(|| no.to_string());
                    let date = self.tally_date(&id, date);
                    let (text, title) = self.corpus.take_cleaning(&id, cleaned);
                    self.corpus.articles.push(Article {
                        id,
                        title,
                        source: format!("{}:{no}", path.display()),
                        label,
                        text,
                        date,
                    });
                }
            }
        }
        Ok(())
    }

    fn read_csv(&mut self, path: &Path, delimiter: u8) -> Result<()> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        self.read_csv_from(path, delimiter, BufReader::with_capacity(1 << 20, file))
    }

    fn read_csv_from(&mut self, path: &Path, delimiter: u8, input: impl Read) -> Result<()> {
        // No record may run on past MAX_ARTICLE_BYTES of the file: the input fails once that many
        // bytes, plus the parser's read-ahead, have been read since the last record ended. The
        // parser would otherwise buffer a record that never ends (an unterminated quote makes the
        // rest of the file one field) whole before its size could be checked.
        let mark = Mark::default();
        let cap = (MAX_ARTICLE_BYTES + CSV_BUFFER_BYTES) as u64;
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(false)
            .buffer_capacity(CSV_BUFFER_BYTES)
            .from_reader(Capped::new(input, cap, mark.clone()));
        let headers = rdr
            .byte_headers()
            .map_err(|e| Error::Input {
                path: path.into(),
                record: Some("header".into()),
                message: csv_message(&e),
            })?
            .clone();
        let col = |name: &str| headers.iter().position(|h| h == name.as_bytes());
        let Some(text_col) = col(&self.params.text_field) else {
            let names: Vec<String> = headers
                .iter()
                .map(|h| String::from_utf8_lossy(h).into_owned())
                .collect();
            return Err(Error::Input {
                path: path.into(),
                record: Some("header".into()),
                message: format!(
                    "no text column `{}` (columns: {}); name it with --text-field",
                    self.params.text_field,
                    names.join(", ")
                ),
            });
        };
        let id_col = (!self.params.id_field.is_empty())
            .then(|| col(&self.params.id_field))
            .flatten();
        let label_col = (!self.params.label_field.is_empty())
            .then(|| col(&self.params.label_field))
            .flatten();
        let date_col = match self.params.date_field.as_str() {
            "" => None,
            name => Some(col(name).ok_or_else(|| Error::Input {
                path: path.into(),
                record: Some("header".into()),
                message: format!(
                    "no date column `{name}` (columns: {}); name it with --date-field",
                    headers
                        .iter()
                        .map(|h| String::from_utf8_lossy(h).into_owned())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?),
        };
        let mut rec = csv::ByteRecord::new();
        let mut row = 0usize;
        loop {
            let start = rdr.position().clone();
            mark.set(start.byte());
            match rdr.read_byte_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    row += 1;
                    let line = e.position().unwrap_or(&start).line();
                    let at = format!("row {row} (line {line})");
                    if runs_on(&e) {
                        // Nothing after it can be read: refused even with skip_bad_records.
                        return Err(Error::Input {
                            path: path.into(),
                            record: Some(at),
                            message: csv_message(&e),
                        });
                    }
                    self.bad_record(path, at, e.to_string())?;
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        break;
                    }
                    continue;
                }
            }
            row += 1;
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            if rec.as_slice().len() > MAX_ARTICLE_BYTES {
                self.bad_record(
                    path,
                    format!("row {row} (line {line})"),
                    too_big_message(rec.as_slice().len() as u64),
                )?;
                continue;
            }
            let get =
                |i: usize| String::from_utf8_lossy(rec.get(i).unwrap_or_default()).into_owned();
            if std::str::from_utf8(rec.get(text_col).unwrap_or_default()).is_err() {
                if self.params.strict {
                    self.bad_record(
                        path,
                        format!("row {row} (line {line})"),
                        "text is not valid UTF-8 (--strict)".into(),
                    )?;
                    continue;
                }
                self.warn(format!(
                    "{}: row {row}: text not valid UTF-8; decoded lossily",
                    path.display()
                ));
            }
            let text = get(text_col);
            let id = id_col.map(get).unwrap_or_else(|| row.to_string());
            let label = label_col.map(get);
            let date = match date_col {
                Some(c) => DateRead::of(Some(get(c))),
                None => DateRead::Missing,
            };
            self.push(id, format!("{}:{line}", path.display()), label, text, date);
        }
        Ok(())
    }

    fn finish(mut self, inputs: &[PathBuf]) -> Result<Corpus> {
        let before = self.corpus.articles.len();
        // Skipped files explain an empty corpus; say so in the error itself (warnings are hidden
        // under --quiet).
        let skipped = match self.corpus.warnings.as_slice() {
            [] => String::new(),
            [one] => format!(" ({one})"),
            [first, rest @ ..] => format!(" ({first}; {} more warning(s))", rest.len()),
        };
        let has_text = |a: &Article| !a.text.trim().is_empty();
        let with_text = self.corpus.articles.iter().filter(|a| has_text(a)).count();
        if !self.params.keep_empty {
            self.corpus.articles.retain(has_text);
            let empty = before - with_text;
            if empty > 0 {
                let msg = format!("{empty} article(s) empty after cleaning were left out");
                self.warn(msg);
            }
        }
        if let Some(w) = self.corpus.dates.as_ref().and_then(DateTally::warning) {
            self.warn(w);
        }
        if with_text == 0 {
            let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
            return Err(Error::EmptyCorpus(format!(
                "{}: no article text left{} — nothing to analyse{skipped}",
                names.join(", "),
                if before > 0 {
                    " after cleaning (try --clean none)"
                } else {
                    ""
                }
            )));
        }
        Ok(self.corpus)
    }
}

/// Bytes of JSON Lines read and parsed together (the block ends at the first line end after
/// this many): a few hundred typical records (about 300 of 20 Newsgroups), enough to keep two to
/// a few dozen threads busy. Small blocks keep the start (the first block is read before any is
/// parsed) and the end (the last is parsed after all are read) short: on 20 Newsgroups from
/// `.gz`, 1 MiB blocks took ingest from 0.112 to 0.091 s against 8 MiB (`tools/ab_stages.sh`,
/// medians of 9). Tests use small blocks so that their fixtures span many.
const JSONL_BLOCK_BYTES: usize = if cfg!(test) { 256 } else { 1 << 20 };

/// One JSON Lines line, parsed and cleaned.
enum Parsed {
    Blank,
    Bad(String),
    Record {
        id: Option<String>,
        label: Option<String>,
        date: DateRead,
        cleaned: Cleaned,
    },
}

/// `raw` cleaned by `cleaner`, or as it is when cleaning is off.
fn clean(cleaner: Option<&Cleaner>, raw: String) -> Cleaned {
    match cleaner {
        Some(c) => c.clean_owned(raw),
        None => Cleaned {
            text: raw,
            title: None,
            dropped: Vec::new(),
            web_page: false,
            normalized: false,
        },
    }
}

fn parse_jsonl_record(buf: &[u8], params: &IngestParams, cleaner: Option<&Cleaner>) -> Parsed {
    let line = match std::str::from_utf8(buf) {
        Ok(s) => s.trim(),
        Err(e) => return Parsed::Bad(format!("not valid UTF-8: {e}")),
    };
    if line.is_empty() {
        return Parsed::Blank;
    }
    let names = [
        params.text_field.as_str(),
        params.id_field.as_str(),
        params.label_field.as_str(),
        params.date_field.as_str(),
    ];
    let [raw, id, label, date] = match record::pick_fields(line, names) {
        Ok(fields) => fields,
        Err(record::RecordError::Malformed(e)) => {
            return Parsed::Bad(format!("malformed JSON: {e}"));
        }
        Err(record::RecordError::NotAnObject) => {
            return Parsed::Bad("record is not a JSON object".into());
        }
    };
    let Some(raw) = raw else {
        return Parsed::Bad(format!(
            "no text field `{}` (fields: {}); name it with --text-field",
            params.text_field,
            record::keys(line).join(", ")
        ));
    };
    Parsed::Record {
        id,
        label,
        date: DateRead::of(date),
        cleaned: clean(cleaner, raw),
    }
}

fn too_big_message(size: u64) -> String {
    format!(
        "{:.1} MiB is over the {} MiB limit for one article; split it",
        size as f64 / (1u64 << 20) as f64,
        MAX_ARTICLE_BYTES >> 20
    )
}

/// Bytes the CSV parser reads ahead of the record it is parsing (its buffer; csv's default size),
/// which the record cap allows for.
const CSV_BUFFER_BYTES: usize = 8 << 10;

/// Whether a CSV read failed because a record ran on past [`MAX_ARTICLE_BYTES`].
fn runs_on(e: &csv::Error) -> bool {
    matches!(e.kind(), csv::ErrorKind::Io(io) if capped::over_cap(io).is_some())
}

/// What a CSV read error means for the user: for a record that ran on past the cap, its likely
/// cause.
fn csv_message(e: &csv::Error) -> String {
    if runs_on(e) {
        format!(
            "the record runs on past the {} MiB limit for one article; an unterminated quote (a \
             field's opening `\"` never closed) is the likely cause",
            MAX_ARTICLE_BYTES >> 20
        )
    } else {
        e.to_string()
    }
}

fn too_big(path: &Path, size: u64) -> Error {
    Error::Input {
        path: path.into(),
        record: None,
        message: too_big_message(size),
    }
}

/// A file is binary when its first 8 KiB hold a NUL byte.
fn looks_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, body: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, body).unwrap();
        p
    }

    #[test]
    fn jsonl_over_many_chunks_keeps_order_and_names_a_late_or_early_bad_record() {
        // Many blocks: records come back in file order, and a bad record stops the read wherever
        // it is (the reader thread must not hang on an early stop).
        let n = 217;
        let body = |bad: Option<usize>| -> Vec<u8> {
            (1..=n)
                .map(|i| match bad {
                    Some(b) if b == i => "{not json\n".to_string(),
                    _ => format!("{{\"id\":\"r{i}\",\"text\":\"record number {i}\"}}\n"),
                })
                .collect::<String>()
                .into_bytes()
        };
        let d = tempfile::tempdir().unwrap();
        let params = IngestParams::default();
        assert!(body(None).len() > 20 * JSONL_BLOCK_BYTES);
        let good = write(d.path(), "good.jsonl", &body(None));
        let c = load(&[good], &params, &CleanParams::default()).unwrap();
        assert_eq!(c.articles.len(), n);
        assert!(
            c.articles
                .iter()
                .enumerate()
                .all(|(i, a)| a.id == format!("r{}", i + 1))
        );
        for bad in [5, n - 3] {
            let p = write(d.path(), &format!("bad{bad}.jsonl"), &body(Some(bad)));
            let e = load(&[p], &params, &CleanParams::default())
                .unwrap_err()
                .to_string();
            assert!(e.contains(&format!("bad{bad}.jsonl")), "{e}");
            assert!(e.contains(&format!("line {bad}:")), "{e}");
        }
    }

    #[test]
    fn jsonl_reads_fields_and_names_bad_record() {
        let d = tempfile::tempdir().unwrap();
        let p = write(
            d.path(),
            "c.jsonl",
            b"{\"id\":\"a\",\"text\":\"hello world\",\"label\":\"x\"}\n{oops\n",
        );
        let params = IngestParams {
            label_field: "label".into(),
            ..Default::default()
        };
        let e = load(std::slice::from_ref(&p), &params, &CleanParams::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.jsonl") && e.contains("line 2"), "{e}");
        let params = IngestParams {
            skip_bad_records: true,
            ..params
        };
        let c = load(&[p], &params, &CleanParams::default()).unwrap();
        assert_eq!(c.articles.len(), 1);
        assert_eq!(c.articles[0].label.as_deref(), Some("x"));
        assert_eq!(c.skipped_records, 1);
    }

    #[test]
    fn folder_walk_is_sorted_and_skips_binary() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "b/two.txt",
            b"Second article text here, long enough.",
        );
        write(
            d.path(),
            "a/one.md",
            b"First article text here, long enough.",
        );
        write(d.path(), "bin.txt", b"\0\x01\x02");
        write(d.path(), "skip.pdf", b"nope");
        let c = load(
            &[d.path().into()],
            &IngestParams::default(),
            &CleanParams::default(),
        )
        .unwrap();
        let ids: Vec<&str> = c.articles.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["one", "two"]);
        assert!(c.warnings.iter().any(|w| w.contains("bin.txt")));
    }

    #[test]
    fn csv_needs_its_text_column() {
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), "c.csv", b"id,body\n1,hello there\n");
        let e = load(
            std::slice::from_ref(&p),
            &IngestParams::default(),
            &CleanParams::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("no text column `text`"), "{e}");
        let params = IngestParams {
            text_field: "body".into(),
            ..Default::default()
        };
        let c = load(&[p], &params, &CleanParams::default()).unwrap();
        assert_eq!(c.articles[0].text, "hello there");
    }

    #[test]
    fn embedded_seeds_match_the_seeds_folder() {
        for f in embedded_seeds() {
            let on_disk =
                std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&f.name))
                    .unwrap();
            assert_eq!(on_disk, f.text, "{}", f.name);
        }
    }
}
