//! The spoken version of a text challenge: its characters read out one by one, at a random
//! pace, pitch and loudness, over a babble of other characters played backwards and a soft
//! hiss, as an 8 kHz mono WAV.
//!
//! The voice is a set of clips made once, offline, with a speech synthesiser
//! (`assets/audio/`, made by `scripts/record-audio`; their licence is in
//! `assets/audio/README.md`): a letter is said with a word that starts with it ("C.
//! Charlie."), a digit as its word. Nothing is fetched or synthesised at run time.

use std::sync::LazyLock;

use rand::{Rng, RngCore};

use super::DrawError;

/// Samples per second, of the clips and of the result.
const RATE: usize = 8000;

macro_rules! clips {
    ($($c:literal),* $(,)?) => {
        [$(($c, include_bytes!(concat!("../../assets/audio/", $c, ".wav")).as_slice())),*]
    };
}

/// The clips as committed: μ-law WAV files, one per character.
const FILES: [(&str, &[u8]); 36] = clips!(
    "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S",
    "T", "U", "V", "W", "X", "Y", "Z", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
);

/// The clips decoded, in the order of [`FILES`], as samples in -1.0..=1.0.
static CLIPS: LazyLock<Vec<Vec<f32>>> =
    LazyLock::new(|| FILES.iter().map(|(_, wav)| mu_law_pcm(wav)).collect());

/// The clips played backwards, for the babble.
static BACKWARDS: LazyLock<Vec<Vec<f32>>> = LazyLock::new(|| {
    CLIPS
        .iter()
        .map(|clip| clip.iter().rev().copied().collect())
        .collect()
});

fn clip_of(c: char) -> Option<&'static [f32]> {
    let upper = c.to_ascii_uppercase();
    let i = FILES
        .iter()
        .position(|(name, _)| name.chars().eq(std::iter::once(upper)))?;
    Some(&CLIPS[i])
}

/// `text` spoken, as a WAV file (8 kHz, mono, 8-bit).
pub(crate) fn speak(text: &str, rng: &mut dyn RngCore) -> Result<Vec<u8>, DrawError> {
    speak_over(text, rng, true)
}

/// `text` spoken, over the babble and hiss when `noise`; without them, the voice is the same
/// as with them for the same `rng` (what a measure of how well people hear it compares with).
pub(crate) fn speak_over(
    text: &str,
    rng: &mut dyn RngCore,
    noise: bool,
) -> Result<Vec<u8>, DrawError> {
    let mut voice = Vec::new();
    silence(&mut voice, rng.random_range(0.5..0.8));
    for c in text.chars() {
        let clip = clip_of(c).ok_or_else(|| DrawError(format!("no voice for {c:?}")))?;
        let speed = rng.random_range(0.9..1.1);
        let gain = rng.random_range(0.8..1.0);
        voice.extend(resampled(clip, speed).map(|s| s * gain));
        silence(&mut voice, rng.random_range(0.45..0.85));
    }
    silence(&mut voice, 0.3);
    let mut mix = voice;
    if noise {
        for _ in 0..4 {
            babble(&mut mix, rng);
        }
        hiss(&mut mix, rng);
    }
    Ok(wav(&mix))
}

fn silence(out: &mut Vec<f32>, seconds: f64) {
    out.resize(out.len() + (seconds * RATE as f64) as usize, 0.0);
}

/// `clip` played `speed` times as fast (its pitch moves with it), by linear interpolation.
fn resampled(clip: &[f32], speed: f64) -> impl Iterator<Item = f32> + '_ {
    let len = ((clip.len() as f64) / speed) as usize;
    (0..len).map(move |i| {
        let at = i as f64 * speed;
        let j = at as usize;
        let frac = (at - j as f64) as f32;
        let a = clip.get(j).copied().unwrap_or(0.0);
        let b = clip.get(j + 1).copied().unwrap_or(a);
        a + (b - a) * frac
    })
}

/// Adds, over the whole of `mix`, other characters played backwards, quieter than the
/// voice: speech-like sound that a listener hears past but that fills the pauses a machine
/// would cut the voice at.
fn babble(mix: &mut [f32], rng: &mut dyn RngCore) {
    let mut at = rng.random_range(0..RATE / 2);
    while at < mix.len() {
        let reversed = &BACKWARDS[rng.random_range(0..BACKWARDS.len())];
        let speed = rng.random_range(0.8..1.25);
        let gain = rng.random_range(0.14..0.24);
        let mut written = 0;
        for (slot, s) in mix[at..].iter_mut().zip(resampled(reversed, speed)) {
            *slot += s * gain;
            written += 1;
        }
        at += written + rng.random_range(0..RATE / 5);
    }
}

