//! `#[derive(FLFunction)]`: exports the module's `__invoke`, which calls the crate's
//! `fn fl_main(serde_json::Value) -> FLResult`, as FunLess's derive did. The input type is not
//! read, so the macro needs no parser (syn, quote): the expansion is fixed text.
use proc_macro::TokenStream;

const EXPANSION: &str = r#"
pub const VERSION: i32 = ::fl_wasm_rs::RUNTIME_VERSION;

#[no_mangle]
pub extern "C" fn __runtime_version() -> i32 {
    VERSION
}

#[no_mangle]
pub extern "C" fn __invoke(len: i32) -> i32 {
    ::fl_wasm_rs::invoke(len, fl_main)
}
"#;

#[proc_macro_derive(FLFunction)]
pub fn derive_function(_input: TokenStream) -> TokenStream {
    EXPANSION.parse().expect("the fixed expansion parses")
}
