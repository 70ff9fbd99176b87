//! A finished run's model, saved in `out/<run>/model/` so `themata assign` can place new articles
//! in its themes without clustering again.
//!
//! | file | holds |
//! |---|---|
//! | `model.json` | format and version, the run's name, its whole config, the clustering method, how many units the IDF was fitted on, the theme ids, labels, named themes, top terms and map positions, which theme each clustering centroid became, the themes' similarities and hierarchy, and a sample of the run's units on the map |
//! | `vocab.json` | the vocabulary, in column order (empty in hashing mode) |
//! | `df.npy` | document frequency of each column (`u32`), from which the IDF is recomputed exactly |
//! | `components.npy` | the LSA map, vocabulary × dims (`f32`): a TF-IDF row times it, normalised, is the unit's position |
//! | `centroids.npy` | the clustering's centroids (`f32`, centroids × dims) in the clustering's order: nearest wins, as in the run |
//! | `theme_centroids.npy` | each theme's unit-length mean (`f32`, themes × dims): similarities and the 2-D map |
//! | `similarity_quantiles.npy` | per theme, the 0th to 100th percentiles of its units' similarities (`f32`, themes × 101): the outlier thresholds |
//!
//! The `.npy` files are NumPy's format (`numpy.load` reads them). Loading checks the format
//! version and every shape against `model.json`, and refuses a file larger than its shape needs
//! before reading it.

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ArrayView2};
use ndarray_npy::{ReadNpyExt, WriteNpyExt};
use serde::{Deserialize, Serialize};

use crate::cluster::Method;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::report::{AssignmentInfo, BackgroundPoint, MergeInfo, NamedThemeInfo, TermWeight};
use crate::rundir::RunDir;

/// `model.json`'s `format`.
pub const FORMAT: &str = "themata-model";
/// The model layout this themata writes and reads. Raised whenever a file's meaning changes.
pub const FORMAT_VERSION: u32 = 1;
/// Points of each theme's similarity table: the 0th to 100th percentiles.
pub const QUANTILES: usize = 101;
/// The run folder's sub-folder holding the model.
pub const DIR: &str = "model";

/// `model.json`: everything but the arrays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelMeta {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] of the themata that wrote it.
    pub format_version: u32,
    /// themata's version that wrote it.
    pub themata_version: String,
    /// The run's name.
    pub run: String,
    /// The run's whole configuration (ingest, cleaning, units and vectorizer options included).
    pub config: Config,
    /// How the run's themes were formed; `kmeans` models reproduce the run's themes exactly.
    pub method: Method,
    /// Units the vectorizer was fitted on (the IDF's document count).
    pub documents: usize,
    /// Columns of the TF-IDF matrix (the vocabulary's size, or the hashing width).
    pub columns: usize,
    /// LSA dimensions.
    pub dims: usize,
    /// For each row of `centroids.npy`, the theme it became (`null`: a cluster left empty).
    pub centroid_themes: Vec<Option<usize>>,
    /// The run's themes, by id.
    pub themes: Vec<ModelTheme>,
    /// Cosine similarity between the theme centroids (themes × themes), as in run.json.
    pub similarity: Vec<Vec<f32>>,
    /// The run's theme hierarchy, as in run.json.
    pub hierarchy: Vec<MergeInfo>,
    /// The 2-D projection's description, for chart captions.
    pub projection: String,
    /// What became of each named theme in the run.
    pub named_themes: Vec<NamedThemeInfo>,
    /// An even sample of the run's units on the theme map (at most
    /// [`AssignmentInfo::MAX_BACKGROUND`]), drawn faded under an assignment's new units.
    pub background: Vec<BackgroundPoint>,
}

/// One theme as the model keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelTheme {
    /// Theme id, `0..k`.
    pub id: usize,
    /// Its label in the run.
    pub label: String,
    /// The named theme it matched, if any.
    pub named: Option<String>,
    /// Units of the run in it.
    pub size: usize,
    /// Its top terms by class-based TF-IDF.
    pub terms: Vec<TermWeight>,
    /// Its centroid's position on the theme map.
    pub xy: [f32; 2],
}

