//! A cheap, deterministic fuzz: thousands of mutations of a real Ofsted file
//! and random strings through every parser that runs in-process. None may
//! panic; every problem must come back as an error value.

use importers::Limits;
use importers::ofsted;
use importers::sheet::{self, Format};
use importers::vocab::{EventType, Judgement, Postcode, ProvisionType, Urn};

/// xorshift64*: no dependency, same sequence every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const NASTY: &[&[u8]] = &[
    b",",
    b"\"",
    b"\n",
    b"\r\n",
    b"\0",
    b"\xff\xfe",
    b"REDACTED",
    b"NULL",
    b"=1+1",
    b"SC",
    b"31/02/2023",
    b"Requires improvement to be good",
    b"\xe2\x80\x93",
    b"9999999999999999999999",
    b"-1",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(8) {
        if out.is_empty() {
            break;
        }
        let at = rng.below(out.len());
        match rng.below(5) {
            0 => out[at] = rng.next() as u8,
            1 => {
                let piece = NASTY[rng.below(NASTY.len())];
                out.splice(at..at, piece.iter().copied());
            }
            2 => {
                let end = (at + rng.below(200)).min(out.len());
                out.drain(at..end);
            }
            3 => out.truncate(at),
            _ => {
                let end = (at + rng.below(400)).min(out.len());
                let copy = out[at..end].to_vec();
                let to = rng.below(out.len());
                out.splice(to..to, copy);
            }
        }
    }
    out
}

#[test]
fn mutated_ofsted_csv_never_panics() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/demo/ofsted/inspections_2023_24.csv"
    );
    let original = std::fs::read(path).expect("demo extract");
    let limits = Limits::default();
    let mut rng = Rng(0x5eed_2026);
    for _ in 0..3_000 {
        let input = mutate(&mut rng, &original);
        if let Ok(file) = ofsted::parse(&input, Format::Csv, &limits) {
            let last_row = input.iter().filter(|&&b| b == b'\n' || b == b'\r').count() + 1;
            for e in &file.errors {
                assert!(
                    e.row >= 1 && e.row <= last_row,
                    "row {} of {last_row}",
                    e.row
                );
            }
        }
    }
}

#[test]
fn random_bytes_never_panic_the_text_parsers() {
    let mut rng = Rng(42);
    for _ in 0..20_000 {
        let len = rng.below(24);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let text = String::from_utf8_lossy(&bytes);
        let _ = text.parse::<Urn>();
        let _ = text.parse::<Postcode>();
        let _ = ProvisionType::parse_loose(&text);
        let _ = EventType::parse_loose(&text);
        let _ = Judgement::parse_loose(&text);
        let _ = Format::detect(&format!("{text}.xlsx"), &bytes);
        let _ = sheet::read(&bytes, Format::Csv, &Limits::default());
    }
}
