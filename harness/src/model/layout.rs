//! Type layouts as rustc laid them out for one target: size, alignment, and each field's
//! offset and size. Declared ones come from `bele_probe::layout!` records; the rest from
//! the compiler (`build::layouts`) for every `#[repr(..)]` type of the selected packages.

use serde::{Deserialize, Serialize};

/// Size, alignment and fields of a type on one target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    pub size: u64,
    pub align: u64,
    /// In declaration order for `repr(C)` types; an enum's variants' fields are named
    /// `Variant.field`, its tag `discriminant`.
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub offset: u64,
    pub size: u64,
}

/// One `#[repr(..)]` type of a workspace crate, as laid out on one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeLayout {
    /// The crate (`fx_layout`, or an integration test's own crate name).
    #[serde(rename = "crate")]
    pub krate: String,
    /// Its path in the crate as rustc prints it (`dma::DmaDesc`, `Wrapper<u64>` for each
    /// instance of a generic type).
    pub name: String,
    /// What its `#[repr(..)]` says: `C`, `C, packed`, `u8`, `transparent`.
    pub repr: String,
    #[serde(flatten)]
    pub shape: Shape,
}

impl TypeLayout {
    /// `crate::path`: how reports name it.
    pub fn path(&self) -> String {
        format!("{}::{}", self.krate, self.name)
    }
}

/// The layouts recorded on one target, from the selected packages' crates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layouts {
    pub types: Vec<TypeLayout>,
    /// `#[repr(..)]` types in the source that rustc never laid out (no code it compiled
    /// uses them), as `crate::path`: not compared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_laid_out: Vec<String>,
    /// Crates built with no record of their layouts (built before by a bele that did not
    /// record them, or their record was deleted), as file names: not compared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unrecorded: Vec<String>,
}
