//! Number encodings of the three C3D processor types.
//!
//! - Intel: little-endian 16-bit integers, IEEE-754 little-endian floats.
//! - DEC: little-endian 16-bit integers, VAX F-floating floats (two little-endian 16-bit words,
//!   the first holding sign, exponent and the high fraction bits; exponent bias 128 with a
//!   `0.1f` mantissa, i.e. the IEEE value of the same bit pattern divided by 4).
//! - MIPS (SGI): big-endian 16-bit integers and IEEE-754 big-endian floats.

use super::Processor;

impl Processor {
    /// Reads a signed 16-bit word.
    #[inline(always)]
    pub(crate) fn i16(self, b: [u8; 2]) -> i16 {
        match self {
            Processor::Intel | Processor::Dec => i16::from_le_bytes(b),
            Processor::Mips => i16::from_be_bytes(b),
        }
    }

    /// Reads an unsigned 16-bit word.
    #[inline(always)]
    pub(crate) fn u16(self, b: [u8; 2]) -> u16 {
        self.i16(b) as u16
    }

    /// Reads a 32-bit float.
    #[inline(always)]
    pub(crate) fn f32(self, b: [u8; 4]) -> f32 {
        match self {
            Processor::Intel => f32::from_le_bytes(b),
            Processor::Dec => vax_to_f32(b),
            Processor::Mips => f32::from_be_bytes(b),
        }
    }

    /// Encodes a signed 16-bit word.
    pub(crate) fn put_i16(self, v: i16) -> [u8; 2] {
        match self {
            Processor::Intel | Processor::Dec => v.to_le_bytes(),
            Processor::Mips => v.to_be_bytes(),
        }
    }

    /// Encodes a 32-bit float.
    pub(crate) fn put_f32(self, v: f32) -> [u8; 4] {
        match self {
            Processor::Intel => v.to_le_bytes(),
            Processor::Dec => f32_to_vax(v),
            Processor::Mips => v.to_be_bytes(),
        }
    }
}

/// Converts a VAX F-floating value (as stored in a DEC C3D file) to IEEE-754.
///
/// Exponent 0 is true zero (sign clear) or a "reserved operand" (sign set, returned as NaN).
/// VAX exponents 1 and 2 map to IEEE subnormals; every other VAX value maps exactly.
pub fn vax_to_f32(b: [u8; 4]) -> f32 {
    // Reorder the two little-endian words into sign | exponent | fraction, as IEEE lays them out.
    let bits = u32::from_le_bytes([b[2], b[3], b[0], b[1]]);
    let exp = (bits >> 23) & 0xff;
    let sign = bits & 0x8000_0000;
    match exp {
        0 => {
            if sign != 0 {
                f32::NAN
            } else {
                0.0
            }
        }
        1 | 2 => {
            // 0.1f × 2^(exp − 128) = 1.f × 2^(exp − 129): below IEEE's normal range.
            let mantissa = ((bits & 0x7f_ffff) | 0x80_0000) as f64;
            let v = (mantissa * 2f64.powi(exp as i32 - 129 - 23)) as f32;
            if sign != 0 { -v } else { v }
        }
        _ => f32::from_bits(bits - (2 << 23)),
    }
}

/// Converts an IEEE-754 value to VAX F-floating bytes (as a DEC C3D file stores them).
///
/// NaN and infinities have no VAX encoding and become the reserved operand (NaN) or the largest
/// finite VAX magnitude; subnormals are rounded into VAX's smallest exponents or flushed to 0.
pub fn f32_to_vax(v: f32) -> [u8; 4] {
    let vax_bits: u32 = if v.is_nan() {
        0x8000_0000
    } else if v == 0.0 {
        0
    } else {
        let sign = v.to_bits() & 0x8000_0000;
        let a = v.abs();
        if a.is_infinite() {
            sign | 0x7fff_ffff
        } else {
            let ieee_exp = (a.to_bits() >> 23) & 0xff;
            if (1..=253).contains(&ieee_exp) {
                sign | (a.to_bits() + (2 << 23))
            } else if ieee_exp > 253 {
                // Beyond VAX range (≥ 2^127): saturate.
                sign | 0x7fff_ffff
            } else {
                // Subnormal: value = m × 2^-149; normalise into VAX exponent 1 or 2 if possible.
                let m = a.to_bits() as f64;
                let x = m * 2f64.powi(-149);
                let e = x.log2().floor() as i32; // x = 1.f × 2^e
                let vax_exp = e + 129;
                if vax_exp < 1 {
                    sign // underflow to zero
                } else {
                    let frac = ((x / 2f64.powi(e) - 1.0) * 8_388_608.0).round() as u32 & 0x7f_ffff;
                    sign | ((vax_exp as u32) << 23) | frac
                }
            }
        }
    };
    let o = vax_bits.to_le_bytes();
    [o[2], o[3], o[0], o[1]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vax_known_values() {
        // 1.0 in VAX F: exponent 129, fraction 0 → word0 = 0x4080, word1 = 0.
        assert_eq!(vax_to_f32([0x80, 0x40, 0, 0]), 1.0);
        assert_eq!(f32_to_vax(1.0), [0x80, 0x40, 0, 0]);
        assert_eq!(vax_to_f32([0x80, 0xc0, 0, 0]), -1.0);
        assert_eq!(vax_to_f32([0, 0, 0, 0]), 0.0);
        assert!(vax_to_f32([0, 0x80, 0, 0]).is_nan());
        // Largest VAX exponent is finite in IEEE.
        assert!(vax_to_f32([0xff, 0x7f, 0xff, 0xff]).is_finite());
    }

    #[test]
    fn vax_round_trip() {
        for v in [
            0.5f32,
            -3.25,
            1234.567,
            -0.001,
            1.0e-30,
            3.0e37,
            f32::MIN_POSITIVE,
            7.0e-39,
        ] {
            assert_eq!(vax_to_f32(f32_to_vax(v)), v, "{v}");
        }
    }
}
