//! Typed configuration: `config/default.toml`, a user's `--config FILE` over it, then flags.
//!
//! Every table is a serde struct with `deny_unknown_fields`, so a misspelt key is an error naming
//! it; [`Config::check`] then validates every range once, naming the key and what is allowed.
//! The defaults in `config/default.toml` equal the `Default` impls (a test holds them together).
//! Settings that describe one corpus live in a file of their own: `config/seeds.toml` names the
//! seed corpus's themes and is laid over the defaults only when the seed corpus is analysed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cluster::ClusterParams;
use crate::error::{Error, Result};
use crate::ingest::{CleanParams, IngestParams};
use crate::reduce::LsaParams;
use crate::themes::ThemeParams;
use crate::timeline::TimeParams;
use crate::units::UnitParams;
use crate::vectorize::TfidfParams;

/// The default configuration file, compiled in.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// The seed corpus's own settings (its named themes), compiled in: laid over the defaults when
/// `themata run` is given no INPUT and analyses the seed corpus.
pub const SEEDS_TOML: &str = include_str!("../config/seeds.toml");

/// The whole configuration of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Seed of every random draw (k-means++ starts, SVD test vectors, sampling).
    pub seed: u64,
    /// Worker threads (0 = one per core). Results do not depend on it.
    pub threads: usize,
    /// When the kernel may back the process's memory with transparent huge pages (Linux).
    /// Results do not depend on it.
    pub huge_pages: HugePages,
    /// How inputs are read.
    pub ingest: IngestParams,
    /// Boilerplate removal rules.
    pub clean: CleanParams,
    /// How articles are cut into units.
    pub units: UnitParams,
    /// TF-IDF options (scikit-learn's names).
    pub vectorize: TfidfParams,
    /// LSA (truncated SVD) options.
    pub reduce: LsaParams,
    /// Clustering options.
    pub cluster: ClusterParams,
    /// Theme description and named themes.
    pub themes: ThemeParams,
    /// Where and what to write.
    pub output: OutputParams,
    /// How `themata assign` places new units in a saved run's themes.
    pub assign: AssignParams,
    /// How `themata compare` matches and classifies two runs' themes.
    pub compare: crate::compare::CompareParams,
    /// Themes over time (when the articles have dates).
    pub time: TimeParams,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 42,
            threads: 0,
            huge_pages: HugePages::Auto,
            ingest: IngestParams::default(),
            clean: CleanParams::default(),
            units: UnitParams::default(),
            // themata's defaults differ from scikit-learn's where measurement says so
            // (BENCHMARKS.md); `TfidfParams::default()` stays scikit-learn's.
            vectorize: TfidfParams {
                stop_words: crate::vectorize::StopWords::English,
                min_df: 2.0,
                max_df: 0.5,
                sublinear_tf: true,
                ..TfidfParams::default()
            },
            reduce: LsaParams::default(),
            cluster: ClusterParams::default(),
            themes: ThemeParams::default(),
            output: OutputParams::default(),
            assign: AssignParams::default(),
            compare: crate::compare::CompareParams::default(),
            time: TimeParams::default(),
        }
    }
}

/// When the process may use transparent huge pages (Linux; elsewhere a no-op). Results never
/// depend on it, only speed does, both ways (BENCHMARKS.md, "Transparent huge pages"): huge
/// pages spare the TLB misses of the LSA's gathers over hundreds of megabytes (20 Newsgroups
/// ×50: 66 → 50 s), but on a virtual machine whose balloon driver hands freed memory back to the
/// host each fresh 2 MiB page costs a host fault (≈ 2.5 ms per MiB against ≈ 0.5 ms for 4 KiB
/// pages), which a small corpus never earns back (20 Newsgroups: 2.06 → 1.75 s without them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum HugePages {
    /// Only for corpora of at least [`HugePages::AUTO_BYTES`] of text.
    #[default]
    Auto,
    /// Always allowed (the kernel's own policy then decides, e.g. `madvise`).
    Always,
    /// Never.
    Never,
}

impl HugePages {
    /// The corpus size from which `auto` allows huge pages (256 MiB of text: 20 Newsgroups ×16
    /// ran equally fast either way, ×50 a quarter faster with them).
    pub const AUTO_BYTES: usize = 256 << 20;

    /// Whether a corpus of `text_bytes` of text gets huge pages.
    pub fn allows(self, text_bytes: usize) -> bool {
        match self {
            HugePages::Auto => text_bytes >= Self::AUTO_BYTES,
            HugePages::Always => true,
            HugePages::Never => false,
        }
    }