/// A saved model: [`ModelMeta`] and its arrays.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// `model.json`.
    pub meta: ModelMeta,
    /// Vocabulary in column order (empty in hashing mode).
    pub vocab: Vec<String>,
    /// Document frequency per column.
    pub df: Vec<u32>,
    /// columns × dims: the LSA map ([`crate::reduce::Lsa::vectors`]).
    pub components: Array2<f32>,
    /// The clustering's centroids, in its order.
    pub centroids: Array2<f32>,
    /// themes × dims, unit-length theme means.
    pub theme_centroids: Array2<f32>,
    /// themes × [`QUANTILES`]: percentiles of each theme's unit similarities.
    pub similarity_quantiles: Array2<f32>,
}

impl Model {
    /// The run's theme count.
    pub fn k(&self) -> usize {
        self.meta.themes.len()
    }

    /// Writes the model into `model/` of a run folder being written.
    pub fn write(&self, dir: &RunDir) -> Result<()> {
        let rel = |f: &str| format!("{DIR}/{f}");
        dir.write_with(&rel("model.json"), |w| {
            serde_json::to_writer_pretty(&mut *w, &self.meta)
                .map_err(|e| Error::Internal(format!("model.json: {e}")))
        })?;
        dir.write_with(&rel("vocab.json"), |w| {
            serde_json::to_writer(&mut *w, &self.vocab)
                .map_err(|e| Error::Internal(format!("vocab.json: {e}")))
        })?;
        let npy = |name: &str, r: std::result::Result<(), ndarray_npy::WriteNpyError>| {
            r.map_err(|e| match e {
                ndarray_npy::WriteNpyError::Io(io) => Error::io(dir.path().join(rel(name)), io),
                other => Error::Internal(format!("{name}: {other}")),
            })
        };
        dir.write_with(&rel("df.npy"), |w| {
            npy("df.npy", Array1::from(self.df.clone()).write_npy(w))
        })?;
        for (name, a) in [
            ("components.npy", &self.components),
            ("centroids.npy", &self.centroids),
            ("theme_centroids.npy", &self.theme_centroids),
            ("similarity_quantiles.npy", &self.similarity_quantiles),
        ] {
            dir.write_with(&rel(name), |w| npy(name, a.write_npy(w)))?;
        }
        Ok(())
    }

