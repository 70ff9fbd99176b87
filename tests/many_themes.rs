//! A run with many themes: every chart stays within the canvas cap, and the run finishes.

mod common;

use std::io::Write;

use common::{run_json, run_ok};

/// The largest PNG canvas a chart may have, in pixels; the issue asks for at most 2^28.
const CAP: u64 = themata::chart::MAX_CANVAS_PIXELS as u64;

#[test]
fn run_with_1300_themes_draws_every_png_within_the_canvas_cap() {
    let dir = tempfile::tempdir().unwrap();
    // 1,400 short documents over 3,000 made-up words: enough units for k = 1,300.
    let input = dir.path().join("many.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
    let mut state: u64 = 7;
    for i in 0..1400 {
        let words: Vec<String> = (0..20)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                format!("w{}", (state >> 33) % 3000)
            })
            .collect();
        writeln!(f, "{{\"id\":\"d{i}\",\"text\":\"{}\"}}", words.join(" ")).unwrap();
    }
    drop(f);
    let out = dir.path().join("out");
    let run = run_ok(
        &out,
        "many",
        &[
            input.to_str().unwrap(),
            "--unit",
            "document",
            "--k",
            "1300",
            "--restarts",
            "1",
            "--dims",
            "20",
            "--charts",
            "png",
        ],
    );
    assert_eq!(run_json(&run)["themes"].as_array().unwrap().len(), 1300);
    const { assert!(CAP <= 1 << 28) };
    let mut pngs = 0;
    for entry in std::fs::read_dir(run.join("charts")).unwrap() {
        let path = entry.unwrap().path();
        let decoder = png::Decoder::new(std::fs::File::open(&path).unwrap());
        let info = decoder.read_info().unwrap();
        let (w, h) = (info.info().width as u64, info.info().height as u64);
        assert!(w * h <= CAP, "{}: {w} × {h} px", path.display());
        pngs += 1;
    }
    // Every chart is drawn, or skipped with a warning naming it in run.json.
    let warnings = run_json(&run)["warnings"].to_string();
    let skipped = themata::chart::CHART_NAMES
        .iter()
        .filter(|n| **n != "k_selection" && !run.join(format!("charts/{n}.png")).exists())
        .collect::<Vec<_>>();
    for name in &skipped {
        assert!(
            warnings.contains(*name),
            "{name} neither drawn nor named: {warnings}"
        );
    }
    assert_eq!(pngs + skipped.len(), themata::chart::CHART_NAMES.len() - 1);
}