    /// Applies the policy to this process (its future page faults) for a corpus of
    /// `text_bytes` of text. The setting is process-wide (`prctl(PR_SET_THP_DISABLE)`).
    pub fn apply(self, text_bytes: usize) {
        set_huge_pages(self.allows(text_bytes));
    }
}

/// Allows or forbids transparent huge pages for this process's future page faults
/// (`prctl(PR_SET_THP_DISABLE)`; Linux only, a no-op elsewhere or if the kernel refuses).
pub fn set_huge_pages(allow: bool) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_THP_DISABLE takes one integer flag and touches no memory of ours.
        unsafe {
            libc::prctl(
                libc::PR_SET_THP_DISABLE,
                libc::c_ulong::from(!allow),
                0,
                0,
                0,
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = allow;
}

/// Whether transparent huge pages are allowed for this process (always `true` off Linux).
pub fn huge_pages_allowed() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_GET_THP_DISABLE reads one flag of the calling process.
        unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    true
}

/// The `[output]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputParams {
    /// Folder that receives one sub-folder per run.
    pub out: PathBuf,
    /// Chart formats: any of `png`, `svg`; empty for none.
    pub charts: Vec<String>,
    /// Store every unit's text in run.json; `false` keeps only the themes' representative units'
    /// texts (the others are empty strings), which halves the memory of a run on a huge corpus.
    pub unit_text: bool,
    /// Save the run's model in `model/` (vocabulary, IDF, LSA components, theme centroids), so
    /// `themata assign` can place new articles in its themes.
    pub model: bool,
}

/// The `[assign]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AssignParams {
    /// A new unit is an outlier when its similarity to its theme is below this percentile (0 to
    /// 100) of the similarities of the theme's own units in the run.
    pub outlier_percentile: f64,
}

impl Default for AssignParams {
    fn default() -> Self {
        AssignParams {
            outlier_percentile: 5.0,
        }
    }
}

impl AssignParams {
    /// Checks the percentile's range.
    pub fn check(&self) -> Result<()> {
        if !(0.0..=100.0).contains(&self.outlier_percentile) {
            return Err(Error::param(
                "outlier_percentile",
                "must be between 0 and 100",
            ));
        }
        Ok(())
    }
}

impl Default for OutputParams {
    fn default() -> Self {
        OutputParams {
            out: PathBuf::from("out"),
            charts: vec!["png".into(), "svg".into()],
            unit_text: true,
            model: true,
        }
    }
}

impl Config {
    /// The compiled-in `config/default.toml`.
    pub fn defaults() -> Result<Config> {
        Self::from_toml_str(DEFAULT_TOML, "config/default.toml")
    }

