//! The Okabe-Ito palette (safe for the common forms of colour blindness) and the two colour
//! scales the figures use.

use plotters::style::RGBColor;

pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub const SKY_BLUE: RGBColor = RGBColor(86, 180, 233);
pub const DEEP_BLUE: RGBColor = RGBColor(0, 114, 178);
pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
pub const REDDISH_PURPLE: RGBColor = RGBColor(204, 121, 167);
pub const BLUISH_GREEN: RGBColor = RGBColor(0, 158, 115);

fn mix(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let lerp = |x: u8, y: u8| (f64::from(x) + t * (f64::from(y) - f64::from(x))).round() as u8;
    RGBColor(lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

/// A diverging scale for `v` in [−1, 1]: blue below 0, white at 0, vermillion above.
pub fn diverging(v: f64) -> RGBColor {
    const WHITE: RGBColor = RGBColor(255, 255, 255);
    if v < 0.0 {
        mix(WHITE, DEEP_BLUE, -v)
    } else {
        mix(WHITE, VERMILLION, v)
    }
}

/// A sequential scale for `v` in [0, 1]: white to vermillion.
pub fn sequential(v: f64) -> RGBColor {
    mix(RGBColor(255, 255, 255), VERMILLION, v)
}

/// Ink on paper for a pixel value (0 = white paper, 255 = black ink).
pub fn ink(pixel: u8) -> RGBColor {
    let v = 255 - pixel;
    RGBColor(v, v, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_meet_white_at_zero_and_reach_their_ends() {
        assert_eq!(diverging(0.0), RGBColor(255, 255, 255));
        assert_eq!(diverging(-1.0), DEEP_BLUE);
        assert_eq!(diverging(2.0), VERMILLION);
        assert_eq!(sequential(0.0), RGBColor(255, 255, 255));
        assert_eq!(ink(255), RGBColor(0, 0, 0));
    }
}
