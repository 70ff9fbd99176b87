//! Signed feature hashing, the column assignment of scikit-learn's `HashingVectorizer`.
//!
//! A term goes in (its UTF-8 bytes), a column in `0..n_features` and a sign come out. scikit-learn
//! hashes with MurmurHash3 (x86, 32-bit) seeded with 0, reads the hash as a signed 32-bit integer
//! `h`, takes the column `|h| mod n` and the sign `+1` when `h ≥ 0` (`alternate_sign=True`).
//! Reproducing that bit for bit lets a themata matrix be compared with scikit-learn's directly.

/// MurmurHash3 x86 32-bit of `data` with `seed`, as `sklearn.utils.murmurhash3_32(.., positive=True)`.
pub fn murmur3_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h = seed;
    let mut blocks = data.chunks_exact(4);
    for b in &mut blocks {
        let mut k = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let mut k = 0u32;
        for (i, &byte) in tail.iter().enumerate() {
            k |= u32::from(byte) << (8 * i);
        }
        h ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    }
    // The length is mixed in modulo 2^32, as the reference implementation does.
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// The column (`< n_features`) and sign scikit-learn's `FeatureHasher` gives `term`.
///
/// `n_features` must be in `1..=i32::MAX` (checked by `TfidfParams::check`).
pub fn column_and_sign(term: &str, n_features: usize) -> (u32, f64) {
    let h = murmur3_32(term.as_bytes(), 0) as i32;
    let n = n_features as i64;
    let index = if h == i32::MIN {
        // |i32::MIN| overflows in C; scikit-learn defines it as (2^31 - 1 - (n - 1)) mod n, i.e.
        // 2^31 mod n, which is what the unbounded arithmetic below gives too.
        (i64::from(i32::MAX) - (n - 1)).rem_euclid(n)
    } else {
        i64::from(h).abs() % n
    };
    let sign = if h >= 0 { 1.0 } else { -1.0 };
    (index as u32, sign)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur3_matches_scikit_learn_values() {
        // sklearn.utils.murmurhash3_32(s, seed=0) for these strings (signed results).
        assert_eq!(murmur3_32(b"", 0) as i32, 0);
        assert_eq!(murmur3_32(b"foo", 0) as i32, -156908512);
        assert_eq!(murmur3_32(b"hello world", 0) as i32, 1586663183);
        assert_eq!(murmur3_32("café".as_bytes(), 0) as i32, 605818632);
    }

    #[test]
    fn column_is_abs_hash_mod_n_and_sign_follows_hash() {
        let (c, s) = column_and_sign("foo", 1 << 20);
        assert_eq!(c, (156908512 % (1 << 20)) as u32);
        assert_eq!(s, -1.0);
        let (c, s) = column_and_sign("hello world", 1000);
        assert_eq!(c, 1586663183 % 1000);
        assert_eq!(s, 1.0);
    }
}