    /// Parses a whole configuration from TOML text; `file` names it in errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Config> {
        let cfg: Config = toml::from_str(text).map_err(|e| config_error(file, text, e))?;
        cfg.check().map_err(|e| Error::Config {
            file: file.into(),
            message: e.to_string(),
        })?;
        Ok(cfg)
    }

    /// The defaults with a user's TOML file laid over them: tables merge key by key, and any value
    /// given (arrays included) replaces the default.
    pub fn load(user: Option<&Path>) -> Result<Config> {
        Self::load_for(user, false)
    }

    /// [`Config::load`], for the seed corpus when `seeds`: then `config/seeds.toml` (its named
    /// themes) lies between the defaults and the user's file.
    pub fn load_for(user: Option<&Path>, seeds: bool) -> Result<Config> {
        let Some(path) = user else {
            return Self::load_layers(Vec::new(), seeds, "config/default.toml");
        };
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let file = path.display().to_string();
        // Parse the user's file on its own first: unknown keys and wrong types are then reported
        // with its own line numbers.
        toml::from_str::<Config>(&text).map_err(|e| config_error(&file, &text, e))?;
        let over: toml::Table = toml::from_str(&text).map_err(|e| config_error(&file, &text, e))?;
        Self::load_layers(vec![over], seeds, &file)
    }

    /// The loader behind [`Config::load_for`]: the defaults (and `config/seeds.toml` when
    /// `seeds`) with each of `layers` laid over them in turn, table by table, then validated;
    /// `file` names the layers in errors. A caller checks each layer for unknown keys and wrong
    /// types against its own text first, as `load_for` does with a user's file (a batch job file
    /// does it for its `[defaults]` and each job's `[job.config]`).
    pub fn load_layers(layers: Vec<toml::Table>, seeds: bool, file: &str) -> Result<Config> {
        let mut base: toml::Table = toml::from_str(DEFAULT_TOML)
            .map_err(|e| Error::Internal(format!("config/default.toml: {e}")))?;
        if seeds {
            let over: toml::Table = toml::from_str(SEEDS_TOML)
                .map_err(|e| Error::Internal(format!("config/seeds.toml: {e}")))?;
            merge(&mut base, over);
        }
        for over in layers {
            merge(&mut base, over);
        }
        let merged = toml::to_string(&base).map_err(|e| Error::Internal(e.to_string()))?;
        Self::from_toml_str(&merged, file)
    }

    /// Validates every table, naming the key at fault and its allowed range.
    pub fn check(&self) -> Result<()> {
        let table = |name: &'static str, r: Result<()>| {
            r.map_err(|e| match e {
                Error::Param { name: key, message } if !key.contains('.') => {
                    Error::Usage(format!("invalid value for `{name}.{key}`: {message}"))
                }
                other => other,
            })
        };
        table("units", self.units.check())?;
        table("vectorize", self.vectorize.check())?;
        table("reduce", self.reduce.check())?;
        table("cluster", self.cluster.check())?;
        table("themes", self.themes.check())?;
        crate::coherence::CoherenceParams::from(&self.themes).check()?;
        table("assign", self.assign.check())?;
        table("compare", self.compare.check())?;
        table("time", self.time.check())?;
        self.ingest.check()?;
        for f in &self.output.charts {
            if !matches!(f.as_str(), "png" | "svg") {
                return Err(Error::param(
                    "output.charts",
                    format!("`{f}`: allowed are png, svg"),
                ));
            }
        }
        if self.threads > 1024 {
            return Err(Error::param(
                "threads",
                "must be between 0 (all cores) and 1024",
            ));
        }
        Ok(())
    }

    /// The configuration as TOML text (stored in run.json and printed by `themata config`).
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string_pretty(self).map_err(|e| Error::Internal(format!("config: {e}")))
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// One line: where (line number and the line itself, which names the key) and what is wrong.
pub(crate) fn config_error(file: &str, text: &str, e: toml::de::Error) -> Error {
    let what = e.message().replace('\n', " ");
    let message = match e.span() {
        Some(span) => {
            let line_no = text[..span.start.min(text.len())].matches('\n').count() + 1;
            let line = text.lines().nth(line_no - 1).unwrap_or("").trim();
            format!("line {line_no} `{line}`: {what}")
        }
        None => what,
    };
    Error::Config {
        file: file.into(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn the_huge_page_policy_reaches_the_kernel() {
        HugePages::Always.apply(0);
        assert!(huge_pages_allowed());
        HugePages::Never.apply(usize::MAX);
        assert!(!huge_pages_allowed());
        HugePages::Auto.apply(HugePages::AUTO_BYTES);
        assert!(huge_pages_allowed());
        HugePages::Auto.apply(HugePages::AUTO_BYTES - 1);
        assert!(!huge_pages_allowed());
    }

    #[test]
    fn default_toml_equals_default_impls_and_names_no_theme() {
        let file = Config::defaults().unwrap();
        assert!(file.themes.named.is_empty(), "default.toml names no theme");
        assert_eq!(file, Config::default());
    }

    #[test]
    fn seeds_toml_adds_the_seed_corpus_named_themes_only_for_the_seeds() {
        let seeds = Config::load_for(None, true).unwrap();
        let names: Vec<&str> = seeds.themes.named.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "regional disparity",
                "fear-based politics",
                "labor mobilization"
            ]
        );
        assert!(
            Config::load_for(None, false)
                .unwrap()
                .themes
                .named
                .is_empty()
        );
        // A user's file still wins over the seed corpus's.
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("mine.toml");
        std::fs::write(&p, "[themes]\nnamed = []\n").unwrap();
        assert!(
            Config::load_for(Some(&p), true)
                .unwrap()
                .themes
                .named
                .is_empty()
        );
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let e = Config::from_toml_str("[units]\nmin_wrds = 3\n", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.toml") && e.contains("min_wrds"), "{e}");
    }

    #[test]
    fn wrong_type_is_an_error() {
        let e = Config::from_toml_str("seed = \"abc\"\n", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.toml") && e.contains("seed"), "{e}");
    }

    #[test]
    fn out_of_range_value_names_key_and_range() {
        let e = Config::from_toml_str(
            "[units]\nwindow_sentences = 2\nwindow_overlap = 3\n",
            "x.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("units.window_overlap"), "{e}");
    }

    #[test]
    fn user_file_overlays_defaults() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("c.toml");
        std::fs::write(&p, "seed = 7\n[units]\nmin_words = 3\n").unwrap();
        let c = Config::load(Some(&p)).unwrap();
        assert_eq!(c.seed, 7);
        assert_eq!(c.units.min_words, 3);
        assert_eq!(
            c.units.window_sentences,
            UnitParams::default().window_sentences
        );
    }
}