/// Adds a soft, low-passed noise under everything (white noise from a xorshift generator
/// seeded by `rng`: a hiss needs no cryptographic quality, and a CSPRNG call per sample
/// would cost more than the rest of the clip).
fn hiss(mix: &mut [f32], rng: &mut dyn RngCore) {
    let mut state = rng.next_u64() | 1;
    let mut low = 0.0f32;
    for s in mix {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let white = (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0;
        low += 0.35 * (white - low);
        *s += low * 0.08;
    }
}

/// `samples` as an 8 kHz mono 8-bit PCM WAV file, scaled so that the loudest is just
/// below full scale.
fn wav(samples: &[f32]) -> Vec<u8> {
    let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs())).max(1e-6);
    let scale = 0.95 / peak;
    let data_len = u32::try_from(samples.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(44 + samples.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&(RATE as u32).to_le_bytes());
    out.extend_from_slice(&(RATE as u32).to_le_bytes()); // bytes per second
    out.extend_from_slice(&1u16.to_le_bytes()); // bytes per frame
    out.extend_from_slice(&8u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.extend(
        samples
            .iter()
            .map(|s| ((s * scale).clamp(-1.0, 1.0) * 127.0 + 128.0).round() as u8),
    );
    out
}

/// The samples of a μ-law WAV file's `data` chunk (empty if it has none).
fn mu_law_pcm(wav: &[u8]) -> Vec<f32> {
    let mut rest = wav.get(12..).unwrap_or_default();
    while rest.len() >= 8 {
        let (id, len) = rest.split_at(4);
        let size = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let body = &rest[8..];
        if id == b"data" {
            return body[..size.min(body.len())]
                .iter()
                .map(|&b| f32::from(mu_law(b)) / 32768.0)
                .collect();
        }
        // Chunks are padded to an even length.
        rest = body.get(size + (size & 1)..).unwrap_or_default();
    }
    Vec::new()
}

/// One G.711 μ-law byte as a 16-bit sample.
fn mu_law(byte: u8) -> i16 {
    let u = !byte;
    let exponent = (u >> 4) & 0x07;
    let mantissa = i16::from(u & 0x0f);
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    if u & 0x80 != 0 { -magnitude } else { magnitude }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_character_has_a_clip_of_speech() {
        for (name, _) in FILES {
            let c = name.chars().next().unwrap();
            let clip = clip_of(c).unwrap();
            // Between a quarter of a second and three seconds, and not silent.
            assert!(
                (RATE / 4..3 * RATE).contains(&clip.len()),
                "{name}: {} samples",
                clip.len()
            );
            let peak = clip.iter().fold(0.0f32, |m, s| m.max(s.abs()));
            assert!(peak > 0.5, "{name}: peak {peak}");
        }
        let speaks = |c| clip_of(c).is_some();
        assert!(speaks('k') && speaks('7') && !speaks('-') && !speaks('山'));
    }

    #[test]
    fn mu_law_decodes_the_g711_table() {
        assert_eq!(mu_law(0xff), 0);
        assert_eq!(mu_law(0x7f), 0);
        assert_eq!(mu_law(0x80), 32124);
        assert_eq!(mu_law(0x00), -32124);
        assert_eq!(mu_law(0xf0), 120);
        assert_eq!(mu_law(0x70), -120);
    }

    #[test]
    fn a_spoken_answer_is_a_wav_as_long_as_its_characters() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let short = speak("CE", &mut rng).unwrap();
        let long = speak("CEKM39", &mut rng).unwrap();
        for w in [&short, &long] {
            assert_eq!(&w[..4], b"RIFF");
            assert_eq!(&w[8..16], b"WAVEfmt ");
            let data = u32::from_le_bytes([w[40], w[41], w[42], w[43]]) as usize;
            assert_eq!(data + 44, w.len());
            assert_eq!(
                u32::from_le_bytes([w[4], w[5], w[6], w[7]]) as usize,
                w.len() - 8
            );
        }
        let seconds = |w: &Vec<u8>| (w.len() - 44) as f64 / RATE as f64;
        // Each character adds a clip and a pause: about a second and a half.
        assert!(
            seconds(&long) - seconds(&short) > 4.0 * 1.0,
            "{} {}",
            seconds(&short),
            seconds(&long)
        );
        assert!(seconds(&long) < 16.0);
        assert!(speak("C-", &mut rng).is_err());
    }

    #[test]
    fn the_same_seed_speaks_the_same_clip() {
        let clip = |seed| speak("K3", &mut rand::rngs::StdRng::seed_from_u64(seed)).unwrap();
        assert_eq!(clip(1), clip(1));
        assert_ne!(clip(1), clip(2));
    }
}
