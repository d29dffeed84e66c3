//! An 8-bit palette canvas: pictures are drawn straight into palette indices, so encoding
//! needs no colour-counting pass and the PNG is small.
//!
//! Coverage is rounded to eighths, which keeps the number of distinct colours low. Each
//! [`Pen`] remembers what blending its colour at each eighth over each palette entry gives,
//! so most blends are two table reads. Should a picture ever need more than 256 colours, an
//! extra colour takes the nearest palette entry (a few edge pixels, a shade off).

use image::Rgb;

use super::mix;

const SLOTS: usize = 1024; // half full at most: short probes

pub(crate) struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
    palette: Vec<Rgb<u8>>,
    keys: Box<[u32; SLOTS]>,
    values: Box<[u8; SLOTS]>,
    /// Keys in the table: the palette's colours, then extra colours and their nearest entry.
    used: usize,
}

/// A colour to draw with, and what blending it over each palette entry gave before.
pub(crate) struct Pen {
    colour: Rgb<u8>,
    /// `[entry * 8 + eighth - 1]` → resulting entry, or `u16::MAX` when not yet known.
    memo: Vec<u16>,
}

impl Canvas {
    /// A canvas filled with `background`.
    pub(crate) fn new(width: u32, height: u32, background: Rgb<u8>) -> Self {
        let mut canvas = Self {
            width,
            height,
            pixels: vec![0; (width * height) as usize],
            palette: Vec::with_capacity(256),
            keys: Box::new([0; SLOTS]),
            values: Box::new([0; SLOTS]),
            used: 0,
        };
        canvas.index_of(background);
        canvas
    }

    pub(crate) fn pen(&self, colour: Rgb<u8>) -> Pen {
        Pen {
            colour,
            memo: vec![u16::MAX; 256 * 8],
        }
    }

    /// The palette entry for `colour`, added if new (or the nearest one if the palette is
    /// full).
    fn index_of(&mut self, colour: Rgb<u8>) -> u8 {
        let [r, g, b] = colour.0;
        let key = ((u32::from(r) << 16) | (u32::from(g) << 8) | u32::from(b)) + 1;
        let mut slot = (key.wrapping_mul(0x9E37_79B1) >> 22) as usize % SLOTS;
        loop {
            if self.keys[slot] == key {
                return self.values[slot];
            }
            if self.keys[slot] == 0 {
                let value = match u8::try_from(self.palette.len()) {
                    Ok(next) => {
                        self.palette.push(colour);
                        next
                    }
                    // The palette is full and no longer changes: remember the nearest entry
                    // while the table has room, as a search costs 256 distances.
                    Err(_) if self.used >= SLOTS / 2 => return self.nearest(colour),
                    Err(_) => self.nearest(colour),
                };
                self.keys[slot] = key;
                self.values[slot] = value;
                self.used += 1;
                return value;
            }
            slot = (slot + 1) % SLOTS;
        }
    }

    fn nearest(&self, colour: Rgb<u8>) -> u8 {
        let distance = |c: &Rgb<u8>| {
            c.0.iter()
                .zip(colour.0)
                .map(|(&a, b)| (i32::from(a) - i32::from(b)).pow(2))
                .sum::<i32>()
        };
        let best = (0..self.palette.len()).min_by_key(|&i| distance(&self.palette[i]));
        best.and_then(|i| u8::try_from(i).ok()).unwrap_or(0)
    }

    /// Blends pixel `i` towards `pen`'s colour by coverage `a` (0..=1), rounded to eighths.
    #[inline(always)]
    pub(crate) fn blend(&mut self, i: usize, pen: &mut Pen, a: f32) {
        let eighths = ((a * 8.0 + 0.5) as usize).min(8);
        if eighths == 0 {
            return;
        }
        let Some(&current) = self.pixels.get(i) else {
            return;
        };
        let slot = usize::from(current) * 8 + eighths - 1;
        let entry = match pen.memo.get(slot) {
            Some(&known) if known != u16::MAX => known as u8,
            _ => self.blend_new(current, pen, slot, eighths),
        };
        self.pixels[i] = entry;
    }

