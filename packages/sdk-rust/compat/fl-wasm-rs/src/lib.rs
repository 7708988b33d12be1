//! The interface of FunLess's Rust SDK (`fl-wasm-rs`), so that its functions build unchanged:
//! `use fl_wasm_rs::prelude::*;`, `#[derive(FLFunction)] struct F;` and
//! `fn fl_main(input: serde_json::Value) -> FLResult`. Implemented on the `funless` crate.

pub mod prelude;

pub use funless::RUNTIME_VERSION;

/// What the derived `__invoke` calls.
#[doc(hidden)]
pub fn invoke(len: i32, fl_main: fn(serde_json::Value) -> prelude::FLResult) -> i32 {
    funless::run(len, fl_main)
}
