//! Draws every chart (PNG and SVG) of a `run.json` into a folder and prints how long it took.
//!
//! `cargo run --release --example draw_charts -- RUN_JSON OUT_DIR`

use std::path::PathBuf;
use std::time::Instant;

use themata::chart::{ChartFormat, draw_all};
use themata::report::RunReport;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(input), Some(out)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: draw_charts RUN_JSON OUT_DIR");
    };
    let report: RunReport = serde_json::from_str(&std::fs::read_to_string(&input)?)?;
    let out = PathBuf::from(out);
    let start = Instant::now();
    let drawn = draw_all(&report, &out, &[ChartFormat::Png, ChartFormat::Svg])?;
    let charts = start.elapsed();
    for skipped in &drawn.skipped {
        eprintln!("warning: {skipped}");
    }
    let start = Instant::now();
    let html = themata::report::html::render(&report, &out)?;
    let page = start.elapsed();
    std::fs::write(out.join("report.html"), html)?;
    println!(
        "draw_all: {} files in {:.3} s; html: {:.3} s",
        drawn.written.len(),
        charts.as_secs_f64(),
        page.as_secs_f64()
    );
    Ok(())
}
