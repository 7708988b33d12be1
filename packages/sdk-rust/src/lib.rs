//! FunLess functions in Rust. A function takes its JSON arguments — a `serde_json::Value` or any
//! type that deserialises from them — and returns a result that serialises to JSON, or an error
//! whose message is the invocation's error:
//!
//! ```ignore
//! use funless::{log, Value};
//!
//! funless::function!(hello);
//!
//! fn hello(input: Value) -> Result<Value, funless::Error> {
//!     let name = input["name"].as_str().ok_or(funless::Error::msg("missing argument: name"))?;
//!     log(&format!("greeting {}", name));
//!     Ok(serde_json::json!({ "payload": format!("Hello {}!", name) }))
//! }
//! ```
//!
//! `function!` exports `__invoke` and `__runtime_version`: the module has the shape of FunLess's
//! own Rust SDK (docs/functions.md#a-funless-abi). Build it with `fl fn build`.

pub mod abi;
mod error;
pub mod http;

use std::fmt::Display;

pub use error::Error;
pub use serde_json::{json, Value};

/// What `__runtime_version` answers (the platform ignores it; FunLess's SDK exported 1).
pub const RUNTIME_VERSION: i32 = 1;

/// Writes one line to the invocation's logs. (`println!` and `eprintln!` lines go there too.)
pub fn log(line: &str) {
    abi::console_log(line);
}

/// Runs one invocation: reads the `len` bytes of JSON arguments, calls `handler`, and hands its
/// result (0) or its error message (1) back to the host. `function!` calls it from `__invoke`.
pub fn run<I, O, E, F>(len: i32, handler: F) -> i32
where
    I: serde::de::DeserializeOwned,
    O: serde::Serialize,
    E: Display,
    F: FnOnce(I) -> Result<O, E>,
{
    let input = abi::input(len as u32 as usize);
    let args = match serde_json::from_slice::<I>(&input) {
        Ok(args) => args,
        Err(e) => return fail(&format!("invalid arguments: {}", e)),
    };
    match handler(args) {
        Ok(output) => match serde_json::to_vec(&output) {
            Ok(json) => {
                abi::respond(&json);
                0
            }
            Err(e) => fail(&format!("the result is not JSON: {}", e)),
        },
        Err(e) => fail(&e.to_string()),
    }
}

fn fail(message: &str) -> i32 {
    abi::error(message);
    1
}

/// Makes `handler` the module's function: exports `__invoke` (calling [`run`]) and
/// `__runtime_version`. Use it once per crate, which must be a `cdylib`.
#[macro_export]
macro_rules! function {
    ($handler:path) => {
        #[no_mangle]
        pub extern "C" fn __invoke(len: i32) -> i32 {
            $crate::run(len, $handler)
        }

        #[no_mangle]
        pub extern "C" fn __runtime_version() -> i32 {
            $crate::RUNTIME_VERSION
        }
    };
}