    /// Loads the model of the run folder `run_dir`, checking its version and every shape.
    ///
    /// Errors are [`Error::Input`] naming the file: no model (a run from before models were
    /// saved, or with `output.model = false`), another format version, a shape or index that
    /// does not fit.
    pub fn load(run_dir: &Path) -> Result<Model> {
        let dir = run_dir.join(DIR);
        let meta_path = dir.join("model.json");
        if !meta_path.is_file() {
            return Err(Error::Input {
                path: run_dir.to_path_buf(),
                record: None,
                message: "this run folder has no saved model (model/model.json): it was made \
                          before themata saved models, or with output.model = false; run the \
                          analysis again to save one"
                    .into(),
            });
        }
        let bad = |path: &Path, message: String| Error::Input {
            path: path.to_path_buf(),
            record: None,
            message,
        };
        let text = read_capped(&meta_path, MAX_META_BYTES)?;
        // The version first, from a loose parse, so a model from another version is named as
        // such rather than as a field this version does not know.
        let loose: serde_json::Value = serde_json::from_slice(&text)
            .map_err(|e| bad(&meta_path, format!("not valid JSON: {e}")))?;
        if loose.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(bad(
                &meta_path,
                format!("not a themata model (`format` is not \"{FORMAT}\")"),
            ));
        }
        match loose.get("format_version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                let by = loose
                    .get("themata_version")
                    .and_then(|v| v.as_str())
                    .unwrap_or("an unknown version");
                return Err(bad(
                    &meta_path,
                    format!(
                        "model format {v} (written by themata {by}); this themata ({}) reads \
                         format {FORMAT_VERSION} only: re-run the analysis with this version",
                        env!("CARGO_PKG_VERSION")
                    ),
                ));
            }
            None => return Err(bad(&meta_path, "no `format_version`".into())),
        }
        let meta: ModelMeta = serde_json::from_value(loose)
            .map_err(|e| bad(&meta_path, format!("malformed: {e}")))?;
        meta.config
            .check()
            .map_err(|e| bad(&meta_path, format!("config: {e}")))?;
        let k = meta.themes.len();
        let (cols, d) = (meta.columns, meta.dims);
        if k == 0 || d == 0 || cols == 0 || meta.documents == 0 {
            return Err(bad(
                &meta_path,
                "a model needs at least one theme, column, dimension and document".into(),
            ));
        }
        if k > crate::cluster::MAX_K_LIMIT
            || meta.centroid_themes.len() > crate::cluster::MAX_K_LIMIT
        {
            return Err(bad(
                &meta_path,
                format!("more than {} themes", crate::cluster::MAX_K_LIMIT),
            ));
        }
        for (i, t) in meta.themes.iter().enumerate() {
            if t.id != i {
                return Err(bad(&meta_path, format!("themes[{i}].id is {}", t.id)));
            }
        }
        for (i, t) in meta.centroid_themes.iter().enumerate() {
            if t.is_some_and(|t| t >= k) {
                return Err(bad(
                    &meta_path,
                    format!("centroid_themes[{i}] is out of range: there are {k} themes"),
                ));
            }
        }
        if meta.similarity.len() != k || meta.similarity.iter().any(|r| r.len() != k) {
            return Err(bad(&meta_path, format!("similarity is not {k} × {k}")));
        }
        if meta.hierarchy.len() >= k {
            return Err(bad(&meta_path, "hierarchy has k or more merges".into()));
        }
        let mut used = vec![false; 2 * k];
        for (i, m) in meta.hierarchy.iter().enumerate() {
            for node in [m.left, m.right] {
                if node >= k + i || std::mem::replace(&mut used[node], true) {
                    return Err(bad(
                        &meta_path,
                        format!("hierarchy[{i}] joins node {node}, not a free node before it"),
                    ));
                }
            }
        }
        for (i, n) in meta.named_themes.iter().enumerate() {
            if n.theme.is_some_and(|t| t >= k) || n.closest.is_some_and(|t| t >= k) {
                return Err(bad(
                    &meta_path,
                    format!("named_themes[{i}] names a theme out of range"),
                ));
            }
        }
        if meta.background.len() > AssignmentInfo::MAX_BACKGROUND
            || meta.background.iter().any(|b| b.theme >= k)
        {
            return Err(bad(
                &meta_path,
                format!(
                    "background: more than {} points, or a theme out of range",
                    AssignmentInfo::MAX_BACKGROUND
                ),
            ));
        }
        let hashing = meta.config.vectorize.hashing;
        if hashing.is_some_and(|h| h != cols) {
            return Err(bad(
                &meta_path,
                "`columns` differs from vectorize.hashing".into(),
            ));
        }
        let vocab: Vec<String> = {
            let p = dir.join("vocab.json");
            let expected = if hashing.is_some() { 0 } else { cols };
            // A term costs a few bytes of JSON; no vocabulary needs a thousand a term.
            let bytes = read_capped(&p, 1024 * expected as u64 + 1024)?;
            let v: Vec<String> = serde_json::from_slice(&bytes)
                .map_err(|e| bad(&p, format!("not a JSON list of terms: {e}")))?;
            if v.len() != expected {
                return Err(bad(
                    &p,
                    format!("{} terms, model.json says {expected}", v.len()),
                ));
            }
            v
        };
        let df: Vec<u32> = read_npy::<Array1<u32>>(&dir.join("df.npy"), &[cols], 4)?.to_vec();
        let components = read_npy::<Array2<f32>>(&dir.join("components.npy"), &[cols, d], 4)?;
        let centroids = read_npy::<Array2<f32>>(
            &dir.join("centroids.npy"),
            &[meta.centroid_themes.len(), d],
            4,
        )?;
        let theme_centroids =
            read_npy::<Array2<f32>>(&dir.join("theme_centroids.npy"), &[k, d], 4)?;
        let similarity_quantiles =
            read_npy::<Array2<f32>>(&dir.join("similarity_quantiles.npy"), &[k, QUANTILES], 4)?;
        for (name, a) in [
            ("components.npy", &components),
            ("centroids.npy", &centroids),
            ("theme_centroids.npy", &theme_centroids),
            ("similarity_quantiles.npy", &similarity_quantiles),
        ] {
            if a.iter().any(|v| !v.is_finite()) {
                return Err(bad(
                    &dir.join(name),
                    "holds a value that is not finite".into(),
                ));
            }
        }
        Ok(Model {
            meta,
            vocab,
            df,
            components,
            centroids,
            theme_centroids,
            similarity_quantiles,
        })
    }

    /// Each theme's similarity below which a unit is an outlier: the `percentile` (0 to 100)
    /// of its units' similarities in the run, interpolated linearly between the stored
    /// percentiles (exact for whole percentiles).
    pub fn outlier_thresholds(&self, percentile: f64) -> Vec<f32> {
        let pos = (percentile.clamp(0.0, 100.0) / 100.0) * (QUANTILES - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = (lo + 1).min(QUANTILES - 1);
        let frac = (pos - lo as f64) as f32;
        self.similarity_quantiles
            .rows()
            .into_iter()
            .map(|q| q[lo] + (q[hi] - q[lo]) * frac)
            .collect()
    }

    /// The theme of each row of a normalised embedding, as the run would have given it: for
    /// k-means, the nearest clustering centroid (the same distance kernel as the run's last
    /// step, so a run's own units get their themes back exactly); for hierarchical runs, the
    /// theme centroid of highest cosine similarity (the tree itself cannot take new rows).
    pub fn themes_of(&self, embedding: ArrayView2<'_, f32>) -> Vec<usize> {
        let by_similarity = |e: ArrayView2<'_, f32>| -> Vec<usize> {
            let sims = e.dot(&self.theme_centroids.t());
            sims.rows()
                .into_iter()
                .map(|r| {
                    let mut best = 0;
                    for (j, &v) in r.iter().enumerate() {
                        if v > r[best] {
                            best = j;
                        }
                    }
                    best
                })
                .collect()
        };
        match self.meta.method {
            Method::Hierarchical => by_similarity(embedding),
            Method::Kmeans => {
                let (labels, _, _) =
                    crate::cluster::kmeans::assign(embedding, self.centroids.view());
                let themes: Vec<Option<usize>> = labels
                    .iter()
                    .map(|&c| self.meta.centroid_themes[c])
                    .collect();
                if themes.iter().all(Option::is_some) {
                    return themes.into_iter().flatten().collect();
                }
                // A centroid left empty in the run never won a unit there; should one win a new
                // unit, the theme centroids decide for it.
                let fallback = by_similarity(embedding);
                themes
                    .iter()
                    .zip(fallback)
                    .map(|(t, f)| t.unwrap_or(f))
                    .collect()
            }
        }
    }
}

