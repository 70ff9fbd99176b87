//! Fuzzes config parsing and validation: any text is either a valid config or an error.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(cfg) = themata::config::Config::from_toml_str(text, "fuzz.toml") {
            // A config that loads must survive a round trip through its own TOML.
            let again = cfg.to_toml().expect("a valid config serialises");
            themata::config::Config::from_toml_str(&again, "round-trip.toml")
                .expect("a serialised config loads again");
        }
    }
});
