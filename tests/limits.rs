//! Bounds on what a run reads, driven through the binary: a compressed input that inflates past
//! `ingest.max_decompressed_bytes`, a CSV record that never ends, and config values that would
//! ask for more memory than a machine has are each refused with exit code 2 and one line naming
//! the file (and record) or the key, and what to do about it.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Output;

use common::{fails, themata};

/// `themata run ARGS --out DIR/out --charts none -q`.
fn run(dir: &Path, args: &[&str]) -> Output {
    let out = dir.join("out");
    themata()
        .env_remove("RUST_BACKTRACE")
        .arg("run")
        .args(args)
        .args(["--out", out.to_str().unwrap(), "--charts", "none", "-q"])
        .output()
        .unwrap()
}

fn write_config(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn gz_input_past_max_decompressed_bytes_is_refused_naming_file_and_key() {
    let d = tempfile::tempdir().unwrap();
    // 4 MiB of ordinary records: readable, but over a 1 MiB cap.
    let p = d.path().join("news.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&p).unwrap(),
        flate2::Compression::fast(),
    );
    let record = b"{\"text\": \"Bees visit the clover in the orchard every morning.\"}\n";
    for _ in 0..(4 << 20) / record.len() {
        gz.write_all(record).unwrap();
    }
    gz.finish().unwrap();
    let cfg = write_config(
        d.path(),
        "small.toml",
        "[ingest]\nmax_decompressed_bytes = 1048576\n",
    );
    let o = run(d.path(), &[p.to_str().unwrap(), "--config", &cfg]);
    fails(
        &o,
        2,
        &[
            "news.jsonl.gz: decompresses to more than 1.0 MiB",
            "ingest.max_decompressed_bytes = 1048576",
            "raise that key",
        ],
    );
}

#[test]
fn gz_inputs_share_one_budget_so_many_small_ones_cannot_add_up() {
    let d = tempfile::tempdir().unwrap();
    // Four files of 100 records, each well within a 300 KiB cap on its own (100 x (60 bytes +
    // 2 KiB per record) = 211 KiB), over it together: a folder of small bombs is refused too.
    let folder = d.path().join("in");
    std::fs::create_dir(&folder).unwrap();
    let texts = [
        "Bees visit the clover in the orchard every morning.",
        "Trains leave the station on time as the signal turns green.",
    ];
    for f in 0..4 {
        let file = std::fs::File::create(folder.join(format!("part{f}.jsonl.gz"))).unwrap();
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        for i in 0..100 {
            writeln!(gz, "{{\"text\": \"{}\"}}", texts[i % 2]).unwrap();
        }
        gz.finish().unwrap();
    }
    let cfg = write_config(
        d.path(),
        "cap.toml",
        "[ingest]\nmax_decompressed_bytes = 307200\n",
    );
    let one = folder.join("part0.jsonl.gz");
    let o = run(
        d.path(),
        &[one.to_str().unwrap(), "--config", &cfg, "--k", "2"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(d.path(), &[folder.to_str().unwrap(), "--config", &cfg]);
    fails(
        &o,
        2,
        &["part1.jsonl.gz: decompresses to more than 300.0 KiB"],
    );
}

#[test]
fn gzip_bomb_past_the_default_cap_is_refused() {
    let d = tempfile::tempdir().unwrap();
    // 65 gzip members of 64 MiB of zeros each: about 4 MB on disk, 4.06 GiB inflated, just past
    // the default cap of 4 GiB. One member is compressed and written 65 times (a multi-member
    // file is one stream to gzip -d and to themata), which is quicker than deflating 4 GiB.
    let mut member = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    member.write_all(&vec![0u8; 64 << 20]).unwrap();
    let member = member.finish().unwrap();
    let p = d.path().join("bomb.jsonl.gz");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    for _ in 0..65 {
        f.write_all(&member).unwrap();
    }
    f.into_inner().unwrap().sync_all().unwrap();
    assert!(std::fs::metadata(&p).unwrap().len() < 8 << 20);
    let o = run(d.path(), &[p.to_str().unwrap()]);
    fails(
        &o,
        2,
        &[
            "bomb.jsonl.gz: decompresses to more than 4.0 GiB",
            "ingest.max_decompressed_bytes = 4294967296",
        ],
    );
}

#[test]
fn csv_with_an_unterminated_quote_is_refused_while_reading() {
    let d = tempfile::tempdir().unwrap();
    // Two good rows, then a quote that never closes and 80 MiB more: the third row would be the
    // rest of the file, past the 64 MiB cap for one article.
    let p = d.path().join("open_quote.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    f.write_all(b"id,text\n1,Bees visit the clover.\n2,\"Trains, on time.\"\n3,\"")
        .unwrap();
    let chunk = "honey bees and clover\n".repeat((1 << 20) / 22);
    for _ in 0..80 {
        f.write_all(chunk.as_bytes()).unwrap();
    }
    f.into_inner().unwrap().sync_all().unwrap();
    let needles = [
        "open_quote.csv: row 3 (line 4): the record runs on past the 64 MiB limit",
        "unterminated quote",
    ];
    fails(&run(d.path(), &[p.to_str().unwrap()]), 2, &needles);
    // Nothing after such a record can be read, so it is not skipped either.
    fails(
        &run(d.path(), &[p.to_str().unwrap(), "--skip-bad-records"]),
        2,
        &needles,
    );
}

#[test]
fn config_asking_for_unbounded_memory_names_the_key_and_range() {
    let d = tempfile::tempdir().unwrap();
    for (name, body, needles) in [
        (
            "hashing.toml",
            "[vectorize]\nhashing = 16777217\nsublinear_tf = false\n",
            &[
                "hashing.toml",
                "`vectorize.hashing`",
                "allowed range 1..=16777216",
            ][..],
        ),
        (
            "ngram.toml",
            "[vectorize]\nngram_range = [1, 9]\n",
            &["ngram.toml", "`vectorize.ngram_range`", "allowed are 1..=8"][..],
        ),
        (
            "window.toml",
            "[units]\nwindow_sentences = 101\n",
            &["window.toml", "units.window_sentences", "between 1 and 100"][..],
        ),
    ] {
        let cfg = write_config(d.path(), name, body);
        fails(&run(d.path(), &["--config", &cfg]), 2, needles);
    }
    // A flag is held to the same range.
    let o = themata()
        .args(["vectorize", "seeds", "--hashing", "16777217", "--out"])
        .arg(d.path().join("flag"))
        .output()
        .unwrap();
    fails(&o, 2, &["`hashing`", "allowed range 1..=16777216"]);
    // The largest allowed values are accepted (`vectorize` stops before the LSA, whose dense
    // matrices would have 2^24 rows).
    let cfg = write_config(d.path(), "max.toml", "[vectorize]\nsublinear_tf = false\n");
    let o = themata()
        .args(["vectorize", "seeds", "--unit", "document", "--config", &cfg])
        .args(["--hashing", "16777216", "--ngram-range", "1,8", "--out"])
        .arg(d.path().join("max"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