    /// The first time `pen` meets palette entry `current` at this coverage.
    #[cold]
    #[inline(never)]
    fn blend_new(&mut self, current: u8, pen: &mut Pen, slot: usize, eighths: usize) -> u8 {
        let mixed = mix(
            self.palette[usize::from(current)],
            pen.colour,
            eighths as f32 / 8.0,
        );
        let entry = self.index_of(mixed);
        if let Some(memo) = pen.memo.get_mut(slot) {
            *memo = u16::from(entry);
        }
        entry
    }

    /// The colour of pixel (`x`, `y`) (the background's, off the canvas).
    pub(crate) fn get(&self, x: u32, y: u32) -> Rgb<u8> {
        let entry = (x < self.width)
            .then(|| self.pixels.get((y * self.width + x) as usize))
            .flatten()
            .copied()
            .unwrap_or(0);
        self.palette[usize::from(entry)]
    }

    /// Encodes the canvas as an 8-bit palette PNG (Sub filter and fdeflate's fast mode,
    /// chosen by measurement: see `BENCHMARKS.md`).
    pub(crate) fn encode_png(&self) -> Result<Vec<u8>, super::DrawError> {
        let mut out = Vec::with_capacity(4 * 1024);
        let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
        encoder.set_color(png::ColorType::Indexed);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_palette(self.palette.iter().flat_map(|c| c.0).collect::<Vec<u8>>());
        encoder.set_compression(png::Compression::Fast);
        encoder.set_filter(png::Filter::Sub);
        encoder
            .write_header()
            .and_then(|mut writer| writer.write_image_data(&self.pixels))
            .map_err(|e| super::DrawError(e.to_string()))?;
        Ok(out)
    }
}

/// So that imageproc's drawing primitives paint on the palette canvas directly.
impl imageproc::drawing::Canvas for Canvas {
    type Pixel = Rgb<u8>;

    fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    fn get_pixel(&self, x: u32, y: u32) -> Rgb<u8> {
        self.get(x, y)
    }

    fn draw_pixel(&mut self, x: u32, y: u32, colour: Rgb<u8>) {
        let entry = self.index_of(colour);
        if x < self.width
            && let Some(pixel) = self.pixels.get_mut((y * self.width + x) as usize)
        {
            *pixel = entry;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blends_by_eighths_and_round_trips_through_png() {
        let mut canvas = Canvas::new(16, 4, Rgb([255, 255, 255]));
        let mut pen = canvas.pen(Rgb([0, 0, 0]));
        for x in 0..16 {
            canvas.blend(x, &mut pen, x as f32 / 15.0);
        }
        assert_eq!(canvas.get(0, 0), Rgb([255, 255, 255]));
        assert_eq!(canvas.get(15, 0), Rgb([0, 0, 0]));
        assert_eq!(
            canvas.get(8, 0),
            mix(Rgb([255, 255, 255]), Rgb([0, 0, 0]), 4.0 / 8.0)
        );
        assert_eq!(
            canvas.palette.len(),
            9,
            "white, black and seven eighths between"
        );
        imageproc::drawing::draw_filled_circle_mut(&mut canvas, (3, 2), 1, Rgb([9, 9, 9]));
        imageproc::drawing::draw_filled_circle_mut(&mut canvas, (-1, 99), 1, Rgb([9, 9, 9]));
        assert_eq!(canvas.get(3, 2), Rgb([9, 9, 9]));
        assert_eq!(canvas.get(3, 1), Rgb([9, 9, 9]));
        let png = canvas.encode_png().unwrap();
        assert_eq!(png[25], 3, "indexed colour");
        let back = image::load_from_memory(&png).unwrap().to_rgb8();
        for (x, y, px) in back.enumerate_pixels() {
            assert_eq!(*px, canvas.get(x, y));
        }
    }

    #[test]
    fn a_full_palette_falls_back_to_the_nearest_entry() {
        let mut canvas = Canvas::new(32, 32, Rgb([0, 0, 0]));
        for i in 1..256u32 {
            let mut pen = canvas.pen(Rgb([i as u8, 0, 0]));
            canvas.blend(i as usize, &mut pen, 1.0);
        }
        assert_eq!(canvas.palette.len(), 256);
        let mut pen = canvas.pen(Rgb([250, 3, 0]));
        canvas.blend(600, &mut pen, 1.0);
        assert_eq!(canvas.palette.len(), 256);
        assert_eq!(canvas.get(600 % 32, 600 / 32), Rgb([250, 0, 0]));
    }
}
