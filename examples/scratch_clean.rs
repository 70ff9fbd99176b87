fn main() {
    let c = themata::ingest::load_in_memory(&themata::ingest::embedded_seeds(), &Default::default(), &Default::default()).unwrap();
    let units = themata::units::split(&c, &Default::default()).unwrap();
    for a in &c.articles { println!("=== {} | title={:?}\n{}\n", a.id, a.title, a.text); }
    println!("dropped {} units {}", c.dropped_lines, units.len());
    for (u, t) in units.units.iter().zip(units.texts(&c)) { println!("[{} {}] {}", u.article, u.ordinal, &t[..t.len().min(90)].replace('\n', " / ")); }
}
