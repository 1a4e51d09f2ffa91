//! Length units and up axes.

use serde::{Deserialize, Serialize};

/// Unit of a length value. Every container of positions carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum LengthUnit {
    /// Millimetres (C3D's usual unit, and the solver's working unit).
    #[default]
    Millimetre,
    /// Centimetres (common in BVH from game studios).
    Centimetre,
    /// Metres (glTF, OpenSim TRC files in `m`).
    Metre,
    /// Inches (Acclaim ASF files from CMU use inches × 1/0.45 via `length` scale).
    Inch,
}

impl LengthUnit {
    /// Millimetres per one of this unit.
    pub fn to_mm(self) -> f64 {
        match self {
            Self::Millimetre => 1.0,
            Self::Centimetre => 10.0,
            Self::Metre => 1000.0,
            Self::Inch => 25.4,
        }
    }

    /// Factor that converts a value in `self` to a value in `to`.
    pub fn factor_to(self, to: LengthUnit) -> f64 {
        self.to_mm() / to.to_mm()
    }

    /// Parses the unit strings found in files (`mm`, `cm`, `m`, `meters`, `mete`, `in`, `inch`).
    /// Unknown strings give `None`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().trim_matches('\0').to_ascii_lowercase();
        match s.as_str() {
            "mm" | "millimeter" | "millimeters" | "millimetre" | "millimetres" => {
                Some(Self::Millimetre)
            }
            "cm" | "centimeter" | "centimeters" | "centimetre" | "centimetres" => {
                Some(Self::Centimetre)
            }
            "m" | "meter" | "meters" | "metre" | "metres" | "mete" => Some(Self::Metre),
            "in" | "inch" | "inches" => Some(Self::Inch),
            _ => None,
        }
    }

    /// The short symbol (`mm`, `cm`, `m`, `in`).
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Millimetre => "mm",
            Self::Centimetre => "cm",
            Self::Metre => "m",
            Self::Inch => "in",
        }
    }
}

impl std::fmt::Display for LengthUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.symbol())
    }
}

/// Which world axis points up. C3D labs are usually Z-up; BVH, glTF and Bevy are Y-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum UpAxis {
    /// +Y is up (BVH, glTF, Bevy), right-handed.
    #[default]
    Y,
    /// +Z is up (most optical capture systems, C3D, OpenSim TRC is Y-up though), right-handed.
    Z,
}

impl UpAxis {
    /// Converts a right-handed point from `self` up to `to` up (rotation about X by ∓90°).
    pub fn convert_point(self, to: UpAxis, p: [f64; 3]) -> [f64; 3] {
        match (self, to) {
            (UpAxis::Z, UpAxis::Y) => [p[0], p[2], -p[1]],
            (UpAxis::Y, UpAxis::Z) => [p[0], -p[2], p[1]],
            _ => p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_factors() {
        assert_eq!(LengthUnit::Metre.factor_to(LengthUnit::Millimetre), 1000.0);
        assert_eq!(LengthUnit::Centimetre.factor_to(LengthUnit::Metre), 0.01);
        assert_eq!(LengthUnit::parse(" MM\0"), Some(LengthUnit::Millimetre));
        assert_eq!(LengthUnit::parse("mete"), Some(LengthUnit::Metre));
        assert_eq!(LengthUnit::parse("furlong"), None);
    }

    #[test]
    fn up_axis_round_trip() {
        let p = [1.0, 2.0, 3.0];
        let y = UpAxis::Z.convert_point(UpAxis::Y, p);
        assert_eq!(y, [1.0, 3.0, -2.0]);
        assert_eq!(UpAxis::Y.convert_point(UpAxis::Z, y), p);
    }
}