/// Largest `model.json` read (its config and top terms; 64 MiB holds 20,000 themes' terms).
const MAX_META_BYTES: u64 = 64 << 20;

/// Reads a whole file, refusing one larger than `max` bytes before reading it.
fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>> {
    let len = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    if len > max {
        return Err(Error::Input {
            path: path.to_path_buf(),
            record: None,
            message: format!("{len} bytes, more than the {max} this model can need"),
        });
    }
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// Longest `.npy` header read (NumPy writes about 128 bytes).
const MAX_NPY_HEADER: usize = 64 << 10;

/// Reads an `.npy` array whose shape must be `shape`: the file's size and its header's shape are
/// checked before any array is allocated, then the data is streamed from the file.
fn read_npy<A>(path: &Path, shape: &[usize], elem_bytes: u64) -> Result<A>
where
    A: ReadNpyExt + HasShape,
{
    use std::io::{Read, Seek};
    let bad = |message: String| Error::Input {
        path: path.to_path_buf(),
        record: None,
        message,
    };
    let data = shape
        .iter()
        .try_fold(elem_bytes, |a, &s| a.checked_mul(s as u64))
        .unwrap_or(u64::MAX);
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let max = data.saturating_add(MAX_NPY_HEADER as u64 + 16);
    if len > max {
        return Err(bad(format!(
            "{len} bytes, more than the {max} this model can need"
        )));
    }
    let mut head = Vec::new();
    (&mut file)
        .take(MAX_NPY_HEADER as u64 + 16)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    match npy_header_shape(&head) {
        Some(declared) if declared.iter().copied().eq(shape.iter().map(|&s| s as u64)) => {}
        Some(declared) => {
            return Err(bad(format!(
                "shape {declared:?}, model.json says {shape:?}"
            )));
        }
        None => return Err(bad("not an .npy file (no readable header)".into())),
    }
    file.rewind().map_err(|e| Error::io(path, e))?;
    let a = A::read_npy(std::io::BufReader::new(file)).map_err(|e| {
        bad(format!(
            "not a readable .npy array of the expected type: {e}"
        ))
    })?;
    if a.dims() != shape {
        return Err(bad(format!(
            "shape {:?}, model.json says {shape:?}",
            a.dims().to_vec()
        )));
    }
    Ok(a)
}

/// The shape an `.npy` header declares (format versions 1 to 3), `None` when `head` does not
/// start with one.
fn npy_header_shape(head: &[u8]) -> Option<Vec<u64>> {
    if head.get(..6)? != b"\x93NUMPY" {
        return None;
    }
    let (len, start): (usize, usize) = match *head.get(6)? {
        1 => (
            usize::from(u16::from_le_bytes([*head.get(8)?, *head.get(9)?])),
            10,
        ),
        2 | 3 => (
            u32::from_le_bytes(head.get(8..12)?.try_into().ok()?) as usize,
            12,
        ),
        _ => return None,
    };
    let text = std::str::from_utf8(head.get(start..start.checked_add(len)?)?).ok()?;
    let at = text.find("'shape':")? + "'shape':".len();
    let rest = text[at..].trim_start().strip_prefix('(')?;
    let inner = &rest[..rest.find(')')?];
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect()
}

/// The shape of a loaded array, for [`read_npy`]'s check.
trait HasShape {
    fn dims(&self) -> &[usize];
}
impl<T> HasShape for Array1<T> {
    fn dims(&self) -> &[usize] {
        self.shape()
    }
}
impl<T> HasShape for Array2<T> {
    fn dims(&self) -> &[usize] {
        self.shape()
    }
}

/// The 0th to 100th percentiles of `values` (NumPy's linear interpolation), all zeros when empty.
pub fn percentiles(values: &mut [f32]) -> [f32; QUANTILES] {
    let mut out = [0f32; QUANTILES];
    if values.is_empty() {
        return out;
    }
    values.sort_by(f32::total_cmp);
    let n = values.len();
    for (p, o) in out.iter_mut().enumerate() {
        let pos = p as f64 / 100.0 * (n - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = (lo + 1).min(n - 1);
        let frac = pos - lo as f64;
        *o = (values[lo] as f64 + (values[hi] as f64 - values[lo] as f64) * frac) as f32;
    }
    out
}

/// Where a run folder's model lives.
pub fn path_in(run_dir: &Path) -> PathBuf {
    run_dir.join(DIR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_as_numpy_does() {
        // numpy.percentile([4, 1, 3, 2], [0, 5, 50, 100]) = [1, 1.15, 2.5, 4]
        let q = percentiles(&mut [4.0, 1.0, 3.0, 2.0]);
        assert_eq!(q[0], 1.0);
        assert!((q[5] - 1.15).abs() < 1e-6, "{}", q[5]);
        assert_eq!(q[50], 2.5);
        assert_eq!(q[100], 4.0);
        assert_eq!(percentiles(&mut [])[50], 0.0);
        assert_eq!(percentiles(&mut [0.7])[3], 0.7);
    }

    #[test]
    fn npy_headers_declare_their_shape() {
        let mut bytes = Vec::new();
        Array2::<f32>::zeros((3, 2)).write_npy(&mut bytes).unwrap();
        assert_eq!(npy_header_shape(&bytes), Some(vec![3, 2]));
        let mut one = Vec::new();
        Array1::<u32>::zeros(5).write_npy(&mut one).unwrap();
        assert_eq!(npy_header_shape(&one), Some(vec![5]));
        assert_eq!(npy_header_shape(b"\x93NUMPY"), None);
        assert_eq!(npy_header_shape(b"not numpy at all"), None);
        // A header claiming a huge shape is read as such (and then refused by its caller).
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 100), }";
        let mut huge = b"\x93NUMPY\x01\x00".to_vec();
        huge.extend((dict.len() as u16).to_le_bytes());
        huge.extend(dict.as_bytes());
        assert_eq!(npy_header_shape(&huge), Some(vec![1_000_000_000_000, 100]));
    }
}
