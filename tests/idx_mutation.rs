//! Hostile input for the IDX reader, in the normal test suite: tens of thousands of mutated
//! valid files (raw and gzip) and random byte strings, generated from fixed seeds so that a
//! failure reproduces. For each input the reader must return `Ok` or a typed `IdxError`, never
//! panic, and never make a single allocation larger than the input can justify. The allocations
//! are watched by a counting global allocator that records the largest single request while a
//! parse is running (this test binary only).
//!
//! The same generator writes the fuzzer's seed corpus (`fuzz/corpus/parse_idx/seed-*`): run
//! `KD_MLP_WRITE_FUZZ_SEEDS=1 cargo test --release --test idx_mutation` to rewrite it; without
//! the variable, a test checks that the committed seeds are the generator's. See
//! docs/FUZZING.md.

use kd_mlp::data::idx::{encode_idx, gzip, parse_idx, IdxArray, IdxData, IdxErrorKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The system allocator, recording the largest single request made while `ARMED`.
struct Counting;

static ARMED: AtomicBool = AtomicBool::new(false);
static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

fn note(size: usize) {
    if ARMED.load(Ordering::Relaxed) {
        LARGEST.fetch_max(size, Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The measurement is process-wide: the tests of this file that parse take turns.
static TURN: Mutex<()> = Mutex::new(());

/// The most one parse of an `n`-byte input may ask for at once. A raw file's data is at most
/// `n` bytes, decoded into as many bytes of elements; a gzip stream inflates to at most 1032
/// times its length (the deflate bound the reader uses), and a growing buffer may double once
/// past that. On top: the decoder's own state (a 32 KiB window, its tables and the reader's
/// buffer), allowed as a flat 256 KiB.
fn allocation_bound(n: usize) -> usize {
    2 * (1032 * n + 2048) + (256 << 10)
}

#[derive(Default, Debug)]
struct Tally {
    cases: usize,
    ok: usize,
    errors: usize,
    largest_allocation: usize,
}

impl Tally {
    /// Parses `bytes` and checks everything this file promises about it.
    fn check(&mut self, bytes: &[u8], what: &str) {
        LARGEST.store(0, Ordering::SeqCst);
        ARMED.store(true, Ordering::SeqCst);
        let outcome = std::panic::catch_unwind(|| parse_idx(bytes, "mutated"));
        ARMED.store(false, Ordering::SeqCst);
        let largest = LARGEST.load(Ordering::SeqCst);
        let shown = hex(bytes);
        let result = match outcome {
            Ok(result) => result,
            Err(_) => panic!("parse_idx panicked on {what}: {shown}"),
        };
        self.cases += 1;
        self.largest_allocation = self.largest_allocation.max(largest);
        assert!(
            largest <= allocation_bound(bytes.len()),
            "{what}: one allocation of {largest} bytes for a {}-byte input (bound {}): {shown}",
            bytes.len(),
            allocation_bound(bytes.len())
        );
        match result {
            Ok(array) => {
                self.ok += 1;
                let count: usize = array.dims.iter().product();
                assert_eq!(count, array.data.len(), "{what}: dims and data disagree");
                assert!(array.dims.iter().all(|&d| d > 0), "{what}: a zero dim");
            }
            Err(e) => {
                self.errors += 1;
                assert_eq!(e.name, "mutated");
                assert!(!e.to_string().is_empty());
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    let shown: String = bytes.iter().take(64).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > 64 {
        format!("{shown}... ({} bytes)", bytes.len())
    } else {
        shown
    }
}

/// Small valid files of every element type and of the MNIST shapes (images, labels).
fn valid_arrays() -> Vec<(&'static str, IdxArray)> {
    let images: Vec<u8> = (0..3 * 6 * 5).map(|i| (i * 37 % 256) as u8).collect();
    vec![
        (
            "images-u8",
            IdxArray {
                dims: vec![3, 6, 5],
                data: IdxData::U8(images),
            },
        ),
        (
            "labels-u8",
            IdxArray {
                dims: vec![7],
                data: IdxData::U8(vec![0, 1, 2, 3, 9, 5, 7]),
            },
        ),
        (
            "i8",
            IdxArray {
                dims: vec![2, 2],
                data: IdxData::I8(vec![-128, -1, 0, 127]),
            },
        ),
        (
            "i16",
            IdxArray {
                dims: vec![3],
                data: IdxData::I16(vec![i16::MIN, 258, i16::MAX]),
            },
        ),
        (
            "i32",
            IdxArray {
                dims: vec![1, 2],
                data: IdxData::I32(vec![i32::MIN, 0x0102_0304]),
            },
        ),
        (
            "f32",
            IdxArray {
                dims: vec![2, 1, 2],
                data: IdxData::F32(vec![0.5, -1.5, f32::MAX, f32::MIN_POSITIVE]),
            },
        ),
        (
            "f64",
            IdxArray {
                dims: vec![2],
                data: IdxData::F64(vec![std::f64::consts::E, -0.0]),
            },
        ),
    ]
}

/// Values that make headers interesting: zero, one, powers of two, the largest.
const DIM_VALUES: [u32; 10] = [
    0,
    1,
    2,
    255,
    256,
    65_535,
    65_536,
    0x7fff_ffff,
    0x8000_0000,
    u32::MAX,
];

/// One random edit of `bytes`, of the kinds a damaged download or a hostile file shows.
fn mutate(rng: &mut ChaCha8Rng, bytes: &mut Vec<u8>) {
    match rng.gen_range(0..9) {
        // Flip a bit.
        0 if !bytes.is_empty() => {
            let at = rng.gen_range(0..bytes.len());
            bytes[at] ^= 1 << rng.gen_range(0..8);
        }
        // Set a byte.
        1 if !bytes.is_empty() => {
            let at = rng.gen_range(0..bytes.len());
            bytes[at] = rng.gen();
        }
        // Cut the end off.
        2 => {
            let at = rng.gen_range(0..=bytes.len());
            bytes.truncate(at);
        }
        // Append bytes.
        3 => {
            let extra = rng.gen_range(1..16);
            bytes.extend((0..extra).map(|_| rng.gen::<u8>()));
        }
        // Delete a range.
        4 if !bytes.is_empty() => {
            let start = rng.gen_range(0..bytes.len());
            let end = rng.gen_range(start..=bytes.len().min(start + 8));
            bytes.drain(start..end);
        }
        // Insert bytes in the middle.
        5 => {
            let at = rng.gen_range(0..=bytes.len());
            let extra: Vec<u8> = (0..rng.gen_range(1..8)).map(|_| rng.gen()).collect();
            bytes.splice(at..at, extra);
        }
        // Replace a dimension with a large or special value.
        6 if bytes.len() >= 8 => {
            let ndims = usize::from(bytes[3]).max(1);
            let axis = rng.gen_range(0..ndims);
            let at = 4 + 4 * axis;
            if at + 4 <= bytes.len() {
                let value = DIM_VALUES[rng.gen_range(0..DIM_VALUES.len())];
                bytes[at..at + 4].copy_from_slice(&value.to_be_bytes());
            }
        }
        // Change the element type or the number of dimensions.
        7 if bytes.len() >= 4 => {
            let at = rng.gen_range(2..4);
            bytes[at] = match rng.gen_range(0..3) {
                0 => [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E][rng.gen_range(0..6)],
                1 => rng.gen_range(0..6),
                _ => rng.gen(),
            };
        }
        // Duplicate the whole input (a second copy after the first).
        _ => {
            let copy = bytes.clone();
            bytes.extend_from_slice(&copy);
        }
    }
}

#[test]
fn mutated_and_random_inputs_return_ok_or_a_typed_error_within_the_allocation_bound() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let started = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(0x1d_f022);
    let mut tally = Tally::default();
    let originals: Vec<(String, Vec<u8>)> = valid_arrays()
        .into_iter()
        .map(|(name, array)| (name.to_string(), encode_idx(&array)))
        .collect();
    for (name, raw) in &originals {
        tally.check(raw, name);
        tally.check(&gzip(raw), name);
    }
    for round in 0..2_000 {
        for (name, raw) in &originals {
            // One to four edits of the raw file, parsed as it is and behind a valid gzip frame.
            let mut bytes = raw.clone();
            for _ in 0..rng.gen_range(1..=4) {
                mutate(&mut rng, &mut bytes);
            }
            tally.check(&bytes, &format!("{name} mutated (round {round})"));
            tally.check(
                &gzip(&bytes),
                &format!("{name} mutated, gzip (round {round})"),
            );
            // Edits of the compressed bytes themselves: a damaged .gz download.
            if round % 2 == 0 {
                let mut gz = gzip(raw);
                for _ in 0..rng.gen_range(1..=3) {
                    mutate(&mut rng, &mut gz);
                }
                tally.check(&gz, &format!("{name}.gz damaged (round {round})"));
            }
        }
    }
    // Random byte strings: plain noise, and noise behind an IDX or a gzip magic number.
    for i in 0..6_000 {
        let len = rng.gen_range(0..300);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        match i % 3 {
            0 => {}
            1 if len >= 4 => {
                bytes[..2].copy_from_slice(&[0, 0]);
                bytes[2] = [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E][rng.gen_range(0..6)];
                bytes[3] = rng.gen_range(1..4);
            }
            _ if len >= 2 => bytes[..2].copy_from_slice(&[0x1f, 0x8b]),
            _ => {}
        }
        tally.check(&bytes, &format!("random {i}"));
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} cases ({} ok, {} typed errors) in {seconds:.2} s; largest single allocation during a parse: {} bytes",
        tally.cases, tally.ok, tally.errors, tally.largest_allocation
    );
    assert!(tally.cases >= 10_000, "only {} cases", tally.cases);
    assert!(tally.ok > 0 && tally.errors > 0, "{tally:?}");
}

#[test]
fn a_huge_claim_in_a_tiny_file_is_refused_before_any_allocation() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let mut tally = Tally::default();
    // 2^32 images of 1x1 in a 100-byte file, raw and gzip, and 2^48 elements over three dims.
    for dims in [vec![u32::MAX, 1, 1], vec![65_536, 65_536, 65_536]] {
        let mut bytes = vec![0, 0, 0x08, dims.len() as u8];
        for d in &dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.resize(100, 7);
        tally.check(&bytes, "huge claim, raw");
        tally.check(&gzip(&bytes), "huge claim, gzip");
        let kind = parse_idx(&bytes, "t").unwrap_err().kind;
        assert!(
            matches!(kind, IdxErrorKind::Truncated { found: 100, .. }),
            "{kind:?}"
        );
        let kind = parse_idx(&gzip(&bytes), "t").unwrap_err().kind;
        assert!(
            matches!(kind, IdxErrorKind::TooLargeForInput { .. }),
            "{kind:?}"
        );
    }
    // Far below the bound in fact: the dims and the error message, nothing near the claim.
    assert!(
        tally.largest_allocation < 64 << 10,
        "{}",
        tally.largest_allocation
    );
}

#[test]
fn a_gzip_bomb_is_not_inflated_past_its_claim() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    // A header claiming 16 bytes, then 64 MiB of zeros: about 64 KiB once compressed.
    let mut raw = vec![0, 0, 0x08, 1, 0, 0, 0, 16];
    raw.resize(8 + 16 + (64 << 20), 0);
    let gz = gzip(&raw);
    drop(raw);
    let mut tally = Tally::default();
    tally.check(&gz, "gzip bomb");
    assert_eq!(tally.errors, 1);
    // The decoder's buffers only: nowhere near the 64 MiB the stream holds.
    assert!(
        tally.largest_allocation < 1 << 20,
        "{}",
        tally.largest_allocation
    );
}

/// The fuzzer's seed corpus: every valid array, raw and gzip.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, array) in valid_arrays() {
        let raw = encode_idx(&array);
        out.push((format!("seed-{name}.idx"), raw.clone()));
        out.push((format!("seed-{name}.idx.gz"), gzip(&raw)));
    }
    out
}

#[test]
fn the_fuzz_seed_corpus_is_the_generators() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/parse_idx");
    if std::env::var_os("KD_MLP_WRITE_FUZZ_SEEDS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in seeds() {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
    for (name, bytes) in seeds() {
        assert!(bytes.len() < 512, "{name} is not small");
        let on_disk = std::fs::read(dir.join(&name)).unwrap_or_else(|e| {
            panic!("{name}: {e}; KD_MLP_WRITE_FUZZ_SEEDS=1 writes the seed corpus")
        });
        assert_eq!(on_disk, bytes, "{name} differs from the generator's");
        assert!(parse_idx(&on_disk, &name).is_ok(), "{name} is not valid");
    }
}
